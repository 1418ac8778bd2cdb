#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace junction::websocket {

// A parsed JSON document. Objects keep their members in order; numbers are
// kept as int64 when integral (offsets must not lose precision to double).
class JsonValue {
 public:
  using Array = std::vector<JsonValue>;
  using Object = std::vector<std::pair<std::string, JsonValue>>;

  JsonValue() = default;
  explicit JsonValue(bool value) : data_(value) {}
  explicit JsonValue(std::int64_t value) : data_(value) {}
  explicit JsonValue(double value) : data_(value) {}
  explicit JsonValue(std::string value) : data_(std::move(value)) {}
  explicit JsonValue(Array value) : data_(std::move(value)) {}
  explicit JsonValue(Object value) : data_(std::move(value)) {}

  bool is_null() const { return data_.index() == 0; }
  bool is_bool() const { return data_.index() == 1; }
  bool is_integer() const { return data_.index() == 2; }
  bool is_number() const { return data_.index() == 2 || data_.index() == 3; }
  bool is_string() const { return data_.index() == 4; }
  bool is_array() const { return data_.index() == 5; }
  bool is_object() const { return data_.index() == 6; }

  bool as_bool() const { return std::get<1>(data_); }
  std::int64_t as_integer() const { return std::get<2>(data_); }
  double as_double() const {
    return is_integer() ? static_cast<double>(as_integer()) : std::get<3>(data_);
  }
  const std::string& as_string() const { return std::get<4>(data_); }
  const Array& as_array() const { return std::get<5>(data_); }
  const Object& as_object() const { return std::get<6>(data_); }

  // The member `key` of an object; nullptr if absent or not an object.
  const JsonValue* find(std::string_view key) const;

 private:
  std::variant<std::monostate, bool, std::int64_t, double, std::string, Array, Object> data_;
};

struct JsonLimits {
  std::size_t max_depth = 32;
  std::size_t max_bytes = 16u << 20;
};

// Strict RFC 8259: one value, no trailing garbage, no comments. nullopt on any
// error, with a short reason in `error`.
std::optional<JsonValue> parse_json(std::string_view text, std::string& error,
                                    const JsonLimits& limits = {});

}  // namespace junction::websocket
