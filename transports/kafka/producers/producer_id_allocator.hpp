#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace junction::kafka {

// Hands out idempotent producer ids that stay unique across broker restarts
// without storing anything: an id is the wall clock in milliseconds shifted
// left by 16, or the previous id + 1 when that is larger. A restarted broker
// starts above every id its predecessor gave out unless the predecessor
// averaged more than 65 536 ids per millisecond of its run.
class ProducerIdAllocator {
 public:
  std::int64_t next() {
    auto last = last_.load(std::memory_order_relaxed);
    for (;;) {
      const auto from_clock = now_ms() << kCounterBits;
      const auto candidate = from_clock > last ? from_clock : last + 1;
      if (last_.compare_exchange_weak(last, candidate, std::memory_order_relaxed)) return candidate;
    }
  }

 private:
  static constexpr int kCounterBits = 16;

  static std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  std::atomic<std::int64_t> last_{0};
};

}  // namespace junction::kafka
