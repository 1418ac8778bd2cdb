#include "junction/partitioner.hpp"

namespace junction {

// Java's int arithmetic wraps and `>>>` is a logical shift, so the whole hash
// runs on uint32_t and only the result is reinterpreted as signed.
std::int32_t murmur2(std::string_view data) noexcept {
  constexpr std::uint32_t seed = 0x9747b28cu;
  constexpr std::uint32_t m = 0x5bd1e995u;
  constexpr int r = 24;

  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t length = data.size();
  // Java hashes an int length; keys are far below 2 GiB.
  std::uint32_t h = seed ^ static_cast<std::uint32_t>(length);

  const std::size_t whole = length & ~std::size_t{3};
  for (std::size_t i = 0; i < whole; i += 4) {
    std::uint32_t k = std::uint32_t(bytes[i]) | std::uint32_t(bytes[i + 1]) << 8 |
                      std::uint32_t(bytes[i + 2]) << 16 | std::uint32_t(bytes[i + 3]) << 24;
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }

  switch (length & 3) {
    case 3:
      h ^= std::uint32_t(bytes[whole + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= std::uint32_t(bytes[whole + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= std::uint32_t(bytes[whole]);
      h *= m;
  }

  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}

std::int32_t partition_for_key(std::string_view key, std::int32_t partition_count) noexcept {
  // No partition can be chosen; -1 is never a valid index, unlike 0.
  if (partition_count <= 0) return -1;
  return (murmur2(key) & 0x7fffffff) % partition_count;
}

}  // namespace junction
