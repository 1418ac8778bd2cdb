#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/dll/shared_library.hpp>

#include "junction/plugin.hpp"
#include "junction/result.hpp"

namespace junction::host {

// Finds, loads and checks plugin libraries, and builds objects from their
// factories. Each object returned keeps its library loaded: the library is
// unloaded only after the last object it made is destroyed. A library is
// loaded once however many objects come from it.
class PluginLoader {
 public:
  explicit PluginLoader(std::vector<std::filesystem::path> search_path);

  // "kafka" -> junction_kafka.so in the search path; anything with a '/' or
  // ending in ".so" is taken as a path.
  Result<std::filesystem::path> locate(const std::string& name_or_path) const;

  Result<std::shared_ptr<Transport>> create_transport(const std::string& name_or_path,
                                                      ConfigSection& config);
  Result<std::shared_ptr<Coordinator>> create_coordinator(const std::string& name_or_path,
                                                          ConfigSection& config);

  // The info a plugin exports, once its ABI version is checked.
  Result<const PluginInfo*> info(const std::string& name_or_path);

  // Names of the transport plugins present in `dir` (for the embedded default).
  static std::vector<std::string> transports_in(const std::filesystem::path& dir);
  // Every junction_*.so in `dir`, sorted.
  static std::vector<std::filesystem::path> libraries_in(const std::filesystem::path& dir);

 private:
  struct Loaded {
    std::shared_ptr<boost::dll::shared_library> library;
    const PluginInfo* info = nullptr;
    std::filesystem::path file;
  };
  Result<Loaded> load(const std::string& name_or_path);
  Result<Loaded> load(const std::string& name_or_path, PluginKind kind);

  std::vector<std::filesystem::path> search_path_;
  std::map<std::filesystem::path, std::shared_ptr<boost::dll::shared_library>> libraries_;
};

}  // namespace junction::host
