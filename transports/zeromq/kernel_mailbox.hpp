#pragma once

#include <functional>
#include <mutex>
#include <vector>

namespace junction::zeromq {

// How kernel threads hand work to the I/O thread: a queue plus an eventfd the
// I/O thread polls next to its sockets, since sockets must stay on one thread.
class KernelMailbox {
 public:
  using Task = std::function<void()>;

  KernelMailbox();
  ~KernelMailbox();
  KernelMailbox(const KernelMailbox&) = delete;
  KernelMailbox& operator=(const KernelMailbox&) = delete;

  // Thread-safe; wakes the I/O thread.
  void post(Task task);
  // The fd that turns readable when tasks are waiting.
  int wake_fd() const { return fd_; }
  // I/O thread: runs every task posted so far.
  void run_pending();

 private:
  int fd_;
  std::mutex mutex_;
  std::vector<Task> tasks_;
};

}  // namespace junction::zeromq
