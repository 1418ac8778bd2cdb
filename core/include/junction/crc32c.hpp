#pragma once

#include <cstdint>
#include <string_view>

namespace junction {

// CRC-32C (Castagnoli), as RecordBatch v2 uses. `crc` continues a previous value.
std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0) noexcept;

}  // namespace junction
