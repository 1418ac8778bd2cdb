// Durable delivery state across restarts: a clean close, a kill -9 under
// flush = "always" and "interval", and Kafka group offsets.
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "junction/log.hpp"
#include "kernel/local_kernel.hpp"
#include "support/junctiond_process.hpp"

namespace junction::kernel {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
using PartitionOffset = std::pair<std::int32_t, std::int64_t>;

// Collects deliveries and acks each one from its own thread.
class AckingConsumer {
 public:
  // `should_ack` runs on the worker thread; default: ack everything.
  AckingConsumer(Kernel& kernel, const SubscriptionSpec& spec,
                 std::function<bool(std::int32_t, std::int64_t)> should_ack = {})
      : should_ack_(std::move(should_ack)) {
    worker_ = std::thread([this] { run(); });
    auto subscribed = kernel.subscribe(spec, {}, [this](DeliveryBatch batch) {
      {
        std::lock_guard lock(mutex_);
        for (const auto& delivered : batch.records) {
          received_.push_back({delivered.partition, delivered.record->offset});
          queue_.push_back({delivered.partition, delivered.record->offset});
        }
      }
      changed_.notify_all();
    });
    std::lock_guard lock(mutex_);
    if (subscribed) handle_ = std::move(subscribed.value());
    changed_.notify_all();
  }
  ~AckingConsumer() {
    detach();
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    worker_.join();
  }

  bool ok() {
    std::lock_guard lock(mutex_);
    return handle_ != nullptr;
  }
  void detach() {
    std::shared_ptr<Consumer> handle;
    {
      std::lock_guard lock(mutex_);
      handle = handle_;
    }
    if (handle) handle->detach();
  }
  template <class Done>
  bool wait(Done done, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(received_, acked_); });
  }
  std::vector<PartitionOffset> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::vector<PartitionOffset> acked() {
    std::lock_guard lock(mutex_);
    return acked_;
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(lock, [&] { return stopping_ || (!queue_.empty() && handle_); });
      if (stopping_) return;
      const auto [partition, offset] = queue_.front();
      queue_.pop_front();
      auto handle = handle_;
      lock.unlock();
      bool acked = false;
      if (!should_ack_ || should_ack_(partition, offset))
        acked = handle->ack(partition, offset).ok();
      lock.lock();
      if (acked) acked_.push_back({partition, offset});
      changed_.notify_all();
    }
  }

  std::function<bool(std::int32_t, std::int64_t)> should_ack_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<PartitionOffset> received_, acked_;
  std::deque<PartitionOffset> queue_;
  std::shared_ptr<Consumer> handle_;
  bool stopping_ = false;
  std::thread worker_;
};

SubscriptionSpec queue_spec(std::string topic, std::string name) {
  SubscriptionSpec spec;
  spec.topic = std::move(topic);
  spec.name = std::move(name);
  spec.mode = DeliveryMode::queue;
  return spec;
}

std::vector<std::int64_t> ack_floor(Kernel& kernel, const std::string& topic,
                                    const std::string& name) {
  for (auto& info : kernel.list_subscriptions(topic)) {
    if (info.name == name) return info.ack_floor;
  }
  return {};
}

class SubscriptionRestartTest : public ::testing::Test {
 protected:
  KernelOptions options(FlushPolicy flush = FlushPolicy::interval) const {
    KernelOptions options;
    options.data_dir = dir_.path() / "data";
    options.topic_defaults.flush = flush;
    options.delivery.ack_timeout_ms = 60'000;  // nothing is redelivered by a timeout here
    return options;
  }
  std::unique_ptr<LocalKernel> open(FlushPolicy flush = FlushPolicy::interval) const {
    auto kernel = LocalKernel::open(options(flush));
    EXPECT_TRUE(kernel) << kernel.error().message;
    return kernel ? std::move(kernel.value()) : nullptr;
  }

  TempDir dir_;
};

void produce(Kernel& kernel, const std::string& topic, std::int32_t partition, int count) {
  for (int done = 0; done < count;) {
    std::vector<Record> records;
    for (; done < count && records.size() < 100; ++done) {
      Record record;
      record.value = "v" + std::to_string(done);
      records.push_back(std::move(record));
    }
    ASSERT_TRUE(kernel.produce_and_wait(topic, partition, std::move(records)));
  }
}

TEST_F(SubscriptionRestartTest, AcksBeyondALostLogTailDoNotHideNewRecords) {
  {
    auto kernel = open();
    ASSERT_TRUE(kernel->create_topic("jobs", 1));
    produce(*kernel, "jobs", 0, 10);
    AckingConsumer consumer(*kernel, queue_spec("jobs", "q"));
    ASSERT_TRUE(consumer.ok());
    ASSERT_TRUE(testing::wait_until(
        [&] { return ack_floor(*kernel, "jobs", "q") == std::vector<std::int64_t>{10}; }));
    kernel.reset();
  }
  // As after a machine crash that kept the journal's acks but not the log's
  // tail: the records are gone, their acks are not.
  std::filesystem::resize_file(dir_.path() / "data" / "jobs" / "0" / "00000000000000000000.log", 0);
  auto kernel = open();
  EXPECT_EQ(ack_floor(*kernel, "jobs", "q"), (std::vector<std::int64_t>{0}));
  AckingConsumer consumer(*kernel, queue_spec("jobs", "q"));
  produce(*kernel, "jobs", 0, 3);
  ASSERT_TRUE(consumer.wait([&](const auto& received, const auto&) {
    return received.size() == 3;
  })) << "records written after the lost tail were skipped";
}

TEST_F(SubscriptionRestartTest, CleanRestartRedeliversExactlyTheUnackedRecords) {
  constexpr int kPerPartition = 100;
  {
    auto kernel = open();
    ASSERT_TRUE(kernel->create_topic("jobs", 2));
    produce(*kernel, "jobs", 0, kPerPartition);
    produce(*kernel, "jobs", 1, kPerPartition);
    // Acks the even offsets only, so what is acked is not a prefix.
    AckingConsumer consumer(*kernel, queue_spec("jobs", "q"),
                            [](std::int32_t, std::int64_t offset) { return offset % 2 == 0; });
    ASSERT_TRUE(consumer.ok());
    ASSERT_TRUE(consumer.wait([&](const auto& received, const auto& acked) {
      return received.size() == 2 * kPerPartition && acked.size() == kPerPartition;
    }));
    // The kernel closes with the consumer still attached, as a broker does.
    kernel.reset();
  }

  {
    auto kernel = open();
    EXPECT_EQ(ack_floor(*kernel, "jobs", "q"), (std::vector<std::int64_t>{1, 1}));
    AckingConsumer consumer(*kernel, queue_spec("jobs", "q"));
    ASSERT_TRUE(consumer.ok());
    ASSERT_TRUE(testing::wait_until([&] {
      return ack_floor(*kernel, "jobs", "q") ==
             std::vector<std::int64_t>{kPerPartition, kPerPartition};
    })) << "the unacked records were not all redelivered";
    std::multiset<PartitionOffset> expected, received;
    for (std::int32_t p = 0; p < 2; ++p) {
      for (std::int64_t o = 1; o < kPerPartition; o += 2) expected.insert({p, o});
    }
    for (const auto& delivery : consumer.received()) received.insert(delivery);
    EXPECT_TRUE(received == expected) << "redelivered " << received.size() << " records, expected "
                                      << expected.size() << " (the odd offsets, once each)";
  }

  // All acked now: a third life delivers only what is new.
  auto kernel = open();
  AckingConsumer consumer(*kernel, queue_spec("jobs", "q"));
  ASSERT_TRUE(consumer.ok());
  produce(*kernel, "jobs", 0, 1);
  ASSERT_TRUE(consumer.wait([](const auto& received, const auto&) { return !received.empty(); }));
  ASSERT_TRUE(testing::wait_until([&] {
    return ack_floor(*kernel, "jobs", "q") ==
           std::vector<std::int64_t>{kPerPartition + 1, kPerPartition};
  }));
  EXPECT_THAT(consumer.received(), ::testing::ElementsAre(PartitionOffset{0, kPerPartition}));
}

// ---------------------------------------------------------------------------
// kill -9

// What the child reports through the pipe, one fixed-size message each.
struct Report {
  char kind;  // 'P' produced everything, 'S' about to ack, 'A' ack returned ok, 'E' error
  std::int32_t partition;
  std::int64_t offset;
};

constexpr std::int32_t kCrashPartitions = 2;
constexpr int kCrashPerPartition = 1500;
constexpr int kStopAckingAt = 2000;  // of 3000: the rest stays unacked whatever the timing
constexpr int kKillAfterAcks = 800;

void write_report(int fd, char kind, std::int32_t partition = 0, std::int64_t offset = 0) {
  Report report{kind, partition, offset};
  const char* bytes = reinterpret_cast<const char*>(&report);
  std::size_t left = sizeof report;
  while (left > 0) {
    const ssize_t n = ::write(fd, bytes, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(3);
    bytes += n;
    left -= std::size_t(n);
  }
}

// The child: a fresh single-threaded image after fork(), so it may start a
// kernel of its own. It never returns; the parent kills it.
[[noreturn]] void crash_child(const KernelOptions& options, int fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  Logger::set_level(LogLevel::warn);
  auto opened = LocalKernel::open(options);
  if (!opened) {
    write_report(fd, 'E');
    ::_exit(2);
  }
  auto& kernel = **opened;
  if (!kernel.create_topic("crash", kCrashPartitions)) {
    write_report(fd, 'E');
    ::_exit(2);
  }
  for (std::int32_t p = 0; p < kCrashPartitions; ++p) {
    for (int done = 0; done < kCrashPerPartition; done += 100) {
      std::vector<Record> records(100);
      for (auto& record : records) record.value = std::string(50, 'c');
      if (!kernel.produce_and_wait("crash", p, std::move(records))) {
        write_report(fd, 'E');
        ::_exit(2);
      }
    }
  }
  write_report(fd, 'P');

  std::mutex mutex;
  std::condition_variable ready;
  std::deque<PartitionOffset> queue;
  auto consumer = kernel.subscribe(queue_spec("crash", "q"), {}, [&](DeliveryBatch batch) {
    {
      std::lock_guard lock(mutex);
      for (const auto& delivered : batch.records) {
        queue.push_back({delivered.partition, delivered.record->offset});
      }
    }
    ready.notify_one();
  });
  if (!consumer) {
    write_report(fd, 'E');
    ::_exit(2);
  }
  int acks = 0;
  for (;;) {
    PartitionOffset next;
    {
      std::unique_lock lock(mutex);
      ready.wait(lock, [&] { return !queue.empty(); });
      next = queue.front();
      queue.pop_front();
    }
    // Every seventh record stays unacked, so the acked set has holes.
    if (acks >= kStopAckingAt || next.second % 7 == 3) continue;
    write_report(fd, 'S', next.first, next.second);
    if (!(*consumer)->ack(next.first, next.second)) {
      write_report(fd, 'E', next.first, next.second);
      continue;
    }
    write_report(fd, 'A', next.first, next.second);
    ++acks;
  }
}

struct CrashOutcome {
  bool produced = false;
  std::set<PartitionOffset> started, acked;
  std::vector<std::string> errors;
};

// Reads whole reports from `fd` until `stop(outcome)` holds, EOF, or the
// deadline; true if `stop` held.
template <class Stop>
bool read_reports(int fd, CrashOutcome& outcome, std::string& buffer, Stop stop,
                  std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    while (buffer.size() >= sizeof(Report)) {
      Report report;
      std::memcpy(&report, buffer.data(), sizeof report);
      buffer.erase(0, sizeof report);
      const PartitionOffset where{report.partition, report.offset};
      switch (report.kind) {
        case 'P':
          outcome.produced = true;
          break;
        case 'S':
          outcome.started.insert(where);
          break;
        case 'A':
          outcome.acked.insert(where);
          break;
        default:
          outcome.errors.push_back("child error at " + std::to_string(report.partition) + "/" +
                                   std::to_string(report.offset));
      }
    }
    if (stop(outcome)) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return false;
    pollfd pfd{fd, POLLIN, 0};
    const int polled = ::poll(&pfd, 1, int(left.count()));
    if (polled < 0 && errno == EINTR) continue;
    if (polled <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // EOF: the child is gone
    buffer.append(chunk, std::size_t(n));
  }
}

// Runs the child, kills it mid-stream, and returns what it reported.
CrashOutcome crash_mid_stream(const KernelOptions& options) {
  CrashOutcome outcome;
  int fds[2];
  if (::pipe(fds) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return outcome;
  }
  // No kernel exists in this process yet, so no other thread is running.
  const pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return outcome;
  }
  if (pid == 0) {
    ::close(fds[0]);
    crash_child(options, fds[1]);
  }
  ::close(fds[1]);
  std::string buffer;
  const bool reached = read_reports(
      fds[0], outcome, buffer,
      [](const CrashOutcome& o) { return o.acked.size() >= kKillAfterAcks || !o.errors.empty(); },
      std::chrono::steady_clock::now() + 60s);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  // Whatever the child wrote before it died.
  read_reports(
      fds[0], outcome, buffer, [](const CrashOutcome&) { return false; },
      std::chrono::steady_clock::now() + 10s);
  ::close(fds[0]);
  EXPECT_TRUE(reached) << "the child did not get to " << kKillAfterAcks << " acks (got "
                       << outcome.acked.size() << ")";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child ended on its own, status " << status;
  EXPECT_TRUE(outcome.produced);
  EXPECT_THAT(outcome.errors, ::testing::IsEmpty());
  return outcome;
}

// Reopens after the crash and collects every redelivery.
std::multiset<PartitionOffset> redeliver_after_crash(const KernelOptions& options) {
  std::multiset<PartitionOffset> redelivered;
  auto opened = LocalKernel::open(options);
  EXPECT_TRUE(opened) << opened.error().message;
  if (!opened) return redelivered;
  auto& kernel = **opened;
  for (std::int32_t p = 0; p < kCrashPartitions; ++p) {
    EXPECT_EQ(kernel.offsets("crash", p)->high_watermark, kCrashPerPartition)
        << "acknowledged records were lost";
  }
  EXPECT_TRUE(ack_floor(kernel, "crash", "q").size() == std::size_t(kCrashPartitions))
      << "the subscription was not recovered";
  AckingConsumer consumer(kernel, queue_spec("crash", "q"));
  EXPECT_TRUE(consumer.ok());
  EXPECT_TRUE(testing::wait_until([&] {
    return ack_floor(kernel, "crash", "q") ==
           std::vector<std::int64_t>(kCrashPartitions, kCrashPerPartition);
  })) << "not everything was redelivered";
  consumer.detach();
  for (const auto& delivery : consumer.received()) redelivered.insert(delivery);
  return redelivered;
}

TEST_F(SubscriptionRestartTest, KillNineWithFlushAlwaysLosesNothingAndRepeatsNoAck) {
  const auto opts = options(FlushPolicy::always);
  const CrashOutcome crash = crash_mid_stream(opts);
  ASSERT_FALSE(HasFailure());
  const auto redelivered = redeliver_after_crash(opts);

  std::size_t missing = 0, repeated = 0, duplicated = 0;
  for (std::int32_t p = 0; p < kCrashPartitions; ++p) {
    for (std::int64_t o = 0; o < kCrashPerPartition; ++o) {
      const PartitionOffset where{p, o};
      const auto count = redelivered.count(where);
      if (count > 1) ++duplicated;
      if (!crash.started.contains(where) && count == 0) {
        if (++missing <= 5) ADD_FAILURE() << "unacked " << p << "/" << o << " was lost";
      }
      if (crash.acked.contains(where) && count > 0) {
        if (++repeated <= 5) ADD_FAILURE() << "acked " << p << "/" << o << " was redelivered";
      }
    }
  }
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(repeated, 0u);
  EXPECT_EQ(duplicated, 0u);
  // At most the one ack in progress when the child died is in doubt.
  EXPECT_LE(crash.started.size() - crash.acked.size(), 1u);
  EXPECT_GE(crash.acked.size(), std::size_t(kKillAfterAcks));
}

TEST_F(SubscriptionRestartTest, KillNineWithIntervalFlushLosesNoUnackedRecord) {
  const auto opts = options(FlushPolicy::interval);
  const CrashOutcome crash = crash_mid_stream(opts);
  ASSERT_FALSE(HasFailure());
  const auto redelivered = redeliver_after_crash(opts);

  std::size_t missing = 0, duplicated = 0;
  for (std::int32_t p = 0; p < kCrashPartitions; ++p) {
    for (std::int64_t o = 0; o < kCrashPerPartition; ++o) {
      const PartitionOffset where{p, o};
      if (redelivered.count(where) > 1) ++duplicated;
      if (!crash.started.contains(where) && redelivered.count(where) == 0) {
        if (++missing <= 5) ADD_FAILURE() << "unacked " << p << "/" << o << " was lost";
      }
    }
  }
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(duplicated, 0u);
}

// ---------------------------------------------------------------------------
// Kafka group offsets and subscription deletion

TEST_F(SubscriptionRestartTest, KafkaGroupOffsetsSurviveARestart) {
  {
    auto kernel = open();
    ASSERT_TRUE(kernel->create_topic("t", 2));
    ASSERT_TRUE(kernel->commit_offset("billing", "t", 0, {120, "gen-3"}));
    ASSERT_TRUE(kernel->commit_offset("billing", "t", 1, {7, ""}));
    ASSERT_TRUE(kernel->commit_offset("billing", "t", 0, {121, "gen-4"}));  // the latest wins
    ASSERT_TRUE(kernel->commit_offset("audit", "t", 1, {9, "a"}));
    ASSERT_TRUE(kernel->commit_offset("gone", "t", 0, {1, "x"}));
    ASSERT_TRUE(kernel->delete_group("gone"));
  }
  {
    auto kernel = open();
    auto billing = kernel->committed_offset("billing", "t", 0);
    ASSERT_TRUE(billing && billing->has_value());
    EXPECT_EQ((*billing)->offset, 121);
    EXPECT_EQ((*billing)->metadata, "gen-4");
    EXPECT_EQ(kernel->committed_offset("billing", "t", 1).value()->offset, 7);
    EXPECT_EQ(kernel->committed_offset("audit", "t", 1).value()->metadata, "a");
    EXPECT_FALSE(kernel->committed_offset("gone", "t", 0).value().has_value());
    EXPECT_THAT(kernel->list_groups(), ::testing::UnorderedElementsAre("billing", "audit"));
    ASSERT_TRUE(kernel->delete_group("audit"));
  }
  auto kernel = open();
  EXPECT_THAT(kernel->list_groups(), ::testing::ElementsAre("billing"));
  EXPECT_FALSE(kernel->committed_offset("audit", "t", 1).value().has_value());
}

TEST_F(SubscriptionRestartTest, ADeletedSubscriptionStaysDeleted) {
  {
    auto kernel = open();
    ASSERT_TRUE(kernel->create_topic("jobs", 1));
    produce(*kernel, "jobs", 0, 5);
    AckingConsumer consumer(*kernel, queue_spec("jobs", "q"));
    ASSERT_TRUE(consumer.wait([](const auto&, const auto& acked) { return acked.size() == 5; }));
    consumer.detach();
    ASSERT_TRUE(kernel->delete_subscription("jobs", "q"));
  }
  auto kernel = open();
  EXPECT_TRUE(kernel->list_subscriptions("jobs").empty());
  AckingConsumer consumer(*kernel, queue_spec("jobs", "q"));
  ASSERT_TRUE(consumer.wait([](const auto&, const auto& acked) { return acked.size() == 5; }))
      << "a new subscription of the same name starts at the earliest record";
}

}  // namespace
}  // namespace junction::kernel
