#include "kernel/dispatcher.hpp"

namespace junction::kernel {

Dispatcher::Dispatcher(unsigned threads) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { run(); });
}

Dispatcher::~Dispatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  ready_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void Dispatcher::schedule(const std::shared_ptr<Dispatchable>& work) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || work->queued_) return;
    work->queued_ = true;
    queue_.push_back(work);
  }
  ready_.notify_one();
}

void Dispatcher::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    auto work = std::move(queue_.front());
    queue_.pop_front();
    // Cleared before running, so work scheduled meanwhile runs again; the
    // work itself keeps two threads out of its dispatch().
    work->queued_ = false;
    lock.unlock();
    work->dispatch();
    work.reset();
    lock.lock();
  }
}

}  // namespace junction::kernel
