#pragma once

// The command line every benchmark takes: one bare count, then
// "--name=value" options, each stored straight into its Options field.

#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace junction::bench {

struct Flag {
  std::string_view name;  // with its dashes: "--runs"
  std::variant<int*, std::int64_t*, double*, std::string*> value;
};

// Fills `count` and the flags from argv; returns what was wrong, if anything.
inline std::optional<std::string> parse_arguments(int argc, char** argv, std::int64_t& count,
                                                  std::initializer_list<Flag> flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!arg.empty() && arg.find_first_not_of("0123456789") == std::string::npos) {
      count = std::atoll(arg.c_str());
      continue;
    }
    const auto equals = arg.find('=');
    const auto name = std::string_view(arg).substr(0, equals);
    const Flag* flag = nullptr;
    for (const auto& candidate : flags)
      if (equals != std::string::npos && candidate.name == name) flag = &candidate;
    if (!flag) return "unknown argument " + arg;
    const std::string text = arg.substr(equals + 1);
    std::visit(
        [&](auto* field) {
          using Field = std::remove_pointer_t<decltype(field)>;
          if constexpr (std::is_same_v<Field, std::string>) {
            *field = text;
          } else if constexpr (std::is_same_v<Field, double>) {
            *field = std::atof(text.c_str());
          } else {
            *field = static_cast<Field>(std::atoll(text.c_str()));
          }
        },
        flag->value);
  }
  return std::nullopt;
}

// "--target=junctiond|PEER|both": whether to run against junctiond and
// against the peer; nullopt for any other value.
struct Targets {
  bool junctiond = true;
  bool peer = true;
};
inline std::optional<Targets> parse_targets(const std::string& value, std::string_view peer) {
  if (value == "both") return Targets{true, true};
  if (value == "junctiond") return Targets{true, false};
  if (value == peer) return Targets{false, true};
  return std::nullopt;
}

}  // namespace junction::bench
