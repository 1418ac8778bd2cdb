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
};

}  // namespace

std::span<const HandlerEntry> handler_table() { return kHandlers; }

const HandlerEntry* find_handler(ApiKey key) {
  auto it = std::find_if(kHandlers.begin(), kHandlers.end(),
                         [key](const HandlerEntry& entry) { return entry.key == key; });
  return it == kHandlers.end() ? nullptr : &*it;
}

}  // namespace junction::kafka
