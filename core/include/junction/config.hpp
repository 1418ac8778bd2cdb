#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace junction {

// "host:port", the way every network transport's listen key is written.
struct HostPort {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  std::uint16_t port = 0;
};
// Parses "host:port" or "[v6]:port"; nullopt if `text` is not one.
std::optional<HostPort> parse_host_port(std::string_view text);

// One table of the TOML config, as a plugin sees its own keys. Reading a key
// marks it known; a wrong type or range is recorded as an error naming
// file:line:column, and the fallback is returned so parsing goes on and every
// error is reported at once.
class ConfigSection {
 public:
  struct Impl;
  // An empty section: every read returns its fallback.
  ConfigSection();
  explicit ConfigSection(std::shared_ptr<Impl> impl);
  ConfigSection(const ConfigSection&) = default;
  ConfigSection& operator=(const ConfigSection&) = default;
  ~ConfigSection();

  bool contains(std::string_view key) const;
  std::string string(std::string_view key, std::string fallback);
  // A "host:port" string (a transport's listen address); anything else is an
  // error at `key` naming what was expected.
  HostPort host_port(std::string_view key, HostPort fallback);
  std::int64_t integer(std::string_view key, std::int64_t fallback,
                       std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                       std::int64_t max = std::numeric_limits<std::int64_t>::max());
  bool boolean(std::string_view key, bool fallback);
  std::vector<std::string> strings(std::string_view key, std::vector<std::string> fallback);
  // A nested table; empty if absent, an error if `key` is not a table.
  ConfigSection section(std::string_view key);
  // An array of tables ([[key]] in TOML); empty if absent.
  std::vector<ConfigSection> sections(std::string_view key);

  // Records a plugin's own validation error at `key` (or at the table).
  void fail(std::string_view key, std::string_view message);
  // Every key of this table not read so far becomes an "unknown key" error.
  void reject_unknown_keys();
  // "file:line:column" of `key`, or of the table when key is empty or absent.
  std::string where(std::string_view key = {}) const;
  bool has_errors() const;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace junction
