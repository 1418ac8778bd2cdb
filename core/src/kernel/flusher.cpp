#include "kernel/flusher.hpp"

#include <map>

namespace junction::kernel {

Flusher::Flusher(std::chrono::milliseconds tick, std::function<void()> periodic)
    : tick_(tick), periodic_(std::move(periodic)), thread_([this] { run(); }) {}

Flusher::~Flusher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void Flusher::request_sync(std::shared_ptr<storage::PartitionLog> log, std::int64_t end_offset,
                           SyncDone done) {
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(SyncRequest{std::move(log), end_offset, std::move(done)});
  }
  changed_.notify_one();
}

void Flusher::complete(std::vector<SyncRequest>& requests) {
  std::map<storage::PartitionLog*, Result<std::int64_t>> flushed;
  for (const auto& request : requests) {
    if (!flushed.contains(request.log.get()))
      flushed.emplace(request.log.get(), request.log->flush());
  }
  for (auto& request : requests) {
    const auto& result = flushed.at(request.log.get());
    if (!result) {
      request.done(result.error());
    } else if (*result < request.end_offset) {
      request.done(make_error(Errc::io_error, "fsync did not cover the appended records"));
    } else {
      request.done(Result<void>{});
    }
  }
  requests.clear();
}

void Flusher::run() {
  auto next_tick = std::chrono::steady_clock::now() + tick_;
  std::vector<SyncRequest> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait_until(lock, next_tick, [&] { return stopping_ || !requests_.empty(); });
    batch.swap(requests_);
    const bool stopping = stopping_;
    const bool tick_due = std::chrono::steady_clock::now() >= next_tick;
    lock.unlock();

    if (!batch.empty()) complete(batch);
    if (tick_due) {
      periodic_();
      next_tick = std::chrono::steady_clock::now() + tick_;
    }

    lock.lock();
    if (stopping && requests_.empty()) return;
  }
}

}  // namespace junction::kernel
