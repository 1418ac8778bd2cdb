#pragma once

#include <chrono>
#include <cstdint>

namespace junction::kernel {

// Milliseconds since the epoch: the unit of record timestamps, retention and
// ack deadlines.
inline std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace junction::kernel
