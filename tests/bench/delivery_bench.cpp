// Kernel delivery of 100-byte records from a preproduced backlog (in the page
// cache): a queue subscription shared by 4 consumers that ack every record one
// by one, and 10 broadcast subscribers. Each iteration drains the whole backlog
// through a new subscription; the time runs from subscribe to the last ack.
// Run: cmake --build build --target bench (or tests/delivery_bench).
// JUNCTION_DELIVERY_BENCH_RECORDS sets the backlog (default 2,000,000).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "junction/log.hpp"
#include "junction/record_batch.hpp"
#include "kernel/local_kernel.hpp"

namespace {

namespace fs = std::filesystem;
using namespace junction;
using SteadyClock = std::chrono::steady_clock;

constexpr int kRecordsPerBatch = 500;
constexpr std::size_t kValueBytes = 100;

std::int64_t backlog_records() {
  static const std::int64_t records = [] {
    const char* env = std::getenv("JUNCTION_DELIVERY_BENCH_RECORDS");
    const std::int64_t wanted = env ? std::atoll(env) : 2'000'000;
    return std::max<std::int64_t>(kRecordsPerBatch, wanted / kRecordsPerBatch * kRecordsPerBatch);
  }();
  return records;
}

fs::path bench_dir() {
  static const fs::path dir = [] {
    const char* env = std::getenv("JUNCTION_BENCH_DIR");
    fs::path base = env ? fs::path(env) : fs::temp_directory_path();
    auto dir = base / ("junction-delivery-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
  }();
  return dir;
}

const std::string& encoded_batch() {
  static const std::string batch = [] {
    const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
    std::vector<Record> records(kRecordsPerBatch);
    for (int i = 0; i < kRecordsPerBatch; ++i) {
      records[i].value = std::string(kValueBytes, char('a' + i % 26));
      records[i].timestamp_ms = now_ms + i;
    }
    return batch::encode(records).value();
  }();
  return batch;
}

// One kernel per partition count, with the backlog spread evenly over the
// partitions; built on first use and kept for every benchmark that wants it.
std::map<std::int32_t, std::unique_ptr<kernel::LocalKernel>>& kernels() {
  static std::map<std::int32_t, std::unique_ptr<kernel::LocalKernel>> all;
  return all;
}

kernel::LocalKernel& backlog(std::int32_t partitions) {
  auto& slot = kernels()[partitions];
  if (slot) return *slot;
  kernel::KernelOptions options;
  options.data_dir = bench_dir() / ("backlog-" + std::to_string(partitions));
  options.delivery.ack_timeout_ms = 600'000;  // no redelivery while a run drains
  options.topic_defaults.retention_ms = -1;
  slot = std::move(kernel::LocalKernel::open(options).value());
  (void)slot->create_topic("bench", partitions);
  const std::int64_t batches = backlog_records() / kRecordsPerBatch;
  for (std::int64_t i = 0; i < batches; ++i) {
    auto ack = slot->produce_batch_and_wait("bench", std::int32_t(i % partitions), encoded_batch());
    if (!ack) {
      std::fprintf(stderr, "preproduce failed: %s\n", ack.error().message.c_str());
      std::exit(1);
    }
  }
  return *slot;
}

// Counts records until a target is reached, and wakes the waiter then.
class Finish {
 public:
  explicit Finish(std::int64_t target) : target_(target) {}
  // Settles that the kernel refused: a run with any is reported as an error.
  std::atomic<std::int64_t> failures{0};

  void add(std::int64_t n) {
    if (done_.fetch_add(n, std::memory_order_relaxed) + n == target_) {
      std::lock_guard lock(mutex_);
      finished_ = true;
      cv_.notify_all();
    }
  }
  bool wait(std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return finished_; });
  }

 private:
  const std::int64_t target_;
  std::atomic<std::int64_t> done_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool finished_ = false;
};

// A consumer that acks every record individually, either inside the delivery
// callback or from its own thread (the callback then only queues the batch).
class AckingConsumer {
 public:
  AckingConsumer(Kernel& kernel, const SubscriptionSpec& spec, const ConsumerOptions& options,
                 bool inline_ack, Finish& finish)
      : inline_ack_(inline_ack), finish_(finish) {
    // Inline consumers need it too, for batches that come before subscribe returns.
    worker_ = std::thread([this] { run(); });
    auto subscribed = kernel.subscribe(spec, options,
                                       [this](DeliveryBatch batch) { on_batch(std::move(batch)); });
    std::lock_guard lock(mutex_);
    handle_ = std::move(subscribed.value());
    ready_.notify_all();
  }
  ~AckingConsumer() {
    handle_->detach();
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    worker_.join();
  }

 private:
  void on_batch(DeliveryBatch batch) {
    std::shared_ptr<Consumer> handle;
    {
      std::lock_guard lock(mutex_);
      if (!inline_ack_ || !handle_) {
        batches_.push_back(std::move(batch));
        ready_.notify_one();
        return;
      }
      handle = handle_;
    }
    ack_all(*handle, batch);
  }

  void ack_all(Consumer& handle, const DeliveryBatch& batch) {
    for (const auto& delivered : batch.records) {
      if (!handle.ack(delivered.partition, delivered.record->offset)) ++finish_.failures;
    }
    finish_.add(std::int64_t(batch.records.size()));
  }

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ready_.wait(lock, [&] { return stopping_ || (!batches_.empty() && handle_); });
      if (stopping_) return;
      std::deque<DeliveryBatch> work;
      work.swap(batches_);
      auto handle = handle_;
      lock.unlock();
      for (const auto& batch : work) ack_all(*handle, batch);
      lock.lock();
    }
  }

  const bool inline_ack_;
  Finish& finish_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<DeliveryBatch> batches_;
  std::shared_ptr<Consumer> handle_;
  bool stopping_ = false;
  std::thread worker_;
};

void report(benchmark::State& state, std::int64_t records, double seconds, const char* name) {
  state.counters[name] = benchmark::Counter(seconds > 0 ? double(records) / seconds : 0);
}

// Queue mode: 4 consumers of one subscription, each record acked on its own.
// Args: ack inline (1) or from the consumer's thread (0); partitions; window.
void BM_QueueAckEach(benchmark::State& state) {
  const bool inline_ack = state.range(0) == 1;
  const auto partitions = std::int32_t(state.range(1));
  ConsumerOptions options;
  options.max_unacked_records = std::uint32_t(state.range(2));
  auto& kernel = backlog(partitions);
  const std::int64_t total = backlog_records();
  static int round = 0;
  double seconds = 0;
  std::int64_t delivered = 0;
  for (auto _ : state) {
    SubscriptionSpec spec;
    spec.topic = "bench";
    spec.name = "queue-" + std::to_string(round++);
    spec.mode = DeliveryMode::queue;
    spec.start = StartPosition::earliest();
    Finish finish(total);
    const auto start = SteadyClock::now();
    {
      std::vector<std::unique_ptr<AckingConsumer>> consumers;
      for (int i = 0; i < 4; ++i) {
        consumers.push_back(
            std::make_unique<AckingConsumer>(kernel, spec, options, inline_ack, finish));
      }
      if (!finish.wait(std::chrono::seconds(300))) {
        state.SkipWithError("the backlog was not drained in time");
        break;
      }
      const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
      state.SetIterationTime(elapsed);
      seconds += elapsed;
      delivered += total;
    }
    // Everything was acked: the floors reached the end of every partition.
    std::int64_t floors = 0;
    for (const auto& info : kernel.list_subscriptions("bench")) {
      if (info.name != spec.name) continue;
      for (const auto floor : info.ack_floor) floors += floor;
    }
    (void)kernel.delete_subscription("bench", spec.name);
    if (finish.failures.load() != 0 || floors != total) {
      state.SkipWithError("acks were refused or records left unacked");
      break;
    }
  }
  report(state, delivered, seconds, "acked/s");
}
BENCHMARK(BM_QueueAckEach)
    ->ArgNames({"inline", "partitions", "window"})
    ->Args({1, 1, 1000})
    ->Args({0, 1, 1000})
    ->Args({1, 4, 1000})
    ->Args({0, 4, 1000})
    ->Args({1, 4, 10000})
    ->Args({0, 4, 10000})
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);

// Broadcast: 10 private subscribers from the earliest record, each acking a
// batch with one ack_through per partition inside the callback.
void BM_Broadcast10(benchmark::State& state) {
  const auto partitions = std::int32_t(state.range(0));
  const auto window = std::uint32_t(state.range(1));
  constexpr int kSubscribers = 10;
  auto& kernel = backlog(partitions);
  const std::int64_t total = backlog_records();
  double seconds = 0;
  std::int64_t delivered = 0;
  for (auto _ : state) {
    SubscriptionSpec spec;
    spec.topic = "bench";
    spec.mode = DeliveryMode::broadcast;
    spec.start = StartPosition::earliest();
    ConsumerOptions options;
    options.max_unacked_records = window;
    options.max_unacked_bytes = std::uint64_t(window) * 1024;
    Finish finish(total * kSubscribers);
    std::vector<std::shared_ptr<Consumer>> handles(kSubscribers);
    std::mutex handles_mutex;
    const auto start = SteadyClock::now();
    for (int i = 0; i < kSubscribers; ++i) {
      // Delivery may start before subscribe returns: such a batch is acked by
      // the test thread right after (rare, and only the first one).
      auto pending = std::make_shared<std::vector<DeliveryBatch>>();
      auto subscribed = kernel.subscribe(spec, options, [&, i, pending](DeliveryBatch batch) {
        std::shared_ptr<Consumer> handle;
        {
          std::lock_guard lock(handles_mutex);
          handle = handles[std::size_t(i)];
          if (!handle) {
            pending->push_back(std::move(batch));
            return;
          }
        }
        std::map<std::int32_t, std::int64_t> last;
        for (const auto& delivered : batch.records) {
          auto& top = last[delivered.partition];
          top = std::max(top, delivered.record->offset);
        }
        for (const auto& [partition, offset] : last) {
          if (!handle->ack_through(partition, offset)) ++finish.failures;
        }
        finish.add(std::int64_t(batch.records.size()));
      });
      std::vector<DeliveryBatch> early;
      {
        std::lock_guard lock(handles_mutex);
        handles[std::size_t(i)] = subscribed.value();
        early.swap(*pending);
      }
      for (const auto& batch : early) {
        for (const auto& delivered : batch.records) {
          if (!handles[std::size_t(i)]->ack(delivered.partition, delivered.record->offset)) {
            ++finish.failures;
          }
        }
        finish.add(std::int64_t(batch.records.size()));
      }
    }
    const bool drained = finish.wait(std::chrono::seconds(300));
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
    for (auto& handle : handles) handle->detach();
    if (!drained || finish.failures.load() != 0) {
      state.SkipWithError("the subscribers did not get every record in time, or acks failed");
      break;
    }
    state.SetIterationTime(elapsed);
    seconds += elapsed;
    delivered += total;
  }
  report(state, delivered, seconds, "per_subscriber/s");
  report(state, delivered * kSubscribers, seconds, "total/s");
}
BENCHMARK(BM_Broadcast10)
    ->ArgNames({"partitions", "window"})
    ->Args({1, 1000})
    ->Args({4, 1000})
    ->Args({4, 10000})
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  Logger::set_level(LogLevel::warn);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  kernels().clear();
  std::error_code ignored;
  fs::remove_all(bench_dir(), ignored);
  return 0;
}
