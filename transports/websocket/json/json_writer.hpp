#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "json/json_value.hpp"

namespace junction::websocket {

// Appends `text` as a JSON string literal. `text` must be valid UTF-8.
void append_json_string(std::string& out, std::string_view text);

// The compact text of `value` (used to echo a client's request id).
std::string serialize_json(const JsonValue& value);

// Builds one JSON object member by member, without a document tree: the
// messages the transport sends are flat and built once.
class JsonObjectWriter {
 public:
  JsonObjectWriter() : out_("{") {}
  // Reserves room for a message of about `expected_bytes` up front.
  explicit JsonObjectWriter(std::size_t expected_bytes) : out_("{") {
    out_.reserve(expected_bytes);
  }

  JsonObjectWriter& string(std::string_view key, std::string_view value);
  JsonObjectWriter& integer(std::string_view key, std::int64_t value);
  JsonObjectWriter& null(std::string_view key);
  // `json` must already be valid JSON (a nested object or array).
  JsonObjectWriter& raw(std::string_view key, std::string_view json);

  std::string finish() &&;

 private:
  void key(std::string_view name);
  std::string out_;
};

}  // namespace junction::websocket
