#include "host/config_key_listing.hpp"

#include <memory>

#include "host/host_config.hpp"
#include "host/plugin_loader.hpp"
#include "sdk/config_errors.hpp"

namespace junction::host {

std::vector<ConfigKey> list_config_keys(const std::filesystem::path& plugin_dir,
                                        std::vector<std::string>& problems) {
  std::vector<ConfigKey> keys;
  for (const auto& path : host_config_keys()) {
    const auto dot = path.find('.');
    if (dot == std::string::npos) {
      keys.push_back({"top-level", path});
    } else {
      keys.push_back({path.substr(0, dot), path.substr(dot + 1)});
    }
  }

  PluginLoader loader({plugin_dir});
  for (const auto& file : PluginLoader::libraries_in(plugin_dir)) {
    auto info = loader.info(file.string());
    if (!info) {
      problems.push_back(info.error().message);
      continue;
    }
    auto read = std::make_shared<KeyListing>();
    ConfigSection listing = make_key_listing_section(read);
    // Only the factory's reads matter; what it builds is dropped at once.
    if ((*info)->kind == PluginKind::transport) {
      (void)loader.create_transport(file.string(), listing);
    } else {
      (void)loader.create_coordinator(file.string(), listing);
    }
    for (const auto& key : *read) keys.push_back({(*info)->name, key});
  }
  return keys;
}

}  // namespace junction::host
