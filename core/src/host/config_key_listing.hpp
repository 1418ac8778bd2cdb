#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace junction::host {

// A key some part of junctiond reads: a host table ("broker", "transport")
// or a plugin's name ("kafka") as the section, and the key within it, dotted
// when it sits in a nested table ("users.name").
struct ConfigKey {
  std::string section;
  std::string key;
};

// The host's keys, then the keys each plugin library in `plugin_dir` reads
// when its factory parses an empty table (keys read only when present
// included). A library that cannot be loaded adds a line to `problems`.
std::vector<ConfigKey> list_config_keys(const std::filesystem::path& plugin_dir,
                                        std::vector<std::string>& problems);

}  // namespace junction::host
