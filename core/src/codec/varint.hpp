#pragma once

// Wire primitives of RecordBatch v2: big-endian fixed-width integers and
// zig-zag varints (Kafka's ByteUtils), all bounds-checked on the read side.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace junction::codec {

// std::byteswap is C++23; these compile to one bswap instruction.
inline std::uint16_t byteswap(std::uint16_t v) noexcept { return __builtin_bswap16(v); }
inline std::uint32_t byteswap(std::uint32_t v) noexcept { return __builtin_bswap32(v); }
inline std::uint64_t byteswap(std::uint64_t v) noexcept { return __builtin_bswap64(v); }

template <class T>
inline T load_be(const char* p) noexcept {
  static_assert(std::is_integral_v<T>);
  using U = std::make_unsigned_t<T>;
  U u;
  std::memcpy(&u, p, sizeof u);
  if constexpr (std::endian::native == std::endian::little && sizeof(U) > 1) u = byteswap(u);
  return static_cast<T>(u);
}

template <class T>
inline void store_be(char* p, T value) noexcept {
  static_assert(std::is_integral_v<T>);
  using U = std::make_unsigned_t<T>;
  U u = static_cast<U>(value);
  if constexpr (std::endian::native == std::endian::little && sizeof(U) > 1) u = byteswap(u);
  std::memcpy(p, &u, sizeof u);
}

inline constexpr std::size_t kMaxVarintSize = 5;
inline constexpr std::size_t kMaxVarlongSize = 10;

inline constexpr std::uint32_t zigzag(std::int32_t v) noexcept {
  return (static_cast<std::uint32_t>(v) << 1) ^ static_cast<std::uint32_t>(v >> 31);
}
inline constexpr std::uint64_t zigzag(std::int64_t v) noexcept {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline constexpr std::int32_t unzigzag(std::uint32_t u) noexcept {
  return static_cast<std::int32_t>((u >> 1) ^ (0u - (u & 1u)));
}
inline constexpr std::int64_t unzigzag(std::uint64_t u) noexcept {
  return static_cast<std::int64_t>((u >> 1) ^ (0ull - (u & 1ull)));
}

inline constexpr std::size_t uvarint_size(std::uint64_t u) noexcept {
  // One byte per started group of 7 bits; zero still takes one byte.
  return u == 0 ? 1 : (static_cast<std::size_t>(std::bit_width(u)) + 6) / 7;
}
inline constexpr std::size_t varint_size(std::int32_t v) noexcept {
  return uvarint_size(zigzag(v));
}
inline constexpr std::size_t varlong_size(std::int64_t v) noexcept {
  return uvarint_size(zigzag(v));
}

// Writes at `p`, which must have room for the encoded size; returns the end.
inline char* write_uvarint(char* p, std::uint64_t u) noexcept {
  while (u >= 0x80) {
    *p++ = static_cast<char>(u | 0x80);
    u >>= 7;
  }
  *p++ = static_cast<char>(u);
  return p;
}
inline char* write_varint(char* p, std::int32_t v) noexcept { return write_uvarint(p, zigzag(v)); }
inline char* write_varlong(char* p, std::int64_t v) noexcept { return write_uvarint(p, zigzag(v)); }

enum class ReadStatus : std::uint8_t { ok, truncated, overflow };

inline const char* describe(ReadStatus status) noexcept {
  switch (status) {
    case ReadStatus::ok:
      return "ok";
    case ReadStatus::truncated:
      return "truncated varint";
    case ReadStatus::overflow:
      return "varint overflow";
  }
  return "?";
}

// Reads a zig-zag varint from [p, end) and advances `p`. Rejects encodings
// longer than the type allows and bits beyond its width, so a corrupt length
// cannot silently wrap.
inline ReadStatus read_varint(const char*& p, const char* end, std::int32_t& out) noexcept {
  std::uint32_t u = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (p == end) return ReadStatus::truncated;
    const auto b = static_cast<std::uint8_t>(*p++);
    if (shift == 28 && b > 0x0f) return ReadStatus::overflow;
    u |= static_cast<std::uint32_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  out = unzigzag(u);
  return ReadStatus::ok;
}

inline ReadStatus read_varlong(const char*& p, const char* end, std::int64_t& out) noexcept {
  std::uint64_t u = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (p == end) return ReadStatus::truncated;
    const auto b = static_cast<std::uint8_t>(*p++);
    if (shift == 63 && b > 0x01) return ReadStatus::overflow;
    u |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  out = unzigzag(u);
  return ReadStatus::ok;
}

}  // namespace junction::codec
