#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace junction::kernel {

// Something with deliveries to make; it is run on one dispatcher thread at a
// time, and scheduling it while it runs makes it run once more.
class Dispatchable {
 public:
  virtual ~Dispatchable() = default;
  virtual void dispatch() = 0;

 private:
  friend class Dispatcher;
  bool queued_ = false;  // guarded by the dispatcher's mutex
};

// The kernel's delivery threads.
class Dispatcher {
 public:
  explicit Dispatcher(unsigned threads);
  ~Dispatcher();  // runs nothing more; joins
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void schedule(const std::shared_ptr<Dispatchable>& work);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::shared_ptr<Dispatchable>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace junction::kernel
