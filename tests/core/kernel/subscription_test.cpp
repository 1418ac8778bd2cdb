// Delivery modes of the kernel (docs/delivery.md): queue, broadcast and
// multicast subscriptions, acknowledgement, redelivery, dead letters, key_shared
// ordering, flow control, retention and Kafka group offsets.
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>

#include "junction/record_batch.hpp"
#include "kernel/local_kernel.hpp"
#include "support/junctiond_process.hpp"
#include "support/partition_reader.hpp"

namespace junction::kernel {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using testing::TempDir;
using ::testing::UnorderedElementsAre;
using SteadyClock = std::chrono::steady_clock;
using PartitionOffset = std::pair<std::int32_t, std::int64_t>;

// One delivery as a consumer saw it, copied out of the batch.
struct Got {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int32_t attempt = 0;
  Record record;
  SteadyClock::time_point at;
};

enum class Action { ack, nack, reject, hold };

// What every consumer of a test shares: one mutex guarding all their state and
// a condition variable signalled on every change, so a test waits for any
// condition over several consumers with a deadline.
class Hub {
 public:
  std::mutex mutex;
  std::condition_variable changed;

  // Waits until `done()` (evaluated under `mutex`) holds; false at the timeout.
  template <class Done>
  bool wait(Done done, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, done);
  }
};

struct Behaviour {
  ConsumerOptions options;
  // How to settle each delivery; runs under the hub's mutex. Default: ack.
  std::function<Action(const Got&)> decide;
  // Settle from inside the delivery callback instead of the worker thread.
  bool settle_inline = false;
  // Hooks, all under the hub's mutex: in the callback for each record; just
  // before the kernel is asked to settle; after it answered.
  std::function<void(const Got&)> on_receive;
  std::function<void(const Got&, Action)> before_settle;
  std::function<void(const Got&, Action, bool ok)> after_settle;
};

// A consumer as a transport would write one: the callback copies the records
// and hands them to the consumer's own worker thread, which settles them (or,
// with settle_inline, the callback settles them itself).
class TestConsumer {
 public:
  TestConsumer(Hub& hub, Kernel& kernel, const SubscriptionSpec& spec, Behaviour behaviour = {})
      : hub_(hub), behaviour_(std::move(behaviour)) {
    worker_ = std::thread([this] { run(); });
    auto subscribed = kernel.subscribe(spec, behaviour_.options,
                                       [this](DeliveryBatch batch) { on_batch(std::move(batch)); });
    {
      std::lock_guard lock(hub_.mutex);
      if (subscribed) {
        handle_ = std::move(subscribed.value());
      } else {
        error = subscribed.error();
      }
    }
    work_ready_.notify_all();
  }

  ~TestConsumer() {
    detach();
    {
      std::lock_guard lock(hub_.mutex);
      stopping_ = true;
    }
    work_ready_.notify_all();
    worker_.join();
  }

  bool ok() const { return !error.has_value(); }
  std::shared_ptr<Consumer> handle() {
    std::lock_guard lock(hub_.mutex);
    return handle_;
  }

  void detach() {
    std::shared_ptr<Consumer> handle;
    {
      std::lock_guard lock(hub_.mutex);
      if (detaching) return;
      detaching = true;
      handle = handle_;
    }
    if (handle) handle->detach();
    {
      std::lock_guard lock(hub_.mutex);
      detached = true;
    }
    hub_.changed.notify_all();
  }

  // The offsets this consumer received from `partition`, in arrival order
  // (caller holds the hub's mutex).
  std::vector<std::int64_t> offsets(std::int32_t partition) const {
    std::vector<std::int64_t> out;
    for (const auto& got : received) {
      if (got.partition == partition) out.push_back(got.offset);
    }
    return out;
  }

  // Guarded by the hub's mutex.
  std::optional<Error> error;
  std::vector<Got> received;
  std::vector<PartitionOffset> acked;  // acks the kernel accepted, in order
  std::vector<PartitionOffset> nacked, rejected;
  std::vector<Got> held;
  std::size_t settle_failures = 0;
  bool detaching = false;
  bool detached = false;
  int late_callbacks = 0;  // callbacks that started after detach() returned
  std::atomic<int> overlapping_callbacks{0};

 private:
  void on_batch(DeliveryBatch batch) {
    if (in_callback_.fetch_add(1) != 0) ++overlapping_callbacks;
    std::vector<Got> copies;
    copies.reserve(batch.records.size());
    const auto now = SteadyClock::now();
    for (const auto& delivered : batch.records) {
      copies.push_back(Got{delivered.partition, delivered.record->offset, delivered.attempt,
                           delivered.record->record, now});
    }
    batch = {};  // releases keep_alive: nothing points into it any more

    std::vector<std::pair<Got, Action>> settle_now;
    std::shared_ptr<Consumer> handle;
    {
      std::lock_guard lock(hub_.mutex);
      if (detached) ++late_callbacks;
      handle = handle_;
      for (auto& got : copies) {
        received.push_back(got);
        if (behaviour_.on_receive) behaviour_.on_receive(got);
        if (behaviour_.settle_inline && handle) {
          const Action action = decide(got);
          if (action == Action::hold) {
            held.push_back(got);
            continue;
          }
          if (behaviour_.before_settle) behaviour_.before_settle(got, action);
          settle_now.emplace_back(got, action);
        } else {
          queue_.push_back(std::move(got));
        }
      }
    }
    hub_.changed.notify_all();
    work_ready_.notify_all();
    for (const auto& [got, action] : settle_now) settle(*handle, got, action);
    in_callback_.fetch_sub(1);
  }

  Action decide(const Got& got) { return behaviour_.decide ? behaviour_.decide(got) : Action::ack; }

  // Asks the kernel, then records the answer.
  void settle(Consumer& handle, const Got& got, Action action) {
    Result<void> done;
    switch (action) {
      case Action::ack:
        done = handle.ack(got.partition, got.offset);
        break;
      case Action::nack:
        done = handle.nack(got.partition, got.offset);
        break;
      case Action::reject:
        done = handle.reject(got.partition, got.offset);
        break;
      case Action::hold:
        return;
    }
    {
      std::lock_guard lock(hub_.mutex);
      if (!done.ok()) {
        ++settle_failures;
      } else if (action == Action::ack) {
        acked.emplace_back(got.partition, got.offset);
      } else if (action == Action::nack) {
        nacked.emplace_back(got.partition, got.offset);
      } else {
        rejected.emplace_back(got.partition, got.offset);
      }
      if (behaviour_.after_settle) behaviour_.after_settle(got, action, done.ok());
    }
    hub_.changed.notify_all();
  }

  void run() {
    std::unique_lock lock(hub_.mutex);
    for (;;) {
      work_ready_.wait(lock, [&] { return stopping_ || (!queue_.empty() && handle_); });
      if (stopping_) return;
      Got got = std::move(queue_.front());
      queue_.pop_front();
      const Action action = decide(got);
      if (action == Action::hold) {
        held.push_back(std::move(got));
        hub_.changed.notify_all();
        continue;
      }
      if (behaviour_.before_settle) behaviour_.before_settle(got, action);
      auto handle = handle_;
      lock.unlock();
      settle(*handle, got, action);
      lock.lock();
    }
  }

  Hub& hub_;
  const Behaviour behaviour_;
  std::shared_ptr<Consumer> handle_;
  std::deque<Got> queue_;
  std::condition_variable work_ready_;
  bool stopping_ = false;
  std::atomic<int> in_callback_{0};
  std::thread worker_;
};

Record make_record(std::string value, std::optional<std::string> key = std::nullopt) {
  Record record;
  record.key = std::move(key);
  record.value = std::move(value);
  return record;
}

std::optional<std::string> header(const Record& record, const std::string& key) {
  for (const auto& h : record.headers) {
    if (h.key == key) return h.value;
  }
  return std::nullopt;
}

std::int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

class SubscriptionTest : public ::testing::Test {
 protected:
  KernelOptions options(std::int64_t ack_timeout_ms = 30'000) {
    KernelOptions options;
    options.data_dir = dir_.path() / "data";
    options.delivery.ack_timeout_ms = ack_timeout_ms;
    return options;
  }

  static std::unique_ptr<LocalKernel> open(const KernelOptions& options) {
    auto kernel = LocalKernel::open(options);
    EXPECT_TRUE(kernel) << kernel.error().message;
    return kernel ? std::move(kernel.value()) : nullptr;
  }

  // Appends `count` records valued `<prefix><i>` in batches of up to 100.
  static void produce(Kernel& kernel, const std::string& topic, std::int32_t partition, int count,
                      const std::string& prefix = "v", std::size_t pad_to = 0) {
    for (int done = 0; done < count;) {
      std::vector<Record> records;
      for (; done < count && records.size() < 100; ++done) {
        std::string value = prefix + std::to_string(done);
        if (value.size() < pad_to) value.resize(pad_to, '.');
        records.push_back(make_record(std::move(value)));
      }
      auto ack = kernel.produce_and_wait(topic, partition, std::move(records));
      ASSERT_TRUE(ack) << ack.error().message;
    }
  }

  static std::vector<StoredRecord> read_all(Kernel& kernel, const std::string& topic,
                                            std::int32_t partition, std::int64_t from = 0) {
    return testing::read_partition(kernel, topic, partition, from);
  }

  // Every record of every partition of `topic` (empty if it does not exist).
  static std::vector<StoredRecord> read_topic(Kernel& kernel, const std::string& topic) {
    std::vector<StoredRecord> all;
    auto info = kernel.describe_topic(topic);
    if (!info) return all;
    for (std::int32_t p = 0; p < info->partitions; ++p) {
      for (auto& record : read_all(kernel, topic, p)) all.push_back(std::move(record));
    }
    return all;
  }

  static std::optional<SubscriptionInfo> find_subscription(Kernel& kernel, const std::string& topic,
                                                           const std::string& name) {
    for (auto& info : kernel.list_subscriptions(topic)) {
      if (info.name == name) return info;
    }
    return std::nullopt;
  }

  static std::vector<std::int64_t> ack_floor(Kernel& kernel, const std::string& topic,
                                             const std::string& name) {
    auto info = find_subscription(kernel, topic, name);
    return info ? info->ack_floor : std::vector<std::int64_t>{};
  }

  TempDir dir_;
};

SubscriptionSpec queue_spec(std::string topic, std::string name) {
  SubscriptionSpec spec;
  spec.topic = std::move(topic);
  spec.name = std::move(name);
  spec.mode = DeliveryMode::queue;
  return spec;
}

ConsumerOptions window_of(std::uint32_t records) {
  ConsumerOptions options;
  options.max_unacked_records = records;
  return options;
}

SubscriptionSpec broadcast_spec(std::string topic) {
  SubscriptionSpec spec;
  spec.topic = std::move(topic);
  spec.mode = DeliveryMode::broadcast;
  return spec;
}

// ---------------------------------------------------------------------------
// Queue mode

TEST_F(SubscriptionTest, QueueDeliversEveryRecordToExactlyOneConsumer) {
  auto opts = options();
  opts.delivery.dispatcher_threads = 2;
  auto kernel = open(opts);
  ASSERT_TRUE(kernel->create_topic("orders", 3));
  Hub hub;
  std::vector<std::unique_ptr<TestConsumer>> consumers;
  for (int i = 0; i < 3; ++i) {
    consumers.push_back(
        std::make_unique<TestConsumer>(hub, *kernel, queue_spec("orders", "workers")));
    ASSERT_TRUE(consumers.back()->ok()) << consumers.back()->error->message;
  }

  constexpr int kProducers = 2, kPerProducer = 10'000, kBatch = 25;
  constexpr std::size_t kTotal = kProducers * kPerProducer;
  std::atomic<int> produce_failures{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < kProducers; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerProducer; i += kBatch) {
        std::vector<Record> records;
        for (int j = i; j < i + kBatch; ++j) {
          records.push_back(make_record("p" + std::to_string(t) + "-" + std::to_string(j)));
        }
        const std::int32_t partition = (i / kBatch + t) % 3;
        if (!kernel->produce_and_wait("orders", partition, std::move(records))) ++produce_failures;
      }
    });
  }
  for (auto& producer : producers) producer.join();
  ASSERT_EQ(produce_failures.load(), 0);

  const auto total_acked = [&] {
    std::size_t n = 0;
    for (const auto& c : consumers) n += c->acked.size();
    return n;
  };
  ASSERT_TRUE(hub.wait([&] { return total_acked() >= kTotal; }, 30s))
      << "acked " << total_acked() << " of " << kTotal;
  ASSERT_TRUE(testing::wait_until([&] {
    return ack_floor(*kernel, "orders", "workers") ==
           std::vector<std::int64_t>{kernel->offsets("orders", 0)->high_watermark,
                                     kernel->offsets("orders", 1)->high_watermark,
                                     kernel->offsets("orders", 2)->high_watermark};
  }));

  std::lock_guard lock(hub.mutex);
  std::map<PartitionOffset, int> deliveries;
  std::multiset<std::string> values;
  for (std::size_t c = 0; c < consumers.size(); ++c) {
    const auto& consumer = *consumers[c];
    EXPECT_GT(consumer.received.size(), 0u) << "consumer " << c << " got nothing";
    EXPECT_EQ(consumer.settle_failures, 0u);
    EXPECT_EQ(consumer.overlapping_callbacks.load(), 0);
    std::map<std::int32_t, std::int64_t> last;
    for (const auto& got : consumer.received) {
      ++deliveries[{got.partition, got.offset}];
      values.insert(*got.record.value);
      EXPECT_EQ(got.attempt, 1) << got.partition << "/" << got.offset;
      auto it = last.find(got.partition);
      if (it != last.end()) {
        EXPECT_GT(got.offset, it->second)
            << "consumer " << c << " partition " << got.partition << " went backwards";
      }
      last[got.partition] = got.offset;
    }
  }
  EXPECT_EQ(deliveries.size(), kTotal);
  for (const auto& [where, count] : deliveries) {
    EXPECT_EQ(count, 1) << where.first << "/" << where.second << " delivered " << count << " times";
  }
  std::multiset<std::string> expected;
  for (int t = 0; t < kProducers; ++t) {
    for (int j = 0; j < kPerProducer; ++j) {
      expected.insert("p" + std::to_string(t) + "-" + std::to_string(j));
    }
  }
  EXPECT_TRUE(values == expected) << "delivered values differ from the produced ones";
}

TEST_F(SubscriptionTest, QueueStartsAtTheEarliestRecordByDefault) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("jobs", 1));
  produce(*kernel, "jobs", 0, 10);
  Hub hub;
  TestConsumer consumer(hub, *kernel, queue_spec("jobs", "q"));
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE(hub.wait([&] { return consumer.acked.size() == 10; }));
  std::lock_guard lock(hub.mutex);
  EXPECT_THAT(consumer.offsets(0), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  EXPECT_EQ(consumer.received.front().record.value, "v0");
}

TEST_F(SubscriptionTest, BroadcastStartsAtTheLatestRecordByDefault) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("news", 1));
  produce(*kernel, "news", 0, 10, "old");
  Hub hub;
  TestConsumer consumer(hub, *kernel, broadcast_spec("news"));
  ASSERT_TRUE(consumer.ok());
  produce(*kernel, "news", 0, 5, "new");
  ASSERT_TRUE(hub.wait([&] { return consumer.acked.size() == 5; }));
  std::lock_guard lock(hub.mutex);
  // In offset order: an old record would have come first.
  EXPECT_THAT(consumer.offsets(0), ElementsAre(10, 11, 12, 13, 14));
  EXPECT_EQ(consumer.received.front().record.value, "new0");
}

TEST_F(SubscriptionTest, ExplicitStartPositions) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("events", 1));
  for (int i = 0; i < 10; ++i) {
    Record record = make_record("e" + std::to_string(i));
    record.timestamp_ms = 1000 + 100 * i;
    ASSERT_TRUE(kernel->produce_and_wait("events", 0, {record}));
  }
  Hub hub;
  auto from_offset = queue_spec("events", "from-offset");
  from_offset.start = StartPosition::at_offset(4);
  auto from_time = queue_spec("events", "from-time");
  from_time.start = StartPosition::at_timestamp(1650);  // the first at or after: 1700, offset 7
  auto from_latest = queue_spec("events", "from-latest");
  from_latest.start = StartPosition::latest();
  auto broadcast_earliest = broadcast_spec("events");
  broadcast_earliest.start = StartPosition::earliest();

  TestConsumer a(hub, *kernel, from_offset);
  TestConsumer b(hub, *kernel, from_time);
  TestConsumer c(hub, *kernel, from_latest);
  TestConsumer d(hub, *kernel, broadcast_earliest);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  Record later = make_record("later");
  later.timestamp_ms = 5000;
  ASSERT_TRUE(kernel->produce_and_wait("events", 0, {later}));

  ASSERT_TRUE(hub.wait([&] {
    return a.acked.size() == 7 && b.acked.size() == 4 && c.acked.size() == 1 &&
           d.acked.size() == 11;
  })) << a.acked.size()
      << " " << b.acked.size() << " " << c.acked.size() << " " << d.acked.size();
  std::lock_guard lock(hub.mutex);
  EXPECT_THAT(a.offsets(0), ElementsAre(4, 5, 6, 7, 8, 9, 10));
  EXPECT_THAT(b.offsets(0), ElementsAre(7, 8, 9, 10));
  EXPECT_THAT(c.offsets(0), ElementsAre(10));
  EXPECT_THAT(d.offsets(0), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
}

// ---------------------------------------------------------------------------
// Broadcast and multicast

TEST_F(SubscriptionTest, BroadcastSubscribersEachGetEveryRecordAndLeaveNothingBehind) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("news", 2));
  Hub hub;
  Behaviour inline_ack;
  inline_ack.settle_inline = true;
  TestConsumer a(hub, *kernel, broadcast_spec("news"), inline_ack);  // acks in the callback
  TestConsumer b(hub, *kernel, broadcast_spec("news"));              // acks from its thread
  ASSERT_TRUE(a.ok() && b.ok());
  {
    auto subscriptions = kernel->list_subscriptions("news");
    ASSERT_EQ(subscriptions.size(), 2u);
    for (const auto& info : subscriptions) {
      EXPECT_TRUE(info.name.empty());
      EXPECT_EQ(info.mode, DeliveryMode::broadcast);
      EXPECT_EQ(info.consumers, 1u);
    }
  }

  std::thread p0([&] { produce(*kernel, "news", 0, 300); });
  std::thread p1([&] { produce(*kernel, "news", 1, 200); });
  p0.join();
  p1.join();
  ASSERT_TRUE(hub.wait([&] { return a.acked.size() == 500 && b.acked.size() == 500; }))
      << a.acked.size() << " " << b.acked.size();

  TestConsumer late(hub, *kernel, broadcast_spec("news"));
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(kernel->list_subscriptions("news").size(), 3u);
  produce(*kernel, "news", 0, 100, "late");
  ASSERT_TRUE(hub.wait([&] {
    return a.acked.size() == 600 && b.acked.size() == 600 && late.acked.size() == 100;
  })) << a.acked.size()
      << " " << b.acked.size() << " " << late.acked.size();

  {
    std::lock_guard lock(hub.mutex);
    for (const TestConsumer* consumer : {&a, &b}) {
      std::set<PartitionOffset> unique;
      for (const auto& got : consumer->received) unique.insert({got.partition, got.offset});
      EXPECT_EQ(unique.size(), 600u);
      EXPECT_EQ(consumer->received.size(), 600u);
      EXPECT_EQ(consumer->settle_failures, 0u);
    }
    std::vector<std::int64_t> expected(100);
    std::iota(expected.begin(), expected.end(), 300);
    EXPECT_EQ(late.offsets(0), expected);
    EXPECT_TRUE(late.offsets(1).empty());
  }

  a.detach();
  b.detach();
  late.detach();
  EXPECT_TRUE(kernel->list_subscriptions("news").empty());
  std::lock_guard lock(hub.mutex);
  EXPECT_EQ(a.late_callbacks + b.late_callbacks + late.late_callbacks, 0);
}

TEST_F(SubscriptionTest, MulticastGroupsEachGetOneCopyOfEveryRecord) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("sms", 2));
  produce(*kernel, "sms", 0, 100, "before");  // a new group starts at the earliest
  produce(*kernel, "sms", 1, 100, "before");
  Hub hub;
  auto group_a = queue_spec("sms", "a"), group_b = queue_spec("sms", "b");
  group_a.mode = group_b.mode = DeliveryMode::multicast;
  Behaviour inline_ack;
  inline_ack.settle_inline = true;
  TestConsumer a1(hub, *kernel, group_a, inline_ack), a2(hub, *kernel, group_a, inline_ack);
  TestConsumer b1(hub, *kernel, group_b), b2(hub, *kernel, group_b);
  ASSERT_TRUE(a1.ok() && a2.ok() && b1.ok() && b2.ok());

  std::thread p0([&] { produce(*kernel, "sms", 0, 400); });
  std::thread p1([&] { produce(*kernel, "sms", 1, 400); });
  p0.join();
  p1.join();
  constexpr std::size_t kTotal = 1000;
  ASSERT_TRUE(hub.wait([&] {
    return a1.acked.size() + a2.acked.size() == kTotal &&
           b1.acked.size() + b2.acked.size() == kTotal;
  }));
  {
    auto subscriptions = kernel->list_subscriptions("sms");
    ASSERT_EQ(subscriptions.size(), 2u);
    for (const auto& info : subscriptions) {
      EXPECT_EQ(info.mode, DeliveryMode::multicast);
      EXPECT_EQ(info.consumers, 2u);
    }
  }
  std::lock_guard lock(hub.mutex);
  for (auto group : {std::pair{&a1, &a2}, std::pair{&b1, &b2}}) {
    std::map<PartitionOffset, int> seen;
    for (const TestConsumer* consumer : {group.first, group.second}) {
      EXPECT_GT(consumer->received.size(), 0u);
      for (const auto& got : consumer->received) ++seen[{got.partition, got.offset}];
    }
    EXPECT_EQ(seen.size(), kTotal);
    for (const auto& [where, count] : seen) {
      EXPECT_EQ(count, 1) << where.first << "/" << where.second;
    }
  }
}

TEST_F(SubscriptionTest, ANamedBroadcastSubscriptionResumesAfterADetach) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("news", 1));
  Hub hub;
  SubscriptionSpec spec = broadcast_spec("news");
  spec.name = "archive";  // durable: its progress outlives its consumer
  {
    TestConsumer first(hub, *kernel, spec);
    ASSERT_TRUE(first.ok());
    produce(*kernel, "news", 0, 5, "a");
    ASSERT_TRUE(hub.wait([&] { return first.acked.size() == 5; }));
  }
  auto kept = find_subscription(*kernel, "news", "archive");
  ASSERT_TRUE(kept) << "a named subscription vanished with its consumer";
  EXPECT_EQ(kept->consumers, 0u);
  produce(*kernel, "news", 0, 5, "b");
  TestConsumer second(hub, *kernel, spec);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(hub.wait([&] { return second.acked.size() == 5; }));
  std::lock_guard lock(hub.mutex);
  EXPECT_THAT(second.offsets(0), ElementsAre(5, 6, 7, 8, 9));
}

TEST_F(SubscriptionTest, SubscribeRefusesBadRequests) {
  auto opts = options();
  opts.auto_create_topics = false;
  auto kernel = open(opts);
  ASSERT_TRUE(kernel->create_topic("t", 1));
  const auto ignore = [](DeliveryBatch) {};
  auto unnamed = kernel->subscribe(queue_spec("t", ""), {}, ignore);
  ASSERT_FALSE(unnamed);
  EXPECT_EQ(unnamed.error().code, Errc::invalid_argument);
  auto no_topic = kernel->subscribe(queue_spec("absent", "q"), {}, ignore);
  ASSERT_FALSE(no_topic);
  EXPECT_EQ(no_topic.error().code, Errc::unknown_topic);
  EXPECT_TRUE(kernel->list_subscriptions("t").empty());
}

TEST_F(SubscriptionTest, DeletingATopicDeletesItsSubscriptionsAndGroupOffsets) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("t", 1));
  produce(*kernel, "t", 0, 3);
  Hub hub;
  {
    TestConsumer consumer(hub, *kernel, queue_spec("t", "q"));
    ASSERT_TRUE(hub.wait([&] { return consumer.acked.size() == 3; }));
  }
  ASSERT_TRUE(kernel->commit_offset("g", "t", 0, {3, "m"}));
  ASSERT_TRUE(kernel->delete_topic("t"));
  ASSERT_TRUE(kernel->create_topic("t", 1));
  EXPECT_TRUE(kernel->list_subscriptions("t").empty());
  EXPECT_FALSE(kernel->committed_offset("g", "t", 0).value().has_value());
  produce(*kernel, "t", 0, 2);
  TestConsumer consumer(hub, *kernel, queue_spec("t", "q"));
  ASSERT_TRUE(hub.wait([&] { return consumer.acked.size() == 2; }));
  std::lock_guard lock(hub.mutex);
  EXPECT_THAT(consumer.offsets(0), ElementsAre(0, 1));
}

// ---------------------------------------------------------------------------
// Acknowledgement and redelivery

TEST_F(SubscriptionTest, NackRedeliversAtOnceWithTheNextAttempt) {
  auto kernel = open(options(/*ack_timeout_ms=*/60'000));  // a redelivery is not a timeout
  ASSERT_TRUE(kernel->create_topic("jobs", 1));
  Hub hub;
  Behaviour nack_first;
  nack_first.decide = [](const Got& got) { return got.attempt == 1 ? Action::nack : Action::ack; };
  TestConsumer a(hub, *kernel, queue_spec("jobs", "q"), nack_first);
  Behaviour nack_first_inline = nack_first;
  nack_first_inline.settle_inline = true;
  TestConsumer b(hub, *kernel, queue_spec("jobs", "q"), nack_first_inline);
  ASSERT_TRUE(a.ok() && b.ok());
  produce(*kernel, "jobs", 0, 20);
  ASSERT_TRUE(hub.wait([&] { return a.acked.size() + b.acked.size() == 20; }, 10s));

  std::lock_guard lock(hub.mutex);
  std::map<std::int64_t, std::vector<std::int32_t>> attempts;
  for (const TestConsumer* consumer : {&a, &b}) {
    for (const auto& got : consumer->received) attempts[got.offset].push_back(got.attempt);
  }
  ASSERT_EQ(attempts.size(), 20u);
  for (auto& [offset, seen] : attempts) {
    std::sort(seen.begin(), seen.end());
    EXPECT_THAT(seen, ElementsAre(1, 2)) << "offset " << offset;
  }
  EXPECT_EQ(a.nacked.size() + b.nacked.size(), 20u);
}

TEST_F(SubscriptionTest, AckTimeoutRedeliversToAnotherConsumer) {
  auto opts = options(/*ack_timeout_ms=*/200);
  opts.delivery.max_attempts = 20;
  auto kernel = open(opts);
  ASSERT_TRUE(kernel->create_topic("jobs", 1));
  Hub hub;
  Behaviour never_ack;
  never_ack.decide = [](const Got&) { return Action::hold; };
  TestConsumer silent(hub, *kernel, queue_spec("jobs", "q"), never_ack);
  ASSERT_TRUE(silent.ok());
  produce(*kernel, "jobs", 0, 5);
  ASSERT_TRUE(hub.wait([&] { return silent.received.size() >= 5; }));
  SteadyClock::time_point first_delivery;
  {
    std::lock_guard lock(hub.mutex);
    first_delivery = silent.received.front().at;
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(silent.received[i].offset, i);
      EXPECT_EQ(silent.received[i].attempt, 1);
    }
  }

  TestConsumer worker(hub, *kernel, queue_spec("jobs", "q"));
  ASSERT_TRUE(worker.ok());
  ASSERT_TRUE(hub.wait([&] { return worker.acked.size() == 5; }, 15s))
      << "the silent consumer's records never reached the other one";
  {
    std::lock_guard lock(hub.mutex);
    ASSERT_FALSE(worker.received.empty());
    EXPECT_GE(worker.received.front().at - first_delivery, 150ms)
        << "redelivered before the ack timeout";
    std::set<std::int64_t> offsets;
    for (const auto& got : worker.received) {
      EXPECT_GE(got.attempt, 2) << "offset " << got.offset;
      offsets.insert(got.offset);
    }
    EXPECT_THAT(offsets, ::testing::ElementsAre(0, 1, 2, 3, 4));
  }
  // The silent consumer's late ack is refused: the record was redelivered.
  auto late_ack = silent.handle()->ack(0, 0);
  EXPECT_FALSE(late_ack);
  ASSERT_TRUE(testing::wait_until(
      [&] { return ack_floor(*kernel, "jobs", "q") == std::vector<std::int64_t>{5}; }));
}

TEST_F(SubscriptionTest, DetachedConsumersRecordsGoToTheOthersInOffsetOrder) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("jobs", 1));
  Hub hub;
  Behaviour never_ack;
  never_ack.decide = [](const Got&) { return Action::hold; };
  TestConsumer leaving(hub, *kernel, queue_spec("jobs", "q"), never_ack);
  ASSERT_TRUE(leaving.ok());
  produce(*kernel, "jobs", 0, 10);
  ASSERT_TRUE(hub.wait([&] { return leaving.held.size() == 10; }));

  TestConsumer staying(hub, *kernel, queue_spec("jobs", "q"));
  ASSERT_TRUE(staying.ok());
  leaving.detach();
  ASSERT_TRUE(hub.wait([&] { return staying.acked.size() == 10; }));
  {
    std::lock_guard lock(hub.mutex);
    EXPECT_THAT(staying.offsets(0), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
    for (const auto& got : staying.received) EXPECT_EQ(got.attempt, 2);
    EXPECT_EQ(leaving.late_callbacks, 0);
  }
  // A detached handle settles nothing.
  EXPECT_FALSE(leaving.handle()->ack(0, 3));
  auto info = find_subscription(*kernel, "jobs", "q");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->consumers, 1u);
  ASSERT_TRUE(testing::wait_until(
      [&] { return ack_floor(*kernel, "jobs", "q") == std::vector<std::int64_t>{10}; }));
}

TEST_F(SubscriptionTest, DetachFromInsideTheCallback) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("jobs", 1));
  Hub hub;
  TestConsumer staying(hub, *kernel, queue_spec("jobs", "q"));
  ASSERT_TRUE(staying.ok());

  std::mutex mutex;
  std::condition_variable changed;
  std::shared_ptr<Consumer> self;
  int calls = 0, calls_after_detach = 0;
  bool detached = false;
  std::vector<std::int64_t> taken;
  auto subscribed =
      kernel->subscribe(queue_spec("jobs", "q"), window_of(3), [&](DeliveryBatch batch) {
        std::shared_ptr<Consumer> handle;
        {
          std::lock_guard lock(mutex);
          ++calls;
          if (detached) ++calls_after_detach;
          for (const auto& delivered : batch.records) taken.push_back(delivered.record->offset);
          handle = self;
        }
        if (!handle) return;
        handle->detach();  // must not wait for this very callback
        {
          std::lock_guard lock(mutex);
          detached = true;
        }
        changed.notify_all();
      });
  ASSERT_TRUE(subscribed);
  {
    std::lock_guard lock(mutex);
    self = *subscribed;
  }
  produce(*kernel, "jobs", 0, 10);
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, 20s, [&] { return detached; }));
  }
  ASSERT_TRUE(hub.wait([&] { return staying.acked.size() == 10; }));
  std::lock_guard lock(mutex);
  std::lock_guard hub_lock(hub.mutex);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(calls_after_detach, 0);
  ASSERT_FALSE(taken.empty());
  for (const auto offset : taken) {
    const bool redelivered =
        std::any_of(staying.received.begin(), staying.received.end(),
                    [&](const Got& got) { return got.offset == offset && got.attempt == 2; });
    EXPECT_TRUE(redelivered) << "offset " << offset;
  }
  std::set<std::int64_t> acked;
  for (const auto& [p, o] : staying.acked) acked.insert(o);
  EXPECT_EQ(acked.size(), 10u);
}

// ---------------------------------------------------------------------------
// Dead letters

TEST_F(SubscriptionTest, MaxAttemptsMovesARecordToTheDeadLetterTopic) {
  auto opts = options();
  opts.delivery.max_attempts = 3;
  auto kernel = open(opts);
  ASSERT_TRUE(kernel->create_topic("jobs", 2));
  for (int i = 0; i < 3; ++i) {
    Record record = make_record("poison" + std::to_string(i), "k" + std::to_string(i));
    record.timestamp_ms = 5000 + i;
    record.headers = {{"trace", "t" + std::to_string(i)}};
    ASSERT_TRUE(kernel->produce_and_wait("jobs", i == 2 ? 1 : 0, {record}));
  }
  Hub hub;
  Behaviour nack_all;
  nack_all.decide = [](const Got& got) {
    return got.record.value == "sentinel" ? Action::ack : Action::nack;
  };
  TestConsumer a(hub, *kernel, queue_spec("jobs", "workers"), nack_all);
  TestConsumer b(hub, *kernel, queue_spec("jobs", "workers"), nack_all);
  ASSERT_TRUE(a.ok() && b.ok());

  ASSERT_TRUE(testing::wait_until([&] { return read_topic(*kernel, "jobs.dlq").size() >= 3; }))
      << "nothing was dead-lettered";
  auto dead = read_topic(*kernel, "jobs.dlq");
  ASSERT_EQ(dead.size(), 3u);
  std::sort(dead.begin(), dead.end(), [](const StoredRecord& x, const StoredRecord& y) {
    return x.record.value < y.record.value;
  });
  for (int i = 0; i < 3; ++i) {
    const Record& record = dead[i].record;
    SCOPED_TRACE("poison" + std::to_string(i));
    EXPECT_EQ(record.value, "poison" + std::to_string(i));
    EXPECT_EQ(record.key, "k" + std::to_string(i));
    EXPECT_EQ(record.timestamp_ms, 5000 + i);
    EXPECT_EQ(header(record, "trace"), "t" + std::to_string(i));
    EXPECT_EQ(header(record, "x-junction-dlq-reason"), "max_attempts");
    EXPECT_EQ(header(record, "x-junction-dlq-topic"), "jobs");
    EXPECT_EQ(header(record, "x-junction-dlq-partition"), i == 2 ? "1" : "0");
    EXPECT_EQ(header(record, "x-junction-dlq-offset"), i == 2 ? "0" : std::to_string(i));
    EXPECT_EQ(header(record, "x-junction-dlq-subscription"), "workers");
    EXPECT_EQ(header(record, "x-junction-dlq-attempts"), "3");
  }

  // The source no longer delivers them: a record produced after them is
  // delivered, the floors pass them, and no fourth attempt was made.
  ASSERT_TRUE(kernel->produce_and_wait("jobs", 0, {make_record("sentinel")}));
  ASSERT_TRUE(hub.wait([&] { return a.acked.size() + b.acked.size() == 1; }));
  ASSERT_TRUE(testing::wait_until([&] {
    return ack_floor(*kernel, "jobs", "workers") == std::vector<std::int64_t>{3, 1};
  })) << "the dead letters were not acked on the source";
  std::lock_guard lock(hub.mutex);
  std::map<PartitionOffset, std::vector<std::int32_t>> attempts;
  for (const TestConsumer* consumer : {&a, &b}) {
    for (const auto& got : consumer->received) {
      if (got.record.value != "sentinel")
        attempts[{got.partition, got.offset}].push_back(got.attempt);
    }
  }
  ASSERT_EQ(attempts.size(), 3u);
  for (auto& [where, seen] : attempts) {
    std::sort(seen.begin(), seen.end());
    EXPECT_THAT(seen, ElementsAre(1, 2, 3)) << where.first << "/" << where.second;
  }
}

TEST_F(SubscriptionTest, RejectDeadLettersAtOnce) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("jobs", 1));
  Hub hub;
  Behaviour reject_bad;
  reject_bad.settle_inline = true;
  reject_bad.decide = [](const Got& got) {
    return got.record.value->starts_with("bad") ? Action::reject : Action::ack;
  };
  TestConsumer consumer(hub, *kernel, queue_spec("jobs", "q"), reject_bad);
  ASSERT_TRUE(consumer.ok());
  Record bad = make_record("bad-one", "key");
  bad.headers = {{"h", std::nullopt}};
  ASSERT_TRUE(
      kernel->produce_and_wait("jobs", 0, {make_record("good0"), bad, make_record("good1")}));

  ASSERT_TRUE(testing::wait_until([&] { return read_topic(*kernel, "jobs.dlq").size() == 1; }));
  const auto dead = read_topic(*kernel, "jobs.dlq").front().record;
  EXPECT_EQ(dead.value, "bad-one");
  EXPECT_EQ(dead.key, "key");
  EXPECT_EQ(dead.headers.front(), (Header{"h", std::nullopt}));
  EXPECT_EQ(header(dead, "x-junction-dlq-reason"), "rejected");
  EXPECT_EQ(header(dead, "x-junction-dlq-offset"), "1");
  EXPECT_EQ(header(dead, "x-junction-dlq-attempts"), "1");
  EXPECT_EQ(header(dead, "x-junction-dlq-subscription"), "q");
  ASSERT_TRUE(testing::wait_until(
      [&] { return ack_floor(*kernel, "jobs", "q") == std::vector<std::int64_t>{3}; }));
  std::lock_guard lock(hub.mutex);
  EXPECT_THAT(consumer.offsets(0), ElementsAre(0, 1, 2));  // the rejected one only once
  EXPECT_EQ(consumer.rejected.size(), 1u);
}

// ---------------------------------------------------------------------------
// key_shared

// Checks, from the consumers' side, that a key is in flight on one consumer at
// a time and that its records arrive in offset order. Guarded by the hub.
struct KeyTracker {
  struct InFlight {
    int consumer = -1;
    int count = 0;  // delivered to `consumer`, ack not yet started
  };
  std::map<std::string, InFlight> in_flight;
  std::map<std::string, std::int64_t> last_delivered, last_acked;
  std::map<std::string, std::set<int>> consumers_of_key;
  std::vector<bool> leaving;
  std::set<PartitionOffset> acked;
  std::size_t ack_successes = 0;
  std::vector<std::string> violations;

  explicit KeyTracker(int consumers) : leaving(std::size_t(consumers), false) {}

  Behaviour behaviour(int consumer, std::uint32_t credit) {
    Behaviour b;
    b.options.max_unacked_records = credit;
    b.decide = [this, consumer](const Got&) {
      return leaving[std::size_t(consumer)] ? Action::hold : Action::ack;
    };
    b.on_receive = [this, consumer](const Got& got) {
      if (leaving[std::size_t(consumer)]) return;  // about to go back to the others
      const std::string& key = *got.record.key;
      auto& flight = in_flight[key];
      if (flight.count > 0 && flight.consumer != consumer) {
        violations.push_back(key + "@" + std::to_string(got.offset) + " delivered to consumer " +
                             std::to_string(consumer) + " while consumer " +
                             std::to_string(flight.consumer) + " holds " +
                             std::to_string(flight.count) + " of its records");
      }
      if (flight.count == 0) flight.consumer = consumer;
      if (flight.consumer == consumer) ++flight.count;
      auto last = last_delivered.find(key);
      if (last != last_delivered.end() && got.offset <= last->second) {
        violations.push_back(key + "@" + std::to_string(got.offset) + " delivered after " + key +
                             "@" + std::to_string(last->second));
      }
      last_delivered[key] = got.offset;
      consumers_of_key[key].insert(consumer);
    };
    b.before_settle = [this, consumer](const Got& got, Action) {
      auto& flight = in_flight[*got.record.key];
      if (!leaving[std::size_t(consumer)] && flight.consumer == consumer && flight.count > 0) {
        --flight.count;
      }
    };
    b.after_settle = [this](const Got& got, Action, bool ok) {
      if (!ok) return;
      ++ack_successes;
      acked.insert({got.partition, got.offset});
      auto& last = last_acked.try_emplace(*got.record.key, -1).first->second;
      last = std::max(last, got.offset);
    };
    return b;
  }

  // Before `consumer` detaches: what it holds goes back, so its keys are free
  // and may restart from just after their last acknowledged record.
  void leave(int consumer) {
    leaving[std::size_t(consumer)] = true;
    for (auto& [key, flight] : in_flight) {
      if (flight.consumer != consumer) continue;
      flight.count = 0;
      auto acked_to = last_acked.find(key);
      last_delivered[key] = acked_to == last_acked.end() ? -1 : acked_to->second;
    }
  }
};

void produce_keyed(Kernel& kernel, const std::string& topic, int count, int keys) {
  for (int done = 0; done < count;) {
    // One produce call per key and round: records of a batch share a partition.
    for (int k = 0; k < keys && done < count; ++k) {
      std::vector<Record> records;
      for (int i = 0; i < 10 && done < count; ++i, ++done) {
        records.push_back(make_record("r" + std::to_string(done), "k" + std::to_string(k)));
      }
      ASSERT_TRUE(kernel.produce_and_wait(topic, kAnyPartition, std::move(records)));
    }
  }
}

// Three consumers of key_shared subscription "ks" on topic "keyed", tracked by
// `tracker`; the one at `inline_index` settles inside its callback. Fewer
// than three come back if one could not attach.
std::vector<std::unique_ptr<TestConsumer>> key_shared_consumers(Hub& hub, Kernel& kernel,
                                                                KeyTracker& tracker,
                                                                int inline_index = -1) {
  auto spec = queue_spec("keyed", "ks");
  spec.key_shared = true;
  std::vector<std::unique_ptr<TestConsumer>> consumers;
  for (int i = 0; i < 3; ++i) {
    auto behaviour = tracker.behaviour(i, 8);
    behaviour.settle_inline = i == inline_index;
    auto consumer = std::make_unique<TestConsumer>(hub, kernel, spec, behaviour);
    EXPECT_TRUE(consumer->ok()) << consumer->error->message;
    if (!consumer->ok()) break;
    consumers.push_back(std::move(consumer));
  }
  return consumers;
}

TEST_F(SubscriptionTest, KeySharedKeepsEachKeyOnOneConsumerInOrder) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("keyed", 2));
  Hub hub;
  KeyTracker tracker(3);
  // One of them acks inside its callback.
  auto consumers = key_shared_consumers(hub, *kernel, tracker, /*inline_index=*/2);
  ASSERT_EQ(consumers.size(), 3u);
  constexpr int kRecords = 5000;
  produce_keyed(*kernel, "keyed", kRecords, 10);
  ASSERT_TRUE(hub.wait([&] { return tracker.acked.size() == kRecords; }, 30s))
      << tracker.acked.size() << " of " << kRecords << " acked";

  std::lock_guard lock(hub.mutex);
  EXPECT_EQ(tracker.ack_successes, std::size_t(kRecords));
  EXPECT_THAT(tracker.violations, ::testing::IsEmpty());
  EXPECT_EQ(tracker.last_delivered.size(), 10u);
  int busy = 0;
  for (const auto& consumer : consumers) {
    if (!consumer->received.empty()) ++busy;
    for (const auto& got : consumer->received) EXPECT_EQ(got.attempt, 1);
  }
  EXPECT_GE(busy, 2) << "the keys were not spread over the consumers";
}

TEST_F(SubscriptionTest, KeySharedOrderHoldsWhenAConsumerDetachesMidStream) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("keyed", 2));
  Hub hub;
  KeyTracker tracker(3);
  auto consumers = key_shared_consumers(hub, *kernel, tracker);
  ASSERT_EQ(consumers.size(), 3u);
  constexpr int kRecords = 5000;
  std::thread producer([&] { produce_keyed(*kernel, "keyed", kRecords, 10); });
  // Leave while records are in flight on the leaving consumer.
  const bool mid_stream = hub.wait(
      [&] { return tracker.acked.size() >= kRecords / 3 && !consumers[0]->received.empty(); });
  {
    std::lock_guard lock(hub.mutex);
    tracker.leave(0);
  }
  consumers[0]->detach();
  producer.join();
  ASSERT_TRUE(mid_stream);
  ASSERT_TRUE(hub.wait([&] { return tracker.acked.size() == kRecords; }, 30s))
      << tracker.acked.size() << " of " << kRecords << " acked";

  std::lock_guard lock(hub.mutex);
  EXPECT_EQ(tracker.ack_successes, std::size_t(kRecords)) << "a record was acked twice";
  EXPECT_THAT(tracker.violations, ::testing::IsEmpty());
  EXPECT_EQ(consumers[0]->late_callbacks, 0);
  EXPECT_GT(consumers[1]->acked.size() + consumers[2]->acked.size(), 0u);
}

// ---------------------------------------------------------------------------
// Flow control

TEST_F(SubscriptionTest, ASlowConsumerGetsNoMoreThanItsCreditAndDoesNotSlowTheOthers) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("jobs", 1));
  Hub hub;
  Behaviour stalled;
  stalled.options.max_unacked_records = 10;
  stalled.decide = [](const Got&) { return Action::hold; };
  TestConsumer slow(hub, *kernel, queue_spec("jobs", "q"), stalled);
  TestConsumer fast(hub, *kernel, queue_spec("jobs", "q"));
  ASSERT_TRUE(slow.ok() && fast.ok());
  produce(*kernel, "jobs", 0, 1000);
  ASSERT_TRUE(hub.wait([&] { return fast.acked.size() + slow.received.size() >= 1000; }, 20s))
      << fast.acked.size() << " + " << slow.received.size();
  {
    std::lock_guard lock(hub.mutex);
    EXPECT_EQ(slow.received.size(), 10u);
    EXPECT_EQ(fast.acked.size(), 990u);
  }
  produce(*kernel, "jobs", 0, 500);
  ASSERT_TRUE(hub.wait([&] { return fast.acked.size() + slow.received.size() >= 1500; }, 20s))
      << fast.acked.size() << " + " << slow.received.size();
  std::lock_guard lock(hub.mutex);
  EXPECT_EQ(slow.received.size(), 10u);
  EXPECT_EQ(fast.received.size(), 1490u);
}

TEST_F(SubscriptionTest, AStalledConsumerCostsBoundedMemoryOverABigBacklog) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("backlog", 1));
  constexpr int kRecords = 1'000'000, kBatch = 1000;
  const std::string value(100, 'b');
  for (int i = 0; i < kRecords; i += kBatch) {
    std::vector<Record> records(kBatch);
    for (auto& record : records) record.value = value;
    ASSERT_TRUE(kernel->produce_and_wait("backlog", 0, std::move(records)));
  }
  Hub hub;
  Behaviour stalled;
  stalled.options.max_unacked_records = 10;
  stalled.decide = [](const Got&) { return Action::hold; };
  const auto before = resident_bytes();
  TestConsumer slow(hub, *kernel, queue_spec("backlog", "q"), stalled);
  ASSERT_TRUE(slow.ok());
  ASSERT_TRUE(hub.wait([&] { return slow.held.size() >= 10; }));
  const auto after = resident_bytes();
  EXPECT_LT(after - before, 64LL << 20) << "RSS grew from " << before << " to " << after;
  std::lock_guard lock(hub.mutex);
  EXPECT_EQ(slow.received.size(), 10u);
  EXPECT_EQ(slow.received.back().offset, 9);
}

TEST_F(SubscriptionTest, UnackedBytesBoundAConsumer) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("jobs", 1));
  Hub hub;
  Behaviour stalled;
  stalled.options.max_unacked_bytes = 1050;  // room for ten 100-byte values, not eleven
  stalled.decide = [](const Got&) { return Action::hold; };
  TestConsumer slow(hub, *kernel, queue_spec("jobs", "q"), stalled);
  TestConsumer fast(hub, *kernel, queue_spec("jobs", "q"));
  ASSERT_TRUE(slow.ok() && fast.ok());
  produce(*kernel, "jobs", 0, 300, "x", /*pad_to=*/100);
  ASSERT_TRUE(hub.wait([&] { return slow.held.size() + fast.acked.size() == 300; }))
      << slow.held.size() << " + " << fast.acked.size();
  std::lock_guard lock(hub.mutex);
  EXPECT_GE(slow.held.size(), 1u);
  EXPECT_LE(slow.held.size() * 100, 1050u)
      << slow.held.size() << " records of 100 bytes exceed max_unacked_bytes = 1050";
}

TEST_F(SubscriptionTest, ARecordLargerThanTheByteCreditStillFlowsOneAtATime) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("jobs", 1));
  Hub hub;
  Behaviour tiny;
  tiny.options.max_unacked_bytes = 50;
  // Counted down before the ack is sent, so the kernel cannot have answered it.
  std::size_t unacked = 0, most_unacked = 0;
  tiny.on_receive = [&](const Got&) { most_unacked = std::max(most_unacked, ++unacked); };
  tiny.before_settle = [&](const Got&, Action) { --unacked; };
  TestConsumer consumer(hub, *kernel, queue_spec("jobs", "q"), tiny);
  ASSERT_TRUE(consumer.ok());
  produce(*kernel, "jobs", 0, 20, "x", /*pad_to=*/100);
  ASSERT_TRUE(hub.wait([&] { return consumer.acked.size() == 20; }));
  std::lock_guard lock(hub.mutex);
  EXPECT_EQ(most_unacked, 1u);
}

TEST_F(SubscriptionTest, RaisingTheCreditResumesDelivery) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("jobs", 1));
  Hub hub;
  Behaviour stalled;
  stalled.options.max_unacked_records = 5;
  stalled.decide = [](const Got&) { return Action::hold; };
  TestConsumer consumer(hub, *kernel, queue_spec("jobs", "q"), stalled);
  ASSERT_TRUE(consumer.ok());
  produce(*kernel, "jobs", 0, 40);
  ASSERT_TRUE(hub.wait([&] { return consumer.held.size() >= 5; }));
  consumer.handle()->set_max_unacked(15, 16u << 20);
  ASSERT_TRUE(hub.wait([&] { return consumer.held.size() >= 15; }));
  std::size_t at_fifteen;
  {
    std::lock_guard lock(hub.mutex);
    at_fifteen = consumer.received.size();
  }
  EXPECT_EQ(at_fifteen, 15u);
  consumer.handle()->set_max_unacked(1000, 16u << 20);
  ASSERT_TRUE(hub.wait([&] { return consumer.held.size() == 40; }));
  std::lock_guard lock(hub.mutex);
  std::vector<std::int64_t> expected(40);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(consumer.offsets(0), expected);
}

// ---------------------------------------------------------------------------
// Subscription and group state

TEST_F(SubscriptionTest, KafkaGroupOffsetsRoundTrip) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("t", 2));
  ASSERT_TRUE(kernel->commit_offset("g1", "t", 0, {42, "first"}));
  ASSERT_TRUE(kernel->commit_offset("g1", "t", 1, {7, ""}));
  ASSERT_TRUE(kernel->commit_offset("g2", "t", 0, {3, std::string("bin\0ary", 7)}));

  auto g1p0 = kernel->committed_offset("g1", "t", 0);
  ASSERT_TRUE(g1p0);
  ASSERT_TRUE(g1p0->has_value());
  EXPECT_EQ((*g1p0)->offset, 42);
  EXPECT_EQ((*g1p0)->metadata, "first");
  EXPECT_EQ(kernel->committed_offset("g1", "t", 1).value()->offset, 7);
  EXPECT_EQ(kernel->committed_offset("g2", "t", 0).value()->metadata, std::string("bin\0ary", 7));
  EXPECT_FALSE(kernel->committed_offset("g2", "t", 1).value().has_value());
  EXPECT_FALSE(kernel->committed_offset("nobody", "t", 0).value().has_value());
  EXPECT_THAT(kernel->list_groups(), UnorderedElementsAre("g1", "g2"));

  ASSERT_TRUE(kernel->commit_offset("g1", "t", 0, {50, "second"}));
  EXPECT_EQ(kernel->committed_offset("g1", "t", 0).value()->offset, 50);
  EXPECT_EQ(kernel->committed_offset("g1", "t", 0).value()->metadata, "second");

  auto bad_partition = kernel->commit_offset("g1", "t", 5, {1, ""});
  ASSERT_FALSE(bad_partition);
  EXPECT_EQ(bad_partition.error().code, Errc::unknown_partition);
  EXPECT_FALSE(kernel->commit_offset("g1", "no-such-topic", 0, {1, ""}));

  ASSERT_TRUE(kernel->delete_group("g1"));
  EXPECT_FALSE(kernel->committed_offset("g1", "t", 0).value().has_value());
  EXPECT_FALSE(kernel->committed_offset("g1", "t", 1).value().has_value());
  EXPECT_THAT(kernel->list_groups(), ElementsAre("g2"));
  EXPECT_EQ(kernel->committed_offset("g2", "t", 0).value()->offset, 3);
}

TEST_F(SubscriptionTest, DeleteSubscriptionFreesItsState) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("jobs", 1));
  produce(*kernel, "jobs", 0, 10);
  Hub hub;
  auto first = std::make_unique<TestConsumer>(hub, *kernel, queue_spec("jobs", "q"));
  ASSERT_TRUE(first->ok());
  ASSERT_TRUE(hub.wait([&] { return first->acked.size() == 10; }));
  ASSERT_TRUE(testing::wait_until(
      [&] { return ack_floor(*kernel, "jobs", "q") == std::vector<std::int64_t>{10}; }));

  // Deleting detaches the consumer that is still attached.
  ASSERT_TRUE(kernel->delete_subscription("jobs", "q"));
  EXPECT_FALSE(find_subscription(*kernel, "jobs", "q"));
  EXPECT_FALSE(kernel->delete_subscription("jobs", "q"));
  produce(*kernel, "jobs", 0, 1, "after");

  // The same name again is a new subscription, from the earliest record.
  TestConsumer second(hub, *kernel, queue_spec("jobs", "q"));
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(hub.wait([&] { return second.acked.size() == 11; }));
  std::lock_guard lock(hub.mutex);
  EXPECT_EQ(second.offsets(0).front(), 0);
  for (const auto& got : second.received) EXPECT_EQ(got.attempt, 1);
  EXPECT_EQ(first->received.size(), 10u) << "the deleted subscription's consumer still receives";
}

// ---------------------------------------------------------------------------
// Retention

TopicConfig small_segments() {
  TopicConfig config;
  config.segment_bytes = 1024;
  config.retention_bytes = 2048;
  config.retention_ms = -1;
  return config;
}

TEST_F(SubscriptionTest, RetentionMovesASubscriptionOnToTheLogStart) {
  auto opts = options();
  opts.topic_defaults = small_segments();
  opts.respect_subscriptions = false;
  auto kernel = open(opts);
  ASSERT_TRUE(kernel->create_topic("logs", 1));
  Hub hub;
  TestConsumer(hub, *kernel, queue_spec("logs", "audit")).detach();  // exists, at offset 0
  ASSERT_TRUE(find_subscription(*kernel, "logs", "audit"));
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(kernel->produce_and_wait("logs", 0, {make_record(std::string(200, 'r'))}));
  }
  kernel->enforce_retention();
  const auto log_start = kernel->offsets("logs", 0)->log_start_offset;
  ASSERT_GT(log_start, 0) << "retention deleted nothing";

  TestConsumer consumer(hub, *kernel, queue_spec("logs", "audit"));
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE(hub.wait([&] { return consumer.acked.size() == std::size_t(50 - log_start); }))
      << consumer.acked.size();
  ASSERT_TRUE(testing::wait_until(
      [&] { return ack_floor(*kernel, "logs", "audit") == std::vector<std::int64_t>{50}; }));
  std::lock_guard lock(hub.mutex);
  std::vector<std::int64_t> expected(std::size_t(50 - log_start));
  std::iota(expected.begin(), expected.end(), log_start);
  EXPECT_EQ(consumer.offsets(0), expected);
}

TEST_F(SubscriptionTest, RetentionKeepsWhatADurableSubscriptionNeedsWhenAsked) {
  auto opts = options();
  opts.topic_defaults = small_segments();
  opts.respect_subscriptions = true;
  auto kernel = open(opts);
  ASSERT_TRUE(kernel->create_topic("logs", 1));
  Hub hub;
  TestConsumer(hub, *kernel, queue_spec("logs", "audit")).detach();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(kernel->produce_and_wait("logs", 0, {make_record(std::string(200, 'r'))}));
  }
  kernel->enforce_retention();
  EXPECT_EQ(kernel->offsets("logs", 0)->log_start_offset, 0)
      << "retention deleted records the subscription has not acked";

  Behaviour first_thirty;
  first_thirty.decide = [](const Got& got) { return got.offset < 30 ? Action::ack : Action::hold; };
  TestConsumer consumer(hub, *kernel, queue_spec("logs", "audit"), first_thirty);
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE(hub.wait([&] { return consumer.acked.size() == 30 && consumer.held.size() == 20; }));
  ASSERT_TRUE(testing::wait_until(
      [&] { return ack_floor(*kernel, "logs", "audit") == std::vector<std::int64_t>{30}; }));
  kernel->enforce_retention();
  const auto kept_from = kernel->offsets("logs", 0)->log_start_offset;
  EXPECT_GT(kept_from, 0) << "acked segments were kept";
  EXPECT_LE(kept_from, 30) << "an unacked record was deleted";
  ASSERT_FALSE(read_all(*kernel, "logs", 0, 30).empty());
  EXPECT_EQ(read_all(*kernel, "logs", 0, 30).front().offset, 30);

  // Once the subscription is gone nothing holds retention back.
  consumer.detach();
  ASSERT_TRUE(kernel->delete_subscription("logs", "audit"));
  kernel->enforce_retention();
  EXPECT_GT(kernel->offsets("logs", 0)->log_start_offset, 30);
}

// ---------------------------------------------------------------------------
// Edge cases found in review

TEST_F(SubscriptionTest, AckThroughTheLargestOffsetAcksEverythingHeld) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("jobs", 1));
  Hub hub;
  Behaviour holding;
  holding.decide = [](const Got&) { return Action::hold; };
  TestConsumer consumer(hub, *kernel, queue_spec("jobs", "q"), holding);
  produce(*kernel, "jobs", 0, 5, "r");
  ASSERT_TRUE(hub.wait([&] { return consumer.held.size() == 5; }));
  ASSERT_TRUE(consumer.handle()->ack_through(0, INT64_MAX));
  EXPECT_THAT(ack_floor(*kernel, "jobs", "q"), ElementsAre(5));
}

TEST_F(SubscriptionTest, DeletingTheTopicEndsItsConsumers) {
  auto kernel = open(options());
  ASSERT_TRUE(kernel->create_topic("jobs", 1));
  Hub hub;
  std::optional<Error> closed;
  Behaviour holding;
  holding.decide = [](const Got&) { return Action::hold; };
  holding.options.on_closed = [&](const Error& error) {
    {
      std::lock_guard lock(hub.mutex);
      closed = error;
    }
    hub.changed.notify_all();
  };
  TestConsumer consumer(hub, *kernel, queue_spec("jobs", "q"), holding);
  produce(*kernel, "jobs", 0, 2, "r");
  ASSERT_TRUE(hub.wait([&] { return consumer.held.size() == 2; }));
  ASSERT_TRUE(kernel->delete_topic("jobs"));
  ASSERT_TRUE(hub.wait([&] { return closed.has_value(); }));
  EXPECT_EQ(closed->code, Errc::unknown_topic);
  auto late_ack = consumer.handle()->ack(0, 0);
  ASSERT_FALSE(late_ack);
  EXPECT_EQ(late_ack.error().code, Errc::unknown_topic);
}

TEST_F(SubscriptionTest, AFailingDeadLetterTopicIsRetriedLaterNotInALoop) {
  // The dead-letter topic of a 249-character topic would be 253 characters:
  // it can never be created.
  auto kernel = open(options(/*ack_timeout_ms=*/60'000));
  const std::string topic(249, 't');
  ASSERT_TRUE(kernel->create_topic(topic, 1));
  Hub hub;
  Behaviour rejecting;
  rejecting.decide = [](const Got&) { return Action::reject; };
  TestConsumer consumer(hub, *kernel, queue_spec(topic, "q"), rejecting);
  produce(*kernel, topic, 0, 1, "poison");
  ASSERT_TRUE(hub.wait([&] { return consumer.received.size() == 1; }));
  // Nothing more arrives: the record waits for its retry instead of being
  // redelivered, rejected and failed again at once.
  EXPECT_FALSE(hub.wait([&] { return consumer.received.size() > 1; }, 500ms));
  EXPECT_THAT(ack_floor(*kernel, topic, "q"), ElementsAre(0));
}

}  // namespace
}  // namespace junction::kernel
