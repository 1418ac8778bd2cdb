// Consumer groups as real clients use them: partitions shared out, moved on
// a crash or a graceful close, and committed offsets that outlive a restart.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/client_process.hpp"
#include "kafka_test_broker.hpp"

namespace junction::testing {
namespace {

using namespace std::chrono_literals;

const std::set<int> kAllPartitions{0, 1, 2, 3};
// Rebalances start at once, so a test does not wait out Kafka's 3 s delay.
const std::string kTransportToml = "group_initial_rebalance_delay_ms = 0\n";
const std::string kBrokerToml = "[topics]\ndefault_partitions = 4\n";

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> split;
  for (std::string word; in >> word;) split.push_back(word);
  return split;
}

// The partitions a consumer holds now, from its last assigned/revoked line.
std::set<int> assignment(const ClientProcess& consumer) {
  std::set<int> partitions;
  for (const auto& line : consumer.lines()) {
    auto split = words(line);
    if (split.empty()) continue;
    if (split[0] == "revoked") partitions.clear();
    if (split[0] != "assigned") continue;
    partitions.clear();
    for (std::size_t i = 1; i < split.size(); ++i) partitions.insert(std::stoi(split[i]));
  }
  return partitions;
}

struct Consumed {
  int partition;
  std::string value;
};

std::vector<Consumed> records(const ClientProcess& consumer) {
  std::vector<Consumed> consumed;
  for (const auto& line : consumer.lines()) {
    auto split = words(line);
    if (split.size() == 4 && split[0] == "record")
      consumed.push_back({std::stoi(split[1]), split[3]});
  }
  return consumed;
}

std::vector<Consumed> records_of(const CommandOutput& output) {
  std::vector<Consumed> consumed;
  std::istringstream in(output.out);
  for (std::string line; std::getline(in, line);) {
    auto split = words(line);
    if (split.size() == 4 && split[0] == "record")
      consumed.push_back({std::stoi(split[1]), split[3]});
  }
  return consumed;
}

std::unique_ptr<ClientProcess> start_consumer(const KafkaTestBroker& broker,
                                              const std::string& topic, const std::string& group,
                                              std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--bootstrap", broker.bootstrap(), "--topic",
                                topic,         "--group",          group};
  args.insert(args.end(), extra.begin(), extra.end());
  auto consumer = start_python_client("group_consumer.py", args);
  EXPECT_TRUE(consumer->started());
  return consumer;
}

// Creates the topic (4 partitions by the broker's default) through Metadata.
void create_topic(const KafkaTestBroker& broker, const std::string& topic) {
  auto listed = run_kcat(broker.bootstrap(), {"-L", "-t", topic}, {}, 30s);
  ASSERT_EQ(listed.status, 0) << listed.err;
  ASSERT_NE(listed.out.find("with 4 partitions"), std::string::npos) << listed.out;
}

// `count` records "<tag>-p<partition>-<i>" into each of the 4 partitions;
// returns every value.
std::set<std::string> produce(const KafkaTestBroker& broker, const std::string& topic,
                              const std::string& tag, int count) {
  std::set<std::string> values;
  for (int partition : kAllPartitions) {
    std::string input;
    for (int i = 0; i < count; ++i) {
      auto value = tag + "-p" + std::to_string(partition) + "-" + std::to_string(i);
      input += value + "\n";
      values.insert(value);
    }
    auto produced = run_kcat(
        broker.bootstrap(),
        {"-P", "-t", topic, "-p", std::to_string(partition), "-X", "message.timeout.ms=15000"},
        input, 30s);
    EXPECT_EQ(produced.status, 0) << produced.err;
  }
  return values;
}

bool shared_two_and_two(const ClientProcess& a, const ClientProcess& b) {
  auto held_by_a = assignment(a);
  auto held_by_b = assignment(b);
  std::set<int> both = held_by_a;
  both.insert(held_by_b.begin(), held_by_b.end());
  return held_by_a.size() == 2 && held_by_b.size() == 2 && both == kAllPartitions;
}

std::string describe(const ClientProcess& consumer) {
  std::string text;
  for (const auto& line : consumer.lines()) text += line + "\n";
  return text + consumer.stderr_text();
}

TEST(KafkaGroups, TwoConsumersShareFourPartitionsAndConsumeEachRecordOnce) {
  KafkaTestBroker broker(kBrokerToml, kTransportToml);
  ASSERT_TRUE(broker.start());
  create_topic(broker, "orders");
  auto a = start_consumer(broker, "orders", "billing");
  auto b = start_consumer(broker, "orders", "billing");
  ASSERT_TRUE(wait_until([&] { return shared_two_and_two(*a, *b); }, 30s)) << "a:\n"
                                                                           << describe(*a) << "b:\n"
                                                                           << describe(*b);

  const auto sent = produce(broker, "orders", "order", 10);
  ASSERT_TRUE(
      wait_until([&] { return records(*a).size() + records(*b).size() >= sent.size(); }, 30s))
      << "a:\n"
      << describe(*a) << "b:\n"
      << describe(*b);

  std::multiset<std::string> received;
  for (const auto* consumer : {a.get(), b.get()}) {
    const auto held = assignment(*consumer);
    for (const auto& record : records(*consumer)) {
      EXPECT_TRUE(held.contains(record.partition)) << record.value;
      received.insert(record.value);
    }
  }
  EXPECT_EQ(received.size(), sent.size());
  EXPECT_EQ(std::set<std::string>(received.begin(), received.end()), sent);
}

TEST(KafkaGroups, AKilledConsumersPartitionsMoveToTheSurvivorWithinTheSessionTimeout) {
  KafkaTestBroker broker(kBrokerToml, kTransportToml);
  ASSERT_TRUE(broker.start());
  create_topic(broker, "orders");
  auto a = start_consumer(broker, "orders", "billing", {"--session-timeout-ms", "6000"});
  auto b = start_consumer(broker, "orders", "billing", {"--session-timeout-ms", "6000"});
  ASSERT_TRUE(wait_until([&] { return shared_two_and_two(*a, *b); }, 30s)) << "a:\n"
                                                                           << describe(*a) << "b:\n"
                                                                           << describe(*b);

  const auto killed_at = std::chrono::steady_clock::now();
  b->kill_hard();
  // The session timeout, plus the survivor's heartbeat interval and rejoin.
  ASSERT_TRUE(wait_until([&] { return assignment(*a) == kAllPartitions; }, 6s + 3s))
      << describe(*a);
  const auto took = std::chrono::steady_clock::now() - killed_at;
  EXPECT_GE(took, 4s) << "the partitions moved before any session could time out";

  const auto sent = produce(broker, "orders", "after-kill", 3);
  ASSERT_TRUE(wait_until(
      [&] {
        std::set<std::string> got;
        for (const auto& record : records(*a)) got.insert(record.value);
        return std::includes(got.begin(), got.end(), sent.begin(), sent.end());
      },
      30s))
      << describe(*a);
}

TEST(KafkaGroups, AGracefulCloseLeavesTheGroupAndRebalancesAtOnce) {
  KafkaTestBroker broker(kBrokerToml, kTransportToml);
  ASSERT_TRUE(broker.start());
  create_topic(broker, "orders");
  // A session timeout far longer than the rebalance may take.
  auto a = start_consumer(broker, "orders", "billing", {"--session-timeout-ms", "30000"});
  auto b = start_consumer(broker, "orders", "billing", {"--session-timeout-ms", "30000"});
  ASSERT_TRUE(wait_until([&] { return shared_two_and_two(*a, *b); }, 30s)) << "a:\n"
                                                                           << describe(*a) << "b:\n"
                                                                           << describe(*b);

  const auto closed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(b->write_line("close"));
  ASSERT_EQ(b->wait(20s), 0) << describe(*b);
  ASSERT_TRUE(wait_until([&] { return assignment(*a) == kAllPartitions; }, 10s)) << describe(*a);
  EXPECT_LT(std::chrono::steady_clock::now() - closed_at, 10s);

  auto groups = run_python_client("group_admin.py", {"--bootstrap", broker.bootstrap()}, {}, 30s);
  ASSERT_EQ(groups.status, 0) << groups.out << groups.err;
  EXPECT_NE(groups.out.find("listed billing consumer\n"), std::string::npos) << groups.out;
  EXPECT_NE(groups.out.find("described billing Stable consumer 1\n"), std::string::npos)
      << groups.out;
}

TEST(KafkaGroups, CommittedOffsetsSurviveARestart) {
  KafkaTestBroker broker(kBrokerToml, kTransportToml);
  ASSERT_TRUE(broker.start());
  create_topic(broker, "ledger");
  const auto sent = produce(broker, "ledger", "entry", 5);

  auto first =
      start_consumer(broker, "ledger", "auditors", {"--commit-each", "--max-records", "10"});
  ASSERT_EQ(first->wait(60s), 0) << describe(*first);
  std::set<std::string> committed;
  for (const auto& record : records(*first)) committed.insert(record.value);
  ASSERT_EQ(committed.size(), 10u) << describe(*first);

  ASSERT_EQ(broker.stop(), 0);
  ASSERT_TRUE(broker.start());
  // Known again only by its committed offsets, the group is listed as Empty.
  auto groups = run_python_client("group_admin.py", {"--bootstrap", broker.bootstrap()}, {}, 30s);
  ASSERT_EQ(groups.status, 0) << groups.out << groups.err;
  EXPECT_NE(groups.out.find("described auditors Empty - 0\n"), std::string::npos) << groups.out;

  // It lingers after the 10 it expects, to show nothing committed comes again.
  auto second =
      start_consumer(broker, "ledger", "auditors", {"--max-records", "10", "--linger-ms", "3000"});
  ASSERT_EQ(second->wait(60s), 0) << describe(*second);
  std::set<std::string> resumed;
  for (const auto& record : records(*second)) {
    EXPECT_FALSE(committed.contains(record.value)) << "re-delivered " << record.value;
    EXPECT_TRUE(resumed.insert(record.value).second) << "twice: " << record.value;
  }
  std::set<std::string> all = committed;
  all.insert(resumed.begin(), resumed.end());
  EXPECT_EQ(all, sent);
}

TEST(KafkaGroups, KafkaPythonConsumesInAGroupAndCommits) {
  KafkaTestBroker broker(kBrokerToml, kTransportToml);
  ASSERT_TRUE(broker.start());
  create_topic(broker, "payments");
  const auto sent = produce(broker, "payments", "payment", 5);
  const std::vector<std::string> args{"--bootstrap", broker.bootstrap(), "--topic",
                                      "payments",    "--group",          "ledger"};

  auto with = [&args](std::vector<std::string> more) {
    more.insert(more.begin(), args.begin(), args.end());
    return more;
  };
  auto consumed = run_python_client("kafka_python_group.py", with({"--expect", "20"}), {}, 60s);
  ASSERT_EQ(consumed.status, 0) << consumed.out << consumed.err;
  std::set<std::string> received;
  for (const auto& record : records_of(consumed)) received.insert(record.value);
  EXPECT_EQ(received, sent);
  for (int partition : kAllPartitions) {
    EXPECT_NE(consumed.out.find("committed " + std::to_string(partition) + " 5\n"),
              std::string::npos)
        << consumed.out;
  }

  // The same group again: everything is committed, nothing comes back.
  auto again = run_python_client("kafka_python_group.py",
                                 with({"--expect", "1", "--idle-ms", "5000"}), {}, 60s);
  ASSERT_EQ(again.status, 0) << again.out << again.err;
  EXPECT_TRUE(records_of(again).empty()) << again.out;
  for (int partition : kAllPartitions) {
    EXPECT_NE(again.out.find("committed " + std::to_string(partition) + " 5\n"), std::string::npos)
        << again.out;
  }
}

TEST(KafkaGroups, StoppingTheBrokerWhileAJoinAnswerIsHeldIsPrompt) {
  // The first rebalance waits long enough for the broker to stop meanwhile.
  KafkaTestBroker broker(kBrokerToml, "group_initial_rebalance_delay_ms = 60000\n");
  ASSERT_TRUE(broker.start());
  create_topic(broker, "orders");
  auto a = start_consumer(broker, "orders", "billing");
  ASSERT_TRUE(wait_until(
      [&] {
        auto groups =
            run_python_client("group_admin.py", {"--bootstrap", broker.bootstrap()}, {}, 30s);
        return groups.out.find("described billing PreparingRebalance consumer 1\n") !=
               std::string::npos;
      },
      30s));

  const auto stopping_at = std::chrono::steady_clock::now();
  EXPECT_EQ(broker.stop(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - stopping_at, 4s);
  EXPECT_FALSE(broker.process().log_contains("answers pending")) << broker.process().log();
}

}  // namespace
}  // namespace junction::testing
