#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "junction/result.hpp"
#include "storage/partition_log.hpp"

namespace junction::kernel {

// The kernel's background I/O thread. It runs group commits for flush =
// "always": every append waiting for durability queued while one fsync runs
// is covered by the next single fsync of its partition. Between requests it
// runs the periodic work (interval fsync, retention) on a fixed tick.
class Flusher {
 public:
  using SyncDone = std::function<void(Result<void>)>;

  Flusher(std::chrono::milliseconds tick, std::function<void()> periodic);
  ~Flusher();  // completes every queued sync first
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;

  // Calls `done` once `log` is fsynced at least up to `end_offset`.
  void request_sync(std::shared_ptr<storage::PartitionLog> log, std::int64_t end_offset,
                    SyncDone done);

 private:
  struct SyncRequest {
    std::shared_ptr<storage::PartitionLog> log;
    std::int64_t end_offset;
    SyncDone done;
  };
  void run();
  static void complete(std::vector<SyncRequest>& requests);

  const std::chrono::milliseconds tick_;
  const std::function<void()> periodic_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<SyncRequest> requests_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace junction::kernel
