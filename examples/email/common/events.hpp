#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace email {

// The JSON the producers emit. Names and addresses come from a fixed list, so
// nothing in them needs escaping.
std::string member_signed_up_json(long sequence);
std::string order_completed_json(long sequence);

// The value of a top-level string field, e.g. "id" or "email"; nullopt when it
// is missing.
std::optional<std::string> json_string_field(std::string_view json, std::string_view name);

}  // namespace email
