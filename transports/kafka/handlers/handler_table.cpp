#include <algorithm>
#include <array>

#include "handlers/handlers.hpp"

namespace junction::kafka {
namespace {

// Versions are the ones implemented completely, all in the classic encoding:
// every client we serve falls back to them through ApiVersions.
constexpr std::array kHandlers{
    HandlerEntry{ApiKey::produce, 3, 8, -1, handle_produce},
    HandlerEntry{ApiKey::fetch, 4, 11, -1, handle_fetch},
    HandlerEntry{ApiKey::list_offsets, 0, 5, -1, handle_list_offsets},
    HandlerEntry{ApiKey::metadata, 0, 8, -1, handle_metadata},
    HandlerEntry{ApiKey::offset_commit, 0, 7, -1, handle_offset_commit},
    HandlerEntry{ApiKey::offset_fetch, 0, 5, -1, handle_offset_fetch},
    HandlerEntry{ApiKey::find_coordinator, 0, 2, -1, handle_find_coordinator},
    HandlerEntry{ApiKey::join_group, 0, 5, -1, handle_join_group},
    HandlerEntry{ApiKey::heartbeat, 0, 3, -1, handle_heartbeat},
    HandlerEntry{ApiKey::leave_group, 0, 3, -1, handle_leave_group},
    HandlerEntry{ApiKey::sync_group, 0, 3, -1, handle_sync_group},
    HandlerEntry{ApiKey::describe_groups, 0, 4, -1, handle_describe_groups},
    HandlerEntry{ApiKey::list_groups, 0, 2, -1, handle_list_groups},
    HandlerEntry{ApiKey::api_versions, 0, 2, 3, handle_api_versions},
    HandlerEntry{ApiKey::create_topics, 0, 4, -1, handle_create_topics},
    HandlerEntry{ApiKey::delete_topics, 0, 3, -1, handle_delete_topics},
    HandlerEntry{ApiKey::init_producer_id, 0, 1, -1, handle_init_producer_id},
    HandlerEntry{ApiKey::describe_configs, 0, 3, -1, handle_describe_configs},
};

}  // namespace

std::span<const HandlerEntry> handler_table() { return kHandlers; }

const HandlerEntry* find_handler(ApiKey key) {
  auto it = std::find_if(kHandlers.begin(), kHandlers.end(),
                         [key](const HandlerEntry& entry) { return entry.key == key; });
  return it == kHandlers.end() ? nullptr : &*it;
}

}  // namespace junction::kafka
