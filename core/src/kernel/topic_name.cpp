#include "junction/topic.hpp"

namespace junction {

Result<void> validate_topic_name(std::string_view name) {
  constexpr std::size_t kMaxLength = 249;
  if (name.empty()) return make_error(Errc::invalid_argument, "topic name is empty");
  if (name.size() > kMaxLength) {
    return make_error(Errc::invalid_argument, "topic name is longer than 249 characters: " +
                                                  std::string(name.substr(0, 40)) + "...");
  }
  if (name == "." || name == "..") {
    return make_error(Errc::invalid_argument, "topic name cannot be \".\" or \"..\"");
  }
  for (const char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!allowed) {
      return make_error(Errc::invalid_argument, "topic name \"" + std::string(name) +
                                                    "\" has a character outside [a-zA-Z0-9._-]");
    }
  }
  return {};
}

}  // namespace junction
