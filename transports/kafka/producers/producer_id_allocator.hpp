#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace junction::kafka {

// Hands out idempotent producer ids that stay unique across broker restarts
// and across the brokers of a cluster without storing anything. A sequence
// number is the wall clock in milliseconds shifted left by 8, or the previous
// one + 1 when that is larger; the id is that number shifted left by 8 more,
// with the low 8 bits of the broker id below. A restarted broker starts above
// every id its predecessor gave out unless the predecessor averaged more than
// 256 ids per millisecond of its run; two brokers collide only if their ids
// are equal modulo 256.
class ProducerIdAllocator {
 public:
  explicit ProducerIdAllocator(std::int32_t broker_id) : broker_bits_(broker_id & 0xff) {}

  std::int64_t next() {
    auto last = last_.load(std::memory_order_relaxed);
    for (;;) {
      const auto from_clock = now_ms() << kCounterBits;
      const auto candidate = from_clock > last ? from_clock : last + 1;
      if (last_.compare_exchange_weak(last, candidate, std::memory_order_relaxed)) {
        return (candidate << kBrokerBits) | broker_bits_;
      }
    }
  }

 private:
  static constexpr int kCounterBits = 8;
  static constexpr int kBrokerBits = 8;

  static std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  const std::int64_t broker_bits_;
  std::atomic<std::int64_t> last_{0};
};

}  // namespace junction::kafka
