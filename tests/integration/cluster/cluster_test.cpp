// Three junctiond processes coordinated by a real ZooKeeper server, driven by
// Kafka and AMQP clients the way a user would.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "integration/cluster/test_cluster.hpp"
#include "support/zookeeper_server.hpp"

namespace junction::testing {
namespace {

using std::chrono::seconds;

// Failover takes a session timeout, plus a metadata round trip per poll.
constexpr auto kFailoverDeadline = seconds(30);

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(zookeeper_.ready()) << zookeeper_.log();
    cluster_ = std::make_unique<TestCluster>(zookeeper_.connect_string(), "/junction", 3);
    ASSERT_TRUE(cluster_->start_all());
    ASSERT_TRUE(wait_until([&] { return read_metadata(broker(1).bootstrap()).brokers.size() == 3; },
                           seconds(20)))
        << "the three brokers never saw each other";
  }

  ClusterBroker& broker(std::int32_t id) { return cluster_->broker(id); }

  // Waits until `bootstrap` describes `topic` with `partitions` partitions,
  // each led by a live broker; returns that view.
  ClusterMetadata wait_for_topic(const std::string& bootstrap, const std::string& topic,
                                 std::size_t partitions) {
    ClusterMetadata seen;
    wait_until(
        [&] {
          seen = read_metadata(bootstrap);
          if (seen.partition_count(topic) != partitions) return false;
          for (const auto& [key, partition] : seen.partitions)
            if (key.first == topic && (partition.leader < 0 || partition.error != "NONE"))
              return false;
          return true;
        },
        seconds(20));
    return seen;
  }

  ZooKeeperServer zookeeper_;
  std::unique_ptr<TestCluster> cluster_;
};

std::size_t count_lines(const std::string& text) {
  return std::count(text.begin(), text.end(), '\n');
}

TEST_F(ClusterTest, TopicsCreatedOnAnyBrokerAreSeenByAllAndSpreadOverThem) {
  ASSERT_EQ(create_topic(broker(2).bootstrap(), "spread", 6), "created");
  for (auto id : cluster_->ids()) {
    auto seen = wait_for_topic(broker(id).bootstrap(), "spread", 6);
    ASSERT_EQ(seen.partition_count("spread"), 6u) << "broker " << id << " does not see it";
    for (auto leader : cluster_->ids()) {
      EXPECT_EQ(seen.partitions_led_by("spread", leader).size(), 2u)
          << "broker " << leader << " should lead two of six partitions";
    }
  }
  // Creating it again through another broker is refused, as in Kafka.
  EXPECT_EQ(create_topic(broker(3).bootstrap(), "spread", 6), "TOPIC_ALREADY_EXISTS");
}

TEST_F(ClusterTest, KcatRoundTripsTenThousandRecordsAcrossAllPartitions) {
  ASSERT_EQ(create_topic(broker(1).bootstrap(), "roundtrip", 6), "created");
  wait_for_topic(broker(3).bootstrap(), "roundtrip", 6);
  std::string input;
  for (int i = 0; i < 10'000; ++i)
    input += "key-" + std::to_string(i) + ":value-" + std::to_string(i) + "\n";
  auto produced =
      run_command({"kcat", "-b", broker(1).bootstrap(), "-P", "-t", "roundtrip", "-K:", "-X",
                   "message.timeout.ms=30000", "-X", "enable.idempotence=true"},
                  input, seconds(60));
  ASSERT_EQ(produced.status, 0) << produced.err;

  auto consumed = run_command({"kcat", "-b", broker(3).bootstrap(), "-C", "-t", "roundtrip", "-o",
                               "beginning", "-e", "-q", "-f", "%p %k %s\\n"},
                              {}, seconds(60));
  ASSERT_EQ(consumed.status, 0) << consumed.err;
  std::set<std::string> values;
  std::set<int> partitions;
  std::istringstream lines(consumed.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    int partition = -1;
    std::string key, value;
    words >> partition >> key >> value;
    EXPECT_EQ(key.substr(4), value.substr(6)) << line;
    values.insert(value);
    partitions.insert(partition);
  }
  EXPECT_EQ(count_lines(consumed.out), 10'000u);
  EXPECT_EQ(values.size(), 10'000u);
  EXPECT_EQ(partitions.size(), 6u) << "every partition, on every broker, holds records";
}

TEST_F(ClusterTest, AmqpClientsOnTwoBrokersExchangeThroughTheLeaderOnAThird) {
  ASSERT_EQ(create_topic(broker(1).bootstrap(), "relay", 3), "created");
  auto seen = wait_for_topic(broker(1).bootstrap(), "relay", 3);
  auto on_two = seen.partitions_led_by("relay", 2);
  ASSERT_EQ(on_two.size(), 1u);
  const auto partition = std::to_string(on_two.front());

  auto sent = run_amqp_client("blocking_send.py", {"--url", broker(1).amqp_url(), "--address",
                                                   "relay/" + partition, "--count", "1000"});
  ASSERT_EQ(sent.status, 0) << sent.err;
  EXPECT_NE(sent.out.find("sent=1000 accepted=1000"), std::string::npos) << sent.out;

  auto received = run_amqp_client("blocking_receive.py",
                                  {"--url", broker(3).amqp_url(), "--address", "relay::readers",
                                   "--count", "1000", "--credit", "200", "--timeout", "20"});
  ASSERT_EQ(received.status, 0) << received.out << received.err;
  std::istringstream lines(received.out);
  std::string line;
  int next = 0;
  while (std::getline(lines, line) && line.rfind("message ", 0) == 0) {
    std::istringstream words(line);
    std::string word, topic, body;
    int got_partition = -1;
    long offset = -1;
    int delivery_count = 0;
    words >> word >> got_partition >> offset >> delivery_count >> topic >> body;
    ASSERT_EQ(std::to_string(got_partition), partition) << line;
    ASSERT_EQ(offset, next) << "per-partition order holds across brokers: " << line;
    ASSERT_EQ(body, "value-" + std::to_string(next)) << line;
    ++next;
  }
  EXPECT_EQ(next, 1000);

  // The records live on broker 2, the leader: a Kafka client reads them there.
  auto on_leader = run_command({"kcat", "-b", broker(2).bootstrap(), "-C", "-t", "relay", "-p",
                                partition, "-o", "beginning", "-e", "-q", "-f", "%s\\n"},
                               {}, seconds(30));
  EXPECT_EQ(count_lines(on_leader.out), 1000u) << on_leader.err;
}

TEST_F(ClusterTest, WebSocketQueueConsumersOnTwoBrokersShareWhatAThirdPublished) {
  ASSERT_EQ(create_topic(broker(1).bootstrap(), "mail", 3), "created");
  auto seen = wait_for_topic(broker(3).bootstrap(), "mail", 3);
  for (auto id : cluster_->ids()) ASSERT_EQ(seen.partitions_led_by("mail", id).size(), 1u);

  auto shared = run_integration_client("cluster_ws_queue.py",
                                       {broker(1).websocket_url(), broker(2).websocket_url(),
                                        broker(3).websocket_url(), "mail", "600"});
  ASSERT_EQ(shared.status, 0) << shared.out << shared.err;
  EXPECT_NE(shared.out.find("\"acks\": 600, \"distinct\": 600, \"max_copies\": 1"),
            std::string::npos)
      << "every record once, from all three leaders: " << shared.out;
  EXPECT_EQ(shared.out.find("\"taken_a\": 0,"), std::string::npos) << shared.out;
  EXPECT_EQ(shared.out.find("\"taken_b\": 0}"), std::string::npos) << shared.out;
}

TEST_F(ClusterTest, ZeroMqClientsOnThreeBrokersShareAQueueAndGetBroadcasts) {
  ASSERT_EQ(create_topic(broker(1).bootstrap(), "jobs", 3), "created");
  auto seen = wait_for_topic(broker(3).bootstrap(), "jobs", 3);
  for (auto id : cluster_->ids()) ASSERT_EQ(seen.partitions_led_by("jobs", id).size(), 1u);

  auto spread = run_integration_client(
      "cluster_zmq.py", {broker(1).zmq_router(), broker(2).zmq_router(), broker(3).zmq_router(),
                         broker(3).zmq_publisher(), "jobs", "600"});
  ASSERT_EQ(spread.status, 0) << spread.out << spread.err;
  EXPECT_NE(spread.out.find("\"produced\": 600, \"acked\": 600, \"distinct\": 600, "
                            "\"max_copies\": 1"),
            std::string::npos)
      << "every record acked once in the group, from all three leaders: " << spread.out;
  EXPECT_EQ(spread.out.find("\"taken_b\": 0,"), std::string::npos) << spread.out;
  EXPECT_EQ(spread.out.find("\"taken_c\": 0,"), std::string::npos) << spread.out;
  EXPECT_NE(spread.out.find("\"broadcast\": 600,"), std::string::npos)
      << "the SUB on broker 3 gets every record: " << spread.out;
}

TEST_F(ClusterTest, RejectedMessagesLandInADeadLetterTopicTheWholeClusterSees) {
  ASSERT_EQ(create_topic(broker(1).bootstrap(), "payments", 3), "created");
  wait_for_topic(broker(3).bootstrap(), "payments", 3);
  auto sent = run_amqp_client(
      "send.py", {"--url", broker(1).amqp_url(), "--address", "payments", "--count", "30"});
  ASSERT_EQ(sent.status, 0) << sent.out << sent.err;
  ASSERT_NE(sent.out.find("accepted=30 "), std::string::npos) << sent.out;

  // The group lives on each partition's leader; the receiver on broker 3
  // rejects what all three leaders send it.
  auto rejecting = run_amqp_client(
      "receive.py", {"--url", broker(3).amqp_url(), "--address", "payments::billing", "--outcome",
                     "reject", "--count", "30", "--idle-timeout", "20"});
  ASSERT_EQ(rejecting.status, 0) << rejecting.out << rejecting.err;

  for (auto id : cluster_->ids()) {
    auto seen = wait_for_topic(broker(id).bootstrap(), "payments.dlq", 1);
    EXPECT_EQ(seen.partition_count("payments.dlq"), 1u) << "broker " << id << " does not see it";
  }
  std::set<std::string> dead;
  ASSERT_TRUE(wait_until(
      [&] {
        auto read = run_command({"kcat", "-b", broker(1).bootstrap(), "-C", "-t", "payments.dlq",
                                 "-o", "beginning", "-e", "-q", "-f", "%s\\n"},
                                {}, seconds(30));
        std::istringstream lines(read.out);
        for (std::string line; std::getline(lines, line);) dead.insert(line);
        return dead.size() == 30;
      },
      seconds(30)))
      << dead.size() << " of 30 rejected messages reached payments.dlq";
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(dead.contains("value-" + std::to_string(i))) << i;

  // An AMQP receiver on another broker reads them too.
  auto letters = run_amqp_client(
      "receive.py", {"--url", broker(2).amqp_url(), "--address", "payments.dlq", "--start",
                     "earliest", "--count", "30", "--idle-timeout", "20"});
  ASSERT_EQ(letters.status, 0) << letters.out << letters.err;
  std::size_t received = 0;
  for (std::size_t at = 0; (at = letters.out.find("message ", at)) != std::string::npos; ++at) {
    ++received;
  }
  EXPECT_EQ(received, 30u) << letters.out;
}

TEST_F(ClusterTest, AnotherBrokerTakesOverWhenTheControllerDies) {
  const auto controller = read_metadata(broker(1).bootstrap()).controller;
  ASSERT_GE(controller, 1);
  broker(controller).process->kill_hard();
  const auto survivor = controller == 1 ? 2 : 1;

  std::int32_t successor = -1;
  ASSERT_TRUE(wait_until(
      [&] {
        successor = read_metadata(broker(survivor).bootstrap()).controller;
        return successor >= 1 && successor != controller;
      },
      kFailoverDeadline))
      << "no new controller after broker " << controller << " died";

  ASSERT_EQ(create_topic(broker(survivor).bootstrap(), "after-failover", 4), "created");
  auto seen = wait_for_topic(broker(survivor).bootstrap(), "after-failover", 4);
  EXPECT_TRUE(seen.partitions_led_by("after-failover", controller).empty())
      << "a dead broker was given partitions";
}

TEST_F(ClusterTest, APartitionWhoseLeaderDiesIsUnavailableUntilItReturnsWithEverythingAcked) {
  ASSERT_EQ(create_topic(broker(1).bootstrap(), "durable", 3), "created");
  auto seen = wait_for_topic(broker(1).bootstrap(), "durable", 3);
  std::string input;
  for (int i = 0; i < 300; ++i) input += "k" + std::to_string(i) + ":v" + std::to_string(i) + "\n";
  auto produced = run_command({"kcat", "-b", cluster_->bootstrap_all(), "-P", "-t", "durable",
                               "-K:", "-X", "acks=all", "-X", "message.timeout.ms=20000"},
                              input, seconds(60));
  ASSERT_EQ(produced.status, 0) << produced.err;

  const std::int32_t victim = 2;
  const auto victims_partition = seen.partitions_led_by("durable", victim).at(0);
  const auto key = std::make_pair(std::string("durable"), victims_partition);
  broker(victim).process->kill_hard();

  // Nobody else may serve it: the data is on the dead broker.
  ASSERT_TRUE(wait_until(
      [&] {
        auto now = read_metadata(broker(1).bootstrap());
        auto it = now.partitions.find(key);
        if (it == now.partitions.end()) return false;
        EXPECT_TRUE(it->second.leader == victim || it->second.leader == -1)
            << "partition " << victims_partition << " moved to broker " << it->second.leader;
        return it->second.leader == -1 && it->second.error == "LEADER_NOT_AVAILABLE";
      },
      kFailoverDeadline));

  ASSERT_TRUE(broker(victim).process->start());
  ASSERT_TRUE(wait_until(
      [&] {
        auto now = read_metadata(broker(3).bootstrap());
        auto it = now.partitions.find(key);
        return it != now.partitions.end() && it->second.leader == victim;
      },
      kFailoverDeadline))
      << "broker " << victim << " did not lead its partition again";

  auto consumed = run_command({"kcat", "-b", cluster_->bootstrap_all(), "-C", "-t", "durable", "-o",
                               "beginning", "-e", "-q", "-f", "%s\\n"},
                              {}, seconds(60));
  ASSERT_EQ(consumed.status, 0) << consumed.err;
  EXPECT_EQ(count_lines(consumed.out), 300u) << "every acknowledged record is still there";
}

std::vector<std::string> record_values(const std::string& consumer_output) {
  std::vector<std::string> values;
  std::istringstream lines(consumer_output);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string kind, partition, offset, value;
    words >> kind >> partition >> offset >> value;
    if (kind == "record") values.push_back(value);
  }
  return values;
}

TEST_F(ClusterTest, AConsumerGroupResumesFromItsCommittedOffsetsThroughAnyBroker) {
  ASSERT_EQ(create_topic(broker(1).bootstrap(), "orders", 3), "created");
  wait_for_topic(broker(1).bootstrap(), "orders", 3);
  auto produce = [&](const std::string& prefix, int count) {
    std::string input;
    for (int i = 0; i < count; ++i) input += prefix + std::to_string(i) + "\n";
    return run_command({"kcat", "-b", cluster_->bootstrap_all(), "-P", "-t", "orders", "-X",
                        "message.timeout.ms=20000"},
                       input, seconds(60));
  };
  ASSERT_EQ(produce("first-", 100).status, 0);

  // Each consumer bootstraps from one broker and finds the group's
  // coordinator, wherever it is, through FindCoordinator.
  auto first = run_kafka_client(
      "group_consumer.py",
      {"--bootstrap", broker(3).bootstrap(), "--topic", "orders", "--group", "billing",
       "--commit-each", "--max-records", "100", "--linger-ms", "500", "--lifetime-ms", "40000"});
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  EXPECT_EQ(record_values(first.out).size(), 100u) << first.out;

  ASSERT_EQ(produce("second-", 50).status, 0);
  auto second = run_kafka_client(
      "group_consumer.py",
      {"--bootstrap", broker(1).bootstrap(), "--topic", "orders", "--group", "billing",
       "--commit-each", "--max-records", "50", "--linger-ms", "1000", "--lifetime-ms", "40000"});
  ASSERT_EQ(second.status, 0) << second.out << second.err;
  auto values = record_values(second.out);
  EXPECT_EQ(values.size(), 50u) << second.out;
  for (const auto& value : values) {
    EXPECT_EQ(value.rfind("second-", 0), 0u) << "a committed record came again: " << value;
  }
}

TEST_F(ClusterTest, BrokersThatLoseTheirSessionStopWritingAndRejoinWhenItReturns) {
  ASSERT_EQ(create_topic(broker(1).bootstrap(), "fenced", 3), "created");
  wait_for_topic(broker(1).bootstrap(), "fenced", 3);
  auto produce_one = [&](const std::string& value, const char* timeout_ms) {
    return run_command({"kcat", "-b", cluster_->bootstrap_all(), "-P", "-t", "fenced", "-X",
                        std::string("message.timeout.ms=") + timeout_ms},
                       value + "\n", seconds(30))
               .status == 0;
  };
  ASSERT_TRUE(produce_one("before", "20000"));

  zookeeper_.pause();
  // Disconnected brokers cannot vouch for their leadership: no writes.
  EXPECT_TRUE(wait_until([&] { return !produce_one("during", "1000"); }, seconds(20)))
      << "brokers kept appending without a ZooKeeper session";
  // The server, stopped, cannot expire anything: each broker must give its
  // session up by itself once it has been cut off for the whole timeout.
  for (auto id : cluster_->ids()) {
    EXPECT_TRUE(
        wait_until([&] { return broker(id).process->log_contains("the session counts as lost"); },
                   seconds(20)))
        << "broker " << id << " kept its session\n"
        << broker(id).process->log();
  }
  zookeeper_.resume();

  ASSERT_TRUE(wait_until([&] { return produce_one("after", "3000"); }, kFailoverDeadline))
      << "the brokers did not rejoin";
  for (auto id : cluster_->ids()) {
    EXPECT_TRUE(wait_until([&] { return broker(id).process->log_contains("rejoined the cluster"); },
                           seconds(20)))
        << "broker " << id << " never re-registered";
  }
  auto consumed = run_command({"kcat", "-b", cluster_->bootstrap_all(), "-C", "-t", "fenced", "-o",
                               "beginning", "-e", "-q", "-f", "%s\\n"},
                              {}, seconds(60));
  EXPECT_NE(consumed.out.find("before\n"), std::string::npos) << consumed.out;
  EXPECT_NE(consumed.out.find("after\n"), std::string::npos) << consumed.out;
}

TEST_F(ClusterTest, ASecondBrokerWithATakenIdIsRefusedAndTheClusterGoesOn) {
  TestCluster impostor(zookeeper_.connect_string(), "/junction", 1);  // another broker 1
  ASSERT_FALSE(impostor.start_all());
  EXPECT_TRUE(impostor.broker(1).process->log_contains("broker id 1 is already registered"))
      << impostor.broker(1).process->log();
  ASSERT_EQ(create_topic(broker(1).bootstrap(), "still-serving", 3), "created");
  auto seen = wait_for_topic(broker(2).bootstrap(), "still-serving", 3);
  EXPECT_EQ(seen.brokers, (std::vector<std::int32_t>{1, 2, 3}));
}

TEST_F(ClusterTest, AClusterUnderAnotherRootSeesNoneOfTheFirstsTopics) {
  TestCluster other(zookeeper_.connect_string(), "/other-cluster", 1);
  ASSERT_TRUE(other.start_all());
  ASSERT_EQ(create_topic(broker(1).bootstrap(), "first-only", 2), "created");
  ASSERT_EQ(create_topic(other.broker(1).bootstrap(), "second-only", 2), "created");
  wait_for_topic(broker(3).bootstrap(), "first-only", 2);
  wait_for_topic(other.broker(1).bootstrap(), "second-only", 2);

  auto first = read_metadata(broker(3).bootstrap());
  auto second = read_metadata(other.broker(1).bootstrap());
  EXPECT_EQ(first.partition_count("second-only"), 0u);
  EXPECT_EQ(second.partition_count("first-only"), 0u);
  EXPECT_EQ(second.brokers, std::vector<std::int32_t>{1});
}

}  // namespace
}  // namespace junction::testing
