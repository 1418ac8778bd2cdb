#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "junction/config.hpp"

namespace junction {

// Every error found in one config file, each "file:line:column: message".
class ConfigErrors {
 public:
  void add(std::string message) {
    std::lock_guard lock(mutex_);
    messages_.push_back(std::move(message));
  }
  // In file order (by line, then column), however they were found.
  std::vector<std::string> messages() const;
  bool empty() const {
    std::lock_guard lock(mutex_);
    return messages_.empty();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
};

// Builds a ConfigSection over `table`, which must outlive it (`document` keeps
// the parsed file alive). `table` may be null: an empty section.
ConfigSection make_config_section(std::shared_ptr<const toml::table> document,
                                  const toml::table* table, std::string file,
                                  std::shared_ptr<ConfigErrors> errors);

std::string format_position(const std::string& file, const toml::source_position& position);

}  // namespace junction
