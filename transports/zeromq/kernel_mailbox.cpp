#include "kernel_mailbox.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

namespace junction::zeromq {

KernelMailbox::KernelMailbox() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error("eventfd failed");
}

KernelMailbox::~KernelMailbox() { close(fd_); }

void KernelMailbox::post(Task task) {
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    was_empty = tasks_.empty();
    tasks_.push_back(std::move(task));
  }
  // One wake-up per batch of posts: the I/O thread drains the whole queue.
  if (was_empty) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = write(fd_, &one, sizeof one);
  }
}

void KernelMailbox::run_pending() {
  std::uint64_t count;
  [[maybe_unused]] auto read_bytes = read(fd_, &count, sizeof count);
  std::vector<Task> tasks;
  {
    std::lock_guard lock(mutex_);
    tasks.swap(tasks_);
  }
  for (auto& task : tasks) task();
}

}  // namespace junction::zeromq
