#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace junction::websocket {

struct StaticFile {
  std::string content_type;
  std::string body;
};

// The console's files under `root`. `target` is the request target ("/" is
// index.html); a query string is ignored. nullopt for anything that is not a
// regular file inside `root` (no "..", no absolute paths, no symlinks out).
std::optional<StaticFile> load_static_file(const std::filesystem::path& root,
                                           std::string_view target);

}  // namespace junction::websocket
