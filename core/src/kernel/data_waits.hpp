#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "junction/kernel.hpp"

namespace junction::kernel {

using Clock = std::chrono::steady_clock;

// One wait_for_data call. Whoever wins the state change from pending (an
// append, the deadline, or cancel) is the only one to touch the callback.
class PendingWait final : public DataWait {
 public:
  PendingWait(std::int64_t offset, Clock::time_point deadline, std::function<void(bool)> wake)
      : offset_(offset), deadline_(deadline), wake_(std::move(wake)) {}

  void cancel() override;
  bool fire(bool data_available);
  bool pending() const { return state_.load(std::memory_order_acquire) == kPending; }
  std::int64_t offset() const { return offset_; }
  Clock::time_point deadline() const { return deadline_; }

 private:
  static constexpr int kPending = 0, kRunning = 1, kDone = 2;
  const std::int64_t offset_;
  const Clock::time_point deadline_;
  std::function<void(bool)> wake_;
  std::atomic<int> state_{kPending};
  std::atomic<std::thread::id> runner_{};
};

// The waits on one partition, woken when its high watermark moves.
class PartitionWaits {
 public:
  void add(std::shared_ptr<PendingWait> wait);
  // Fires (outside the lock) every wait whose offset is below high_watermark.
  void notify(std::int64_t high_watermark);
  // Fires every wait with data_available = true, e.g. when the topic is
  // deleted, so waiters come back and see the new state.
  void wake_all();

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<PendingWait>> waits_;
};

// Fires the deadlines of every pending wait of the kernel, on one thread.
class DeadlineTimer {
 public:
  DeadlineTimer();
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  void schedule(const std::shared_ptr<PendingWait>& wait);

 private:
  struct Entry {
    Clock::time_point deadline;
    std::weak_ptr<PendingWait> wait;
    bool operator>(const Entry& other) const { return deadline > other.deadline; }
  };
  void run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> entries_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace junction::kernel
