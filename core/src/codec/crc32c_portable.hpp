#pragma once

#include <cstdint>
#include <string_view>

namespace junction::codec {

// The table-driven implementation behind junction::crc32c on CPUs without
// SSE4.2; exposed so tests can check it on machines that have SSE4.2.
std::uint32_t crc32c_portable(std::string_view data, std::uint32_t crc = 0) noexcept;

}  // namespace junction::codec
