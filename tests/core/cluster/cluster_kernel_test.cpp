#include "cluster/cluster_kernel.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <set>

#include "junction/log.hpp"
#include "junction/record_batch.hpp"
#include "shared_coordinator.hpp"
#include "support/junctiond_process.hpp"

namespace junction::cluster {
namespace {

using ::testing::HasSubstr;
using testing::SharedCluster;
using testing::SharedCoordinator;
using testing::TempDir;
using testing::wait_until;

// One broker: its own data dir, LocalKernel, coordinator session and channel.
class Node {
 public:
  Node(std::int32_t id, const std::shared_ptr<SharedCluster>& cluster)
      : id_(id), coordinator_(cluster->member()) {
    kernel::KernelOptions options;
    options.broker_id = id;
    options.data_dir = dir_.path();
    options.topic_defaults.partitions = 3;
    auto opened = kernel::LocalKernel::open(options);
    EXPECT_TRUE(opened.ok());
    local_ = std::move(opened.value());
  }

  ~Node() {
    stop_channel();
    coordinator_->stop();
  }

  // Starts the cluster kernel on `port` (0: any), joining the cluster the
  // first time.
  void start_channel(std::uint16_t port = 0) {
    ClusterOptions options;
    options.broker_id = id_;
    options.listen = {"127.0.0.1", port};
    options.default_partitions = 3;
    auto created = ClusterKernel::create(*local_, *coordinator_, options);
    ASSERT_TRUE(created.ok()) << created.error().message;
    kernel_ = std::move(created.value());
    coordinator_->on_change(kernel_->change_callback());
    if (!joined_) {
      ASSERT_TRUE(coordinator_->start({id_, {{"cluster", kernel_->advertised_endpoint()}}}).ok());
      joined_ = true;
    }
    ASSERT_TRUE(kernel_->start().ok());
  }

  void stop_channel() {
    coordinator_->on_change({});
    kernel_.reset();
  }

  std::uint16_t channel_port() const {
    return parse_host_port(kernel_->advertised_endpoint())->port;
  }

  std::int32_t id() const { return id_; }
  ClusterKernel& kernel() { return *kernel_; }
  kernel::LocalKernel& local() { return *local_; }

 private:
  TempDir dir_;
  std::int32_t id_;
  std::shared_ptr<SharedCoordinator> coordinator_;
  std::unique_ptr<kernel::LocalKernel> local_;
  std::unique_ptr<ClusterKernel> kernel_;
  bool joined_ = false;
};

// Deliveries of one consumer, acked from the test thread.
class Collector {
 public:
  struct Seen {
    std::int32_t partition;
    std::int64_t offset;
    std::int32_t attempt;
    std::string value;
  };

  DeliveryCallback callback() {
    return [this](DeliveryBatch batch) {
      std::lock_guard lock(mutex_);
      for (const auto& delivered : batch.records) {
        seen_.push_back({delivered.partition, delivered.record->offset, delivered.attempt,
                         delivered.record->record.value.value_or("")});
      }
    };
  }

  // Acks what arrived since the last call; returns how many arrived in all.
  std::size_t ack_new(Consumer& consumer) {
    std::vector<Seen> fresh;
    {
      std::lock_guard lock(mutex_);
      fresh.assign(seen_.begin() + std::ptrdiff_t(acked_), seen_.end());
      acked_ = seen_.size();
    }
    for (const auto& seen : fresh) EXPECT_TRUE(consumer.ack(seen.partition, seen.offset).ok());
    return acked_;
  }

  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Seen> seen_;
  std::size_t acked_ = 0;
};

class ClusterKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (std::int32_t id = 1; id <= 3; ++id) nodes_.push_back(std::make_unique<Node>(id, cluster_));
    for (auto& node : nodes_) node->start_channel();
  }

  Node& a() { return *nodes_[0]; }
  Node& b() { return *nodes_[1]; }
  Node& c() { return *nodes_[2]; }

  // Whether `consumer`, a subscriber on A, has a part attached to B.
  bool attached_to_b(const std::shared_ptr<Consumer>& consumer) {
    auto brokers = std::dynamic_pointer_cast<CompositeConsumer>(consumer)->remote_brokers();
    return std::ranges::find(brokers, b().id()) != brokers.end();
  }

  // Creates a topic with one partition per broker through A and waits until
  // every broker knows it. Returns the partition each broker leads.
  std::map<std::int32_t, std::int32_t> topic_on_every_broker(const std::string& name) {
    EXPECT_TRUE(a().kernel().create_topic(name, 3).ok());
    std::map<std::int32_t, std::int32_t> led_by;
    EXPECT_TRUE(wait_until([&] {
      for (auto& node : nodes_) {
        if (!node->local().describe_topic(name)) return false;
        for (std::int32_t p = 0; p < 3; ++p) {
          if (!node->kernel().partition_leader(name, p)) return false;
        }
      }
      return true;
    }));
    for (std::int32_t p = 0; p < 3; ++p)
      led_by[a().kernel().partition_leader(name, p)->broker_id] = p;
    EXPECT_EQ(led_by.size(), 3u) << "round robin gives each broker one of three partitions";
    return led_by;
  }

  static std::vector<StoredRecord> read_partition(Kernel& kernel, const std::string& topic,
                                                  std::int32_t partition) {
    auto fetched = kernel.fetch(topic, partition, 0, 64u << 20);
    EXPECT_TRUE(fetched.ok()) << fetched.error().message;
    auto records = batch::decode_all(fetched->batches);
    EXPECT_TRUE(records.ok());
    return records.value();
  }

  std::shared_ptr<SharedCluster> cluster_ = std::make_shared<SharedCluster>();
  std::vector<std::unique_ptr<Node>> nodes_;
};

// Reads until the broker closes the socket (its Hello may come first).
bool closed_by_peer(int fd) {
  pollfd polled{fd, POLLIN, 0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::poll(&polled, 1, 200) <= 0) continue;
    char buffer[256];
    if (::recv(fd, buffer, sizeof buffer, 0) <= 0) return true;
  }
  return false;
}

Record value(const std::string& text) { return Record{std::nullopt, text, kNoTimestamp, {}}; }

TEST_F(ClusterKernelTest, TopicCreatedOnOneBrokerAppearsOnEveryBrokerAndGoesWithIt) {
  topic_on_every_broker("shared");
  for (auto& node : nodes_) EXPECT_EQ(node->kernel().describe_topic("shared")->partitions, 3);

  ASSERT_TRUE(b().kernel().delete_topic("shared").ok());
  EXPECT_TRUE(wait_until([&] {
    for (auto& node : nodes_) {
      if (node->local().describe_topic("shared")) return false;
    }
    return true;
  }));
}

TEST_F(ClusterKernelTest, ProduceThroughAnotherBrokerLandsInTheLeadersLogInOrder) {
  const auto partition = topic_on_every_broker("orders").at(b().id());
  constexpr int kRecords = 1000;
  std::atomic<int> acked{0};
  std::atomic<int> failed{0};
  for (int i = 0; i < kRecords; ++i) {
    a().kernel().produce("orders", partition, {value("r" + std::to_string(i))},
                         [&](Result<ProduceAck> ack) { ++(ack ? acked : failed); });
  }
  ASSERT_TRUE(wait_until([&] { return acked + failed == kRecords; }));
  EXPECT_EQ(failed, 0);

  auto records = read_partition(b().kernel(), "orders", partition);
  ASSERT_EQ(records.size(), std::size_t(kRecords));
  for (int i = 0; i < kRecords; ++i) {
    EXPECT_EQ(records[std::size_t(i)].offset, i);
    EXPECT_EQ(records[std::size_t(i)].record.value, "r" + std::to_string(i));
    EXPECT_GT(records[std::size_t(i)].record.timestamp_ms, 0) << "stamped by the forwarding broker";
  }
  // Nothing was stored on the broker the producer used.
  EXPECT_EQ(a().local().offsets("orders", partition)->high_watermark, 0);
}

TEST_F(ClusterKernelTest, ProduceToAPartitionWhoseLeaderIsDownIsLeaderNotAvailable) {
  const auto partition = topic_on_every_broker("down").at(c().id());
  cluster_->kill(c().id());
  ASSERT_TRUE(wait_until(
      [&] { return a().kernel().partition_leader("down", partition)->broker_id == -1; }));

  auto produced = a().kernel().produce_and_wait("down", partition, {value("lost")});
  ASSERT_FALSE(produced.ok());
  EXPECT_EQ(produced.error().code, Errc::leader_not_available);
  EXPECT_THAT(produced.error().message, HasSubstr("no live leader"));
  // Reads too: a Kafka client hears LEADER_NOT_AVAILABLE, not "go elsewhere".
  EXPECT_EQ(a().kernel().fetch("down", partition, 0, 1024).error().code,
            Errc::leader_not_available);

  cluster_->revive(c().id());
  ASSERT_TRUE(wait_until(
      [&] { return a().kernel().partition_leader("down", partition)->broker_id == c().id(); }));
  EXPECT_TRUE(a().kernel().produce_and_wait("down", partition, {value("back")}).ok());
}

TEST_F(ClusterKernelTest, ReadsOnABrokerThatDoesNotLeadArePointedAway) {
  const auto partition = topic_on_every_broker("reads").at(b().id());
  auto fetched = a().kernel().fetch("reads", partition, 0, 1024);
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.error().code, Errc::not_leader);
  EXPECT_EQ(a().kernel().offsets("reads", partition).error().code, Errc::not_leader);
  auto leader = a().kernel().partition_leader("reads", partition);
  EXPECT_EQ(leader->broker_id, b().id());
  EXPECT_FALSE(leader->local);
  EXPECT_TRUE(b().kernel().partition_leader("reads", partition)->local);
  EXPECT_TRUE(b().kernel().fetch("reads", partition, 0, 1024).ok());
}

TEST_F(ClusterKernelTest, QueueConsumersOnTwoBrokersShareEveryRecordOnce) {
  auto led_by = topic_on_every_broker("work");
  SubscriptionSpec spec{"work", "workers", DeliveryMode::queue, std::nullopt, false};
  Collector on_a, on_c;
  auto consumer_a = a().kernel().subscribe(spec, {}, on_a.callback());
  auto consumer_c = c().kernel().subscribe(spec, {}, on_c.callback());
  ASSERT_TRUE(consumer_a.ok() && consumer_c.ok());

  constexpr int kRecords = 300;
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_TRUE(
        b().kernel().produce_and_wait("work", kAnyPartition, {value(std::to_string(i))}).ok());
  }
  ASSERT_TRUE(wait_until([&] {
    return on_a.ack_new(**consumer_a) + on_c.ack_new(**consumer_c) >= std::size_t(kRecords);
  }));

  std::set<std::pair<std::int32_t, std::int64_t>> positions;
  std::set<std::string> values;
  for (const auto* collector : {&on_a, &on_c}) {
    for (const auto& seen : collector->seen()) {
      EXPECT_TRUE(positions.emplace(seen.partition, seen.offset).second) << "delivered twice";
      values.insert(seen.value);
    }
  }
  EXPECT_EQ(positions.size(), std::size_t(kRecords));
  EXPECT_EQ(values.size(), std::size_t(kRecords));

  // Each leader's subscription saw the acks for its own partition.
  for (auto& node : nodes_) {
    const auto partition = led_by.at(node->id());
    const auto end = node->kernel().offsets("work", partition)->high_watermark;
    EXPECT_GT(end, 0);
    EXPECT_TRUE(wait_until([&] {
      for (const auto& info : node->kernel().list_subscriptions("work")) {
        if (info.name == "workers") return info.ack_floor.at(std::size_t(partition)) == end;
      }
      return false;
    })) << "broker "
        << node->id();
  }
}

TEST_F(ClusterKernelTest, BroadcastThroughRemotePartsGetsEveryRecord) {
  topic_on_every_broker("news");
  SubscriptionSpec spec{"news", "", DeliveryMode::broadcast, StartPosition::earliest(), false};
  Collector reader;
  auto consumer = a().kernel().subscribe(spec, {}, reader.callback());
  ASSERT_TRUE(consumer.ok());
  constexpr int kRecords = 90;
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_TRUE(
        c().kernel().produce_and_wait("news", kAnyPartition, {value(std::to_string(i))}).ok());
  }
  ASSERT_TRUE(wait_until([&] { return reader.ack_new(**consumer) >= std::size_t(kRecords); }));
  std::set<std::int32_t> partitions;
  for (const auto& seen : reader.seen()) partitions.insert(seen.partition);
  EXPECT_EQ(partitions.size(), 3u) << "records came from all three leaders";
  EXPECT_EQ(reader.count(), std::size_t(kRecords));
}

TEST_F(ClusterKernelTest, UnackedRecordsOfADetachedRemoteConsumerGoToAConsumerOnAnotherBroker) {
  const auto partition = topic_on_every_broker("jobs").at(b().id());
  SubscriptionSpec spec{"jobs", "jobs-q", DeliveryMode::queue, std::nullopt, false};
  Collector holder, taker;
  auto held = a().kernel().subscribe(spec, {}, holder.callback());
  ASSERT_TRUE(held.ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(a().kernel().produce_and_wait("jobs", partition, {value(std::to_string(i))}).ok());
  }
  ASSERT_TRUE(wait_until([&] { return holder.count() == 10; }));

  auto takes = c().kernel().subscribe(spec, {}, taker.callback());
  ASSERT_TRUE(takes.ok());
  auto composite = std::dynamic_pointer_cast<CompositeConsumer>(*takes);
  ASSERT_TRUE(wait_until([&] {
    auto brokers = composite->remote_brokers();
    return std::ranges::find(brokers, b().id()) != brokers.end();
  }));
  EXPECT_EQ(taker.count(), 0u) << "everything is held by the consumer on A";

  (*held)->detach();
  ASSERT_TRUE(wait_until([&] { return taker.ack_new(**takes) >= 10; }));
  std::set<std::int64_t> offsets;
  for (const auto& seen : taker.seen()) {
    EXPECT_EQ(seen.partition, partition);
    EXPECT_EQ(seen.attempt, 2) << "a redelivery";
    offsets.insert(seen.offset);
  }
  EXPECT_EQ(offsets.size(), 10u);
}

TEST_F(ClusterKernelTest, RemotePartReattachesWhenThePeerChannelComesBack) {
  const auto partition = topic_on_every_broker("again").at(b().id());
  SubscriptionSpec spec{"again", "again-q", DeliveryMode::queue, std::nullopt, false};
  Collector reader;
  auto consumer = a().kernel().subscribe(spec, {}, reader.callback());
  ASSERT_TRUE(consumer.ok());
  auto attached = [&] { return attached_to_b(*consumer); };
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(a().kernel().produce_and_wait("again", partition, {value(std::to_string(i))}).ok());
  }
  ASSERT_TRUE(wait_until([&] { return reader.ack_new(**consumer) >= 5; }));
  // Acks travel asynchronously: unacked records would rightly come again.
  ASSERT_TRUE(wait_until([&] {
    auto subscriptions = b().kernel().list_subscriptions("again");
    return !subscriptions.empty() &&
           subscriptions.front().ack_floor.at(std::size_t(partition)) == 5;
  }));

  const auto port = b().channel_port();
  b().stop_channel();
  ASSERT_TRUE(wait_until([&] { return !attached(); }));
  b().start_channel(port);
  ASSERT_TRUE(wait_until(attached));

  for (int i = 5; i < 10; ++i) {
    ASSERT_TRUE(a().kernel().produce_and_wait("again", partition, {value(std::to_string(i))}).ok());
  }
  ASSERT_TRUE(wait_until([&] { return reader.ack_new(**consumer) >= 10; }));
  std::set<std::string> values;
  for (const auto& seen : reader.seen()) values.insert(seen.value);
  EXPECT_EQ(values.size(), 10u);
  EXPECT_EQ(reader.count(), 10u);
}

TEST_F(ClusterKernelTest, ABroadcastPartBackFromALossGetsWhatItsLeaderAppendedMeanwhile) {
  const auto partition = topic_on_every_broker("bulletin").at(b().id());
  SubscriptionSpec spec{"bulletin", "", DeliveryMode::broadcast, std::nullopt, false};
  Collector reader;
  auto consumer = a().kernel().subscribe(spec, {}, reader.callback());
  ASSERT_TRUE(consumer.ok());
  auto attached = [&] { return attached_to_b(*consumer); };
  ASSERT_TRUE(wait_until(attached));
  // The leader's private subscriber starts at "latest" when it attaches:
  // produce until a record gets through, so the part is known to be live.
  ASSERT_TRUE(wait_until([&] {
    (void)b().kernel().produce_and_wait("bulletin", partition, {value("probe")});
    return reader.ack_new(**consumer) > 0;
  }));

  const auto port = b().channel_port();
  b().stop_channel();
  ASSERT_TRUE(wait_until([&] { return !attached(); }));
  // B still leads the partition; only its channel is down.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(b().local()
                    .produce_and_wait("bulletin", partition, {value("away-" + std::to_string(i))})
                    .ok());
  }
  b().start_channel(port);
  ASSERT_TRUE(wait_until(attached));

  std::set<std::string> values;
  ASSERT_TRUE(wait_until([&] {
    (void)b().kernel().produce_and_wait("bulletin", partition, {value("back")});
    reader.ack_new(**consumer);
    for (const auto& seen : reader.seen()) values.insert(seen.value);
    return values.contains("back");
  }));
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(values.contains("away-" + std::to_string(i)))
        << "appended while the part was away, never delivered: away-" << i;
  }
}

TEST_F(ClusterKernelTest, EveryBrokerNamesTheSameGroupCoordinator) {
  for (int g = 0; g < 20; ++g) {
    const std::string group = "group-" + std::to_string(g);
    std::set<std::int32_t> answers;
    ASSERT_TRUE(wait_until([&] {
      answers.clear();
      for (auto& node : nodes_) {
        auto coordinator = node->kernel().group_coordinator(group);
        if (!coordinator) return false;
        answers.insert(*coordinator);
      }
      return true;
    }));
    EXPECT_EQ(answers.size(), 1u) << group;
    EXPECT_GE(*answers.begin(), 1);
  }
}

TEST_F(ClusterKernelTest, AMalformedFrameClosesOnlyItsConnection) {
  const auto partition = topic_on_every_broker("sturdy").at(b().id());
  ASSERT_TRUE(a().kernel().produce_and_wait("sturdy", partition, {value("before")}).ok());

  ::testing::internal::CaptureStderr();
  const int fd = testing::connect_loopback(b().channel_port());
  ASSERT_GE(fd, 0);
  const std::string garbage = "\xff\xff\xff\xffnot a frame";
  ASSERT_EQ(::send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL), ssize_t(garbage.size()));
  const bool closed = closed_by_peer(fd);
  ::close(fd);
  Logger::flush();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(closed);
  EXPECT_THAT(log, HasSubstr("closing inter-broker connection with 127.0.0.1:"));
  EXPECT_THAT(log, HasSubstr("malformed peer frame"));

  ASSERT_TRUE(a().kernel().produce_and_wait("sturdy", partition, {value("after")}).ok());
  EXPECT_EQ(read_partition(b().kernel(), "sturdy", partition).size(), 2u);
}

TEST_F(ClusterKernelTest, APeerSpeakingAnotherProtocolVersionIsRefused) {
  ::testing::internal::CaptureStderr();
  const int fd = testing::connect_loopback(b().channel_port());
  ASSERT_GE(fd, 0);
  const auto hello = encode_frame(Hello{kPeerProtocolVersion + 1, 9});
  ASSERT_EQ(::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL), ssize_t(hello.size()));
  EXPECT_TRUE(closed_by_peer(fd));
  ::close(fd);
  Logger::flush();
  EXPECT_THAT(::testing::internal::GetCapturedStderr(),
              HasSubstr("protocol version " + std::to_string(kPeerProtocolVersion + 1)));
}

TEST_F(ClusterKernelTest, DeletingASubscriptionDeletesItOnEveryLeader) {
  topic_on_every_broker("gone");
  SubscriptionSpec spec{"gone", "gone-q", DeliveryMode::queue, std::nullopt, false};
  Collector reader;
  auto consumer = a().kernel().subscribe(spec, {}, reader.callback());
  ASSERT_TRUE(consumer.ok());
  auto has_subscription = [](Node& node) {
    for (const auto& info : node.kernel().list_subscriptions("gone")) {
      if (info.name == "gone-q") return true;
    }
    return false;
  };
  ASSERT_TRUE(wait_until([&] { return has_subscription(b()) && has_subscription(c()); }));
  (*consumer)->detach();

  ASSERT_TRUE(a().kernel().delete_subscription("gone", "gone-q").ok());
  EXPECT_TRUE(wait_until(
      [&] { return !has_subscription(a()) && !has_subscription(b()) && !has_subscription(c()); }));
}

}  // namespace
}  // namespace junction::cluster
