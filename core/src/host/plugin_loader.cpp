#include "host/plugin_loader.hpp"

#include <algorithm>
#include <exception>

namespace junction::host {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kFilePrefix = "junction_";
constexpr std::string_view kFileSuffix = ".so";

const char* kind_name(PluginKind kind) {
  switch (kind) {
    case PluginKind::transport:
      return "transport";
    case PluginKind::coordinator:
      return "coordination";
  }
  return "unknown";
}

const char* factory_symbol(PluginKind kind) {
  return kind == PluginKind::transport ? "junction_create_transport"
                                       : "junction_create_coordinator";
}

Error plugin_error(const fs::path& file, const std::string& message) {
  return make_error(Errc::plugin_error, "plugin " + file.string() + ": " + message);
}

}  // namespace

PluginLoader::PluginLoader(std::vector<fs::path> search_path)
    : search_path_(std::move(search_path)) {}

Result<fs::path> PluginLoader::locate(const std::string& name_or_path) const {
  const bool is_path =
      name_or_path.find('/') != std::string::npos || name_or_path.ends_with(kFileSuffix);
  if (is_path) {
    std::error_code ec;
    if (!fs::exists(name_or_path, ec)) {
      return make_error(Errc::plugin_error, "plugin file " + name_or_path + " does not exist");
    }
    if (!fs::is_regular_file(name_or_path, ec)) {
      return make_error(Errc::plugin_error, "plugin " + name_or_path + " is not a file");
    }
    return fs::canonical(name_or_path, ec);
  }
  const std::string file_name = std::string(kFilePrefix) + name_or_path + std::string(kFileSuffix);
  std::string searched;
  for (const auto& dir : search_path_) {
    std::error_code ec;
    const auto candidate = dir / file_name;
    if (fs::is_regular_file(candidate, ec)) return fs::canonical(candidate, ec);
    searched += (searched.empty() ? "" : ", ") + dir.string();
  }
  return make_error(Errc::plugin_error, "no plugin named '" + name_or_path + "' (looked for " +
                                            file_name + " in: " + searched + ")");
}

Result<PluginLoader::Loaded> PluginLoader::load(const std::string& name_or_path) {
  auto file = locate(name_or_path);
  if (!file) return file.error();

  auto& library = libraries_[*file];
  if (!library) {
    try {
      library = std::make_shared<boost::dll::shared_library>(
          *file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& error) {
      libraries_.erase(*file);
      return plugin_error(*file, std::string("cannot be loaded: ") + error.what());
    }
  }
  // The info struct is plain data, so it can be read from a library of any
  // ABI; nothing else is touched until its ABI version matches.
  if (!library->has("junction_plugin_info")) {
    return plugin_error(*file, "is not a Junction plugin (no junction_plugin_info symbol)");
  }
  const PluginInfo* info = library->get_alias<const PluginInfo*()>("junction_plugin_info")();
  if (info->abi_version != kSdkAbiVersion) {
    return plugin_error(
        *file, "was built for SDK ABI version " + std::to_string(info->abi_version) + " (" +
                   info->compiler + "), but this junctiond has ABI version " +
                   std::to_string(kSdkAbiVersion) + ": rebuild the plugin against this SDK");
  }
  return Loaded{library, info, *file};
}

Result<PluginLoader::Loaded> PluginLoader::load(const std::string& name_or_path, PluginKind kind) {
  auto loaded = load(name_or_path);
  if (!loaded) return loaded.error();
  if (loaded->info->kind != kind) {
    return plugin_error(loaded->file, std::string("is a ") + kind_name(loaded->info->kind) +
                                          " plugin, but is named where a " + kind_name(kind) +
                                          " plugin is expected");
  }
  if (!loaded->library->has(factory_symbol(kind))) {
    return plugin_error(loaded->file,
                        std::string("exports no factory (") + factory_symbol(kind) + ")");
  }
  return loaded;
}

Result<const PluginInfo*> PluginLoader::info(const std::string& name_or_path) {
  auto loaded = load(name_or_path);
  if (!loaded) return loaded.error();
  return loaded->info;
}

template <class Object, class Factory>
static Result<std::shared_ptr<Object>> build(
    const std::shared_ptr<boost::dll::shared_library>& library, const fs::path& file,
    const char* symbol, ConfigSection& config) {
  std::unique_ptr<Object> object;
  try {
    object = library->get_alias<Factory>(symbol)(config);
  } catch (const std::exception& error) {
    return plugin_error(file, std::string("factory failed: ") + error.what());
  }
  if (!object) return plugin_error(file, "factory returned nothing");
  // The deleter owns the library, so the object's code outlives the object.
  return std::shared_ptr<Object>(object.release(), [library](Object* o) { delete o; });
}

Result<std::shared_ptr<Transport>> PluginLoader::create_transport(const std::string& name_or_path,
                                                                  ConfigSection& config) {
  auto loaded = load(name_or_path, PluginKind::transport);
  if (!loaded) return loaded.error();
  return build<Transport, TransportFactory>(loaded->library, loaded->file,
                                            "junction_create_transport", config);
}

Result<std::shared_ptr<Coordinator>> PluginLoader::create_coordinator(
    const std::string& name_or_path, ConfigSection& config) {
  auto loaded = load(name_or_path, PluginKind::coordinator);
  if (!loaded) return loaded.error();
  return build<Coordinator, CoordinatorFactory>(loaded->library, loaded->file,
                                                "junction_create_coordinator", config);
}

std::vector<std::string> PluginLoader::transports_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const char* name : {"kafka", "amqp", "websocket", "zeromq"}) {
    std::error_code ec;
    const auto file = dir / (std::string(kFilePrefix) + name + std::string(kFileSuffix));
    if (fs::is_regular_file(file, ec)) names.emplace_back(name);
  }
  return names;
}

std::vector<fs::path> PluginLoader::libraries_in(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(kFilePrefix) && name.ends_with(kFileSuffix)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace junction::host
