#pragma once

// Decoding of Kafka's classic (non-flexible) protocol primitives. A failed
// read is sticky: every later read returns an empty value and ok() stays
// false, so a handler decodes a whole request and checks once at the end.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace junction::kafka {

class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : data_(bytes) {}

  bool ok() const { return ok_; }
  std::size_t remaining() const { return ok_ ? data_.size() - position_ : 0; }

  std::int8_t int8() { return fixed<std::int8_t>(); }
  std::int16_t int16() { return fixed<std::int16_t>(); }
  std::int32_t int32() { return fixed<std::int32_t>(); }
  std::int64_t int64() { return fixed<std::int64_t>(); }
  bool boolean() { return int8() != 0; }

  // STRING: int16 length, never null.
  std::string string() {
    auto length = int16();
    if (length < 0) return fail<std::string>();
    return std::string(take(static_cast<std::size_t>(length)));
  }
  // NULLABLE_STRING: length -1 is null.
  std::optional<std::string> nullable_string() {
    auto length = int16();
    if (length < 0) return std::nullopt;
    return std::string(take(static_cast<std::size_t>(length)));
  }
  // BYTES / NULLABLE_BYTES: int32 length. The view borrows the request frame.
  std::optional<std::string_view> nullable_bytes() {
    auto length = int32();
    if (length < 0) return std::nullopt;
    return take(static_cast<std::size_t>(length));
  }
  std::string_view bytes() {
    auto length = int32();
    if (length < 0) return fail<std::string_view>();
    return take(static_cast<std::size_t>(length));
  }
  // ARRAY length; -1 (null) reads as 0. A count that cannot fit in the rest
  // of the frame (each element takes at least `min_element_size` bytes) is a
  // malformed request, caught before anyone reserves memory for it.
  std::int32_t array_length(std::size_t min_element_size = 1) {
    auto length = int32();
    if (length < 0) return 0;
    if (static_cast<std::size_t>(length) * min_element_size > remaining())
      return fail<std::int32_t>();
    return length;
  }
  // Skips a flexible version's tagged-field section.
  void skip_tagged_fields() {
    auto count = unsigned_varint();
    for (std::uint32_t i = 0; i < count && ok_; ++i) {
      unsigned_varint();
      take(unsigned_varint());
    }
  }
  std::uint32_t unsigned_varint() {
    std::uint32_t value = 0;
    for (int shift = 0; shift <= 28; shift += 7) {
      auto byte = static_cast<std::uint8_t>(int8());
      if (!ok_) return 0;
      value |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return fail<std::uint32_t>();
  }

  std::string_view take(std::size_t count) {
    if (!ok_ || count > data_.size() - position_) return fail<std::string_view>();
    auto view = data_.substr(position_, count);
    position_ += count;
    return view;
  }
  std::string_view rest() { return take(remaining()); }

 private:
  template <class T>
  T fixed() {
    auto raw = take(sizeof(T));
    if (raw.size() != sizeof(T)) return T{};
    std::make_unsigned_t<T> value = 0;
    for (char c : raw)
      value = static_cast<std::make_unsigned_t<T>>((value << 8) | static_cast<std::uint8_t>(c));
    return static_cast<T>(value);
  }
  template <class T>
  T fail() {
    ok_ = false;
    return T{};
  }

  std::string_view data_;
  std::size_t position_ = 0;
  bool ok_ = true;
};

}  // namespace junction::kafka
