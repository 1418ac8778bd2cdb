#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace junction::websocket {

// Record keys, values and header values are bytes; JSON strings are text.
// Bytes that are not valid UTF-8 travel as base64 instead.
bool is_valid_utf8(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
// nullopt if `text` is not padded base64 (RFC 4648 alphabet).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace junction::websocket
