#pragma once

// The command-line shapes every benchmark shares: one bare count and
// "--flag=value" options.

#include <optional>
#include <string>
#include <string_view>

namespace junction::bench {

// The value of `arg` when it is "--flag=value" for this flag.
inline std::optional<std::string> flag_value(const std::string& arg, std::string_view flag) {
  if (arg.size() <= flag.size() || arg.compare(0, flag.size(), flag) != 0 ||
      arg[flag.size()] != '=') {
    return std::nullopt;
  }
  return arg.substr(flag.size() + 1);
}

// A bare decimal number: the benchmark's record or message count.
inline bool is_count(const std::string& arg) {
  return !arg.empty() && arg.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace junction::bench
