#include "kernel_callback_tracker.hpp"

namespace junction::amqp {

void KernelCallbackTracker::started() {
  std::lock_guard lock(mutex_);
  ++pending_;
}

void KernelCallbackTracker::finished() {
  std::lock_guard lock(mutex_);
  if (--pending_ == 0) idle_.notify_all();
}

bool KernelCallbackTracker::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return pending_ == 0; });
}

}  // namespace junction::amqp
