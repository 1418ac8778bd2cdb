#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace junction::amqp {

// Counts kernel callbacks (produce acknowledgements) that have been asked for
// but have not finished, so stop() returns only once none can still run.
class KernelCallbackTracker {
 public:
  void started();
  void finished();
  // False if callbacks are still pending at the deadline.
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  std::size_t pending_ = 0;
};

}  // namespace junction::amqp
