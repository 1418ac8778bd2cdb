#pragma once

// Encoding of Kafka's classic (non-flexible) protocol primitives into a
// growing buffer: a response body is built front to back, and array counts
// that are only known at the end are patched in place.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace junction::kafka {

class WireWriter {
 public:
  WireWriter() = default;

  void int8(std::int8_t v) { fixed(v); }
  void int16(std::int16_t v) { fixed(v); }
  void int32(std::int32_t v) { fixed(v); }
  void int64(std::int64_t v) { fixed(v); }
  void boolean(bool v) { int8(v ? 1 : 0); }

  void string(std::string_view v) {
    int16(static_cast<std::int16_t>(v.size()));
    buffer_.append(v);
  }
  void nullable_string(const std::optional<std::string>& v) {
    if (!v) return int16(-1);
    string(*v);
  }
  void bytes(std::string_view v) {
    int32(static_cast<std::int32_t>(v.size()));
    buffer_.append(v);
  }
  void nullable_bytes(const std::optional<std::string_view>& v) {
    if (!v) return int32(-1);
    bytes(*v);
  }
  void array_length(std::size_t n) { int32(static_cast<std::int32_t>(n)); }
  void unsigned_varint(std::uint32_t v) {
    while (v >= 0x80) {
      buffer_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    buffer_.push_back(static_cast<char>(v));
  }
  void empty_tagged_fields() { unsigned_varint(0); }
  void raw(std::string_view v) { buffer_.append(v); }

  // Reserves an int32 to fill in later with patch_int32.
  std::size_t placeholder_int32() {
    auto at = buffer_.size();
    int32(0);
    return at;
  }
  void patch_int32(std::size_t at, std::int32_t v) {
    for (int i = 3; i >= 0; --i) {
      buffer_[at + i] = static_cast<char>(v & 0xff);
      v = static_cast<std::int32_t>(static_cast<std::uint32_t>(v) >> 8);
    }
  }

  std::size_t size() const { return buffer_.size(); }
  void reserve(std::size_t n) { buffer_.reserve(n); }
  std::string take() { return std::move(buffer_); }

 private:
  template <class T>
  void fixed(T v) {
    auto u = static_cast<std::make_unsigned_t<T>>(v);
    for (int shift = (sizeof(T) - 1) * 8; shift >= 0; shift -= 8)
      buffer_.push_back(static_cast<char>((u >> shift) & 0xff));
  }

  std::string buffer_;
};

}  // namespace junction::kafka
