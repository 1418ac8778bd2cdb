#include <algorithm>
#include <array>

#include "handlers/handlers.hpp"

namespace junction::kafka {
namespace {

// Versions are the ones implemented completely, all in the classic encoding:
// every client we serve falls back to them through ApiVersions.
constexpr std::array kHandlers{
    HandlerEntry{ApiKey::metadata, 0, 8, -1, handle_metadata},
    HandlerEntry{ApiKey::api_versions, 0, 2, 3, handle_api_versions},
    HandlerEntry{ApiKey::create_topics, 0, 4, -1, handle_create_topics},
    HandlerEntry{ApiKey::delete_topics, 0, 3, -1, handle_delete_topics},
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
