#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

namespace junction {

// Kafka's murmur2 (the Java client's Utils.murmur2), so a key lands on the same
// partition whichever protocol produced it.
std::int32_t murmur2(std::string_view data) noexcept;

// Kafka's default for keyed records: positive murmur2 modulo the partition count.
std::int32_t partition_for_key(std::string_view key, std::int32_t partition_count) noexcept;

}  // namespace junction
