#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "junction/config.hpp"

namespace junction {

// Every error found in one config file, each "file:line:column: message"
// (or "file: message" when it has no position).
class ConfigErrors {
 public:
  explicit ConfigErrors(std::string file = {}) : file_(std::move(file)) {}

  void add(std::string message);
  // In file order (by line, then column), however they were found.
  std::vector<std::string> messages() const;
  bool empty() const {
    std::lock_guard lock(mutex_);
    return entries_.empty();
  }

 private:
  struct Entry {
    std::pair<long, long> position;  // (line, column); (0, 0) for the whole file
    std::string text;
  };
  const std::string file_;
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

// Builds a ConfigSection over `table`, which must outlive it (`document` keeps
// the parsed file alive). `table` may be null: an empty section.
ConfigSection make_config_section(std::shared_ptr<const toml::table> document,
                                  const toml::table* table, std::string file,
                                  std::shared_ptr<ConfigErrors> errors);

// Keys a reader asks for, as "table.key" paths, for `junctiond
// --list-config-keys`. Shared by a listing section and every section it opens.
using KeyListing = std::vector<std::string>;

// An empty section that records every key read from it or from any table
// below it, and claims to contain every key, so keys read only when present
// are listed too. It opens one element for each array of tables. Its errors go
// nowhere: the reader sees only fallbacks.
ConfigSection make_key_listing_section(std::shared_ptr<KeyListing> keys);

std::string format_position(const std::string& file, const toml::source_position& position);

}  // namespace junction
