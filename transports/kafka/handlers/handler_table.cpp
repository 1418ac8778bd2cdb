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
    HandlerEntry{ApiKey::api_versions, 0, 2, 3, handle_api_versions},
    HandlerEntry{ApiKey::init_producer_id, 0, 1, -1, handle_init_producer_id},
};

}  // namespace

std::span<const HandlerEntry> handler_table() { return kHandlers; }

const HandlerEntry* find_handler(ApiKey key) {
  auto it = std::find_if(kHandlers.begin(), kHandlers.end(),
                         [key](const HandlerEntry& entry) { return entry.key == key; });
  return it == kHandlers.end() ? nullptr : &*it;
}

}  // namespace junction::kafka
