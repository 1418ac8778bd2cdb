#include "kernel/data_waits.hpp"

#include <algorithm>

namespace junction::kernel {

void PendingWait::cancel() {
  int expected = kPending;
  if (state_.compare_exchange_strong(expected, kDone, std::memory_order_acq_rel)) {
    wake_ = nullptr;  // drop what the callback captured now, not when the wait is pruned
    return;
  }
  // A callback already running elsewhere may still use what its owner is about
  // to destroy: wait for it, unless cancel is called from inside it.
  while (state_.load(std::memory_order_acquire) == kRunning &&
         runner_.load(std::memory_order_acquire) != std::this_thread::get_id()) {
    std::this_thread::yield();
  }
}

bool PendingWait::fire(bool data_available) {
  int expected = kPending;
  if (!state_.compare_exchange_strong(expected, kRunning, std::memory_order_acq_rel)) return false;
  runner_.store(std::this_thread::get_id(), std::memory_order_release);
  auto wake = std::move(wake_);
  wake(data_available);
  state_.store(kDone, std::memory_order_release);
  return true;
}

void PartitionWaits::add(std::shared_ptr<PendingWait> wait) {
  std::lock_guard lock(mutex_);
  // Cancelled or expired waits are pruned here too, so an idle partition's
  // list cannot grow without bound.
  if (waits_.size() >= 64) {
    std::erase_if(waits_, [](const auto& w) { return !w->pending(); });
  }
  waits_.push_back(std::move(wait));
}

void PartitionWaits::notify(std::int64_t high_watermark) {
  std::vector<std::shared_ptr<PendingWait>> ready;
  {
    std::lock_guard lock(mutex_);
    if (waits_.empty()) return;
    auto keep = std::partition(waits_.begin(), waits_.end(), [&](const auto& w) {
      return w->pending() && w->offset() >= high_watermark;
    });
    ready.assign(std::make_move_iterator(keep), std::make_move_iterator(waits_.end()));
    waits_.erase(keep, waits_.end());
  }
  for (const auto& wait : ready) wait->fire(true);
}

void PartitionWaits::wake_all() {
  std::vector<std::shared_ptr<PendingWait>> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(waits_);
  }
  for (const auto& wait : all) wait->fire(true);
}

DeadlineTimer::DeadlineTimer() : thread_([this] { run(); }) {}

DeadlineTimer::~DeadlineTimer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void DeadlineTimer::schedule(const std::shared_ptr<PendingWait>& wait) {
  bool earliest;
  {
    std::lock_guard lock(mutex_);
    earliest = entries_.empty() || wait->deadline() < entries_.top().deadline;
    entries_.push(Entry{wait->deadline(), wait});
  }
  if (earliest) changed_.notify_one();
}

void DeadlineTimer::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (entries_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const auto next = entries_.top().deadline;
    if (Clock::now() < next) {
      changed_.wait_until(lock, next);
      continue;
    }
    auto wait = entries_.top().wait.lock();
    entries_.pop();
    if (!wait) continue;
    lock.unlock();
    wait->fire(false);
    lock.lock();
  }
}

}  // namespace junction::kernel
