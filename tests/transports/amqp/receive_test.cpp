// Receivers as real AMQP 1.0 clients use them: broadcast and queue links,
// start positions, settlement outcomes, credit, and a receiver that crashes.
// Records are produced with kcat through the Kafka transport of the same
// broker, so each test controls partitions exactly.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "amqp_test_broker.hpp"

namespace junction::testing {
namespace {

using namespace std::chrono_literals;

const std::string kBrokerToml = "[topics]\ndefault_partitions = 2\n";

AmqpTestBroker::Options with_kafka(std::string broker_toml) {
  return {.broker_toml = std::move(broker_toml), .transport_toml = {}, .with_kafka = true};
}

struct Received {
  int partition = -1;
  long long offset = -1;
  int delivery_count = 0;
  std::string topic;
  std::string body;
};

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> split;
  for (std::string word; in >> word;) split.push_back(word);
  return split;
}

std::vector<Received> parse_messages(const std::vector<std::string>& lines) {
  std::vector<Received> received;
  for (const auto& line : lines) {
    auto split = words(line);
    if (split.size() != 6 || split[0] != "message") continue;
    received.push_back(
        {std::stoi(split[1]), std::stoll(split[2]), std::stoi(split[3]), split[4], split[5]});
  }
  return received;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<Received> messages(const ClientProcess& receiver) {
  return parse_messages(receiver.lines());
}

std::string describe(const ClientProcess& client) {
  std::string text;
  for (const auto& line : client.lines()) text += line + "\n";
  return text + client.stderr_text();
}

std::vector<std::string> receiver_args(const AmqpTestBroker& broker, const std::string& address,
                                       std::vector<std::string> extra) {
  std::vector<std::string> args{"--url", broker.url(), "--address", address};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// A receiver left running; returns once the broker answered its attach.
std::unique_ptr<ClientProcess> start_receiver(const AmqpTestBroker& broker,
                                              const std::string& address,
                                              std::vector<std::string> extra = {}) {
  auto receiver = start_amqp_client("receive.py", receiver_args(broker, address, std::move(extra)));
  EXPECT_TRUE(receiver->started());
  EXPECT_TRUE(receiver->wait_for_line([](const std::string& line) { return line == "ready"; }, 20s))
      << describe(*receiver);
  return receiver;
}

CommandOutput run_receiver(const AmqpTestBroker& broker, const std::string& address,
                           std::vector<std::string> extra) {
  return run_amqp_client("receive.py", receiver_args(broker, address, std::move(extra)), {}, 60s);
}

// `count` records "<tag>-p<partition>-<i>" into `partition` with kcat.
std::vector<std::string> produce(const AmqpTestBroker& broker, const std::string& topic,
                                 int partition, const std::string& tag, int count) {
  std::vector<std::string> values;
  std::string input;
  for (int i = 0; i < count; ++i) {
    values.push_back(tag + "-p" + std::to_string(partition) + "-" + std::to_string(i));
    input += values.back() + "\n";
  }
  auto produced = run_command({"kcat", "-b", broker.kafka_bootstrap(), "-P", "-t", topic, "-p",
                               std::to_string(partition), "-X", "message.timeout.ms=15000"},
                              input, 60s);
  EXPECT_EQ(produced.status, 0) << produced.err;
  return values;
}

std::set<std::string> bodies(const std::vector<Received>& received) {
  std::set<std::string> set;
  for (const auto& message : received) set.insert(message.body);
  return set;
}

std::set<std::string> as_set(std::vector<std::string> values) {
  return {values.begin(), values.end()};
}

TEST(AmqpReceive, TenThousandUnsettledMessagesArriveAllAndInOrderPerPartition) {
  AmqpTestBroker broker(with_kafka(kBrokerToml));
  ASSERT_TRUE(broker.start());
  auto sent = produce(broker, "bulk", 0, "bulk", 5000);
  auto more = produce(broker, "bulk", 1, "bulk", 5000);
  sent.insert(sent.end(), more.begin(), more.end());

  auto run = run_receiver(broker, "bulk", {"--start", "earliest", "--count", "10000"});
  ASSERT_EQ(run.status, 0) << run.err;
  const auto received = parse_messages(lines_of(run.out));
  ASSERT_EQ(received.size(), 10000u);
  std::map<int, long long> next_offset{{0, 0}, {1, 0}};
  for (const auto& message : received) {
    ASSERT_TRUE(next_offset.contains(message.partition)) << message.partition;
    ASSERT_EQ(message.offset, next_offset[message.partition]) << message.body;
    EXPECT_EQ(message.body,
              "bulk-p" + std::to_string(message.partition) + "-" + std::to_string(message.offset));
    EXPECT_EQ(message.topic, "bulk");
    EXPECT_EQ(message.delivery_count, 0);
    ++next_offset[message.partition];
  }
  EXPECT_EQ(bodies(received), as_set(sent));
}

TEST(AmqpReceive, AQueueGivesEachMessageToExactlyOneOfThreeReceivers) {
  AmqpTestBroker broker(with_kafka(kBrokerToml));
  ASSERT_TRUE(broker.start());
  std::vector<std::unique_ptr<ClientProcess>> receivers;
  for (int i = 0; i < 3; ++i) receivers.push_back(start_receiver(broker, "jobs::workers"));
  auto sent = produce(broker, "jobs", 0, "job", 150);
  auto more = produce(broker, "jobs", 1, "job", 150);
  sent.insert(sent.end(), more.begin(), more.end());

  const auto total = [&] {
    std::size_t count = 0;
    for (const auto& receiver : receivers) count += messages(*receiver).size();
    return count;
  };
  ASSERT_TRUE(wait_until([&] { return total() >= sent.size(); }, 30s)) << total();
  std::multiset<std::string> received;
  for (const auto& receiver : receivers) {
    const auto got = messages(*receiver);
    EXPECT_FALSE(got.empty()) << "a receiver got no share:\n" << describe(*receiver);
    for (const auto& message : got) received.insert(message.body);
  }
  EXPECT_EQ(received.size(), sent.size());
  EXPECT_EQ(std::set<std::string>(received.begin(), received.end()), as_set(sent));
}

TEST(AmqpReceive, ReleasedAndModifiedMessagesAreRedeliveredToAnotherReceiver) {
  // Redeliveries may land on the releasing receivers again: enough attempts
  // that none reaches the dead-letter topic in this test.
  AmqpTestBroker broker(with_kafka(kBrokerToml + "[delivery]\nmax_attempts = 1000\n"));
  ASSERT_TRUE(broker.start());
  auto releasing = start_receiver(broker, "jobs::workers", {"--outcome", "release"});
  auto modifying = start_receiver(broker, "jobs::workers", {"--outcome", "modify"});
  auto accepting = start_receiver(broker, "jobs::workers");
  const auto sent = as_set(produce(broker, "jobs", 0, "job", 60));

  ASSERT_TRUE(wait_until([&] { return bodies(messages(*accepting)) == sent; }, 30s))
      << describe(*accepting);
  const auto accepted = messages(*accepting);
  EXPECT_EQ(accepted.size(), sent.size()) << "a message was accepted twice";
  std::map<std::string, int> delivery_count;
  for (const auto& message : accepted) delivery_count[message.body] = message.delivery_count;
  for (const auto* giver : {releasing.get(), modifying.get()}) {
    const auto given_back = messages(*giver);
    EXPECT_FALSE(given_back.empty()) << describe(*giver);
    for (const auto& message : given_back) {
      EXPECT_GE(delivery_count[message.body], 1) << message.body;
    }
  }
}

TEST(AmqpReceive, AKilledReceiversUnsettledMessagesGoToTheOthers) {
  AmqpTestBroker broker(with_kafka(kBrokerToml));
  ASSERT_TRUE(broker.start());
  auto holding = start_receiver(broker, "jobs::workers", {"--outcome", "hold", "--prefetch", "10"});
  auto accepting = start_receiver(broker, "jobs::workers");
  const auto sent = as_set(produce(broker, "jobs", 0, "job", 100));

  ASSERT_TRUE(wait_until(
      [&] {
        return !messages(*holding).empty() &&
               messages(*holding).size() + messages(*accepting).size() >= sent.size();
      },
      30s))
      << describe(*holding) << describe(*accepting);
  const auto held = bodies(messages(*holding));
  holding->kill_hard();

  ASSERT_TRUE(wait_until([&] { return bodies(messages(*accepting)) == sent; }, 30s))
      << describe(*accepting);
  for (const auto& message : messages(*accepting)) {
    if (held.contains(message.body)) {
      EXPECT_GE(message.delivery_count, 1) << message.body;
    }
  }
}

TEST(AmqpReceive, BroadcastGivesEveryReceiverEveryMessageSentAfterItAttached) {
  AmqpTestBroker broker(with_kafka(kBrokerToml));
  ASSERT_TRUE(broker.start());
  produce(broker, "news", 0, "before", 5);
  auto first = start_receiver(broker, "news");
  auto second = start_receiver(broker, "news");
  auto sent = produce(broker, "news", 0, "after", 50);
  auto more = produce(broker, "news", 1, "after", 50);
  sent.insert(sent.end(), more.begin(), more.end());

  for (const auto* receiver : {first.get(), second.get()}) {
    ASSERT_TRUE(wait_until([&] { return messages(*receiver).size() >= sent.size(); }, 30s))
        << describe(*receiver);
    EXPECT_EQ(messages(*receiver).size(), sent.size());
    EXPECT_EQ(bodies(messages(*receiver)), as_set(sent));
  }
}

TEST(AmqpReceive, StartsFromEarliestFromAnOffsetAndANewGroupFromEarliest) {
  AmqpTestBroker broker(with_kafka(kBrokerToml));
  ASSERT_TRUE(broker.start());
  const auto sent = produce(broker, "history", 0, "old", 20);

  auto earliest = run_receiver(broker, "history", {"--start", "earliest", "--count", "20"});
  ASSERT_EQ(earliest.status, 0) << earliest.out << earliest.err;
  EXPECT_EQ(bodies(parse_messages(lines_of(earliest.out))), as_set(sent));

  auto from_offset = run_receiver(broker, "history", {"--start", "offset:15", "--count", "5"});
  ASSERT_EQ(from_offset.status, 0) << from_offset.out << from_offset.err;
  const auto tail = parse_messages(lines_of(from_offset.out));
  ASSERT_EQ(tail.size(), 5u);
  for (std::size_t i = 0; i < tail.size(); ++i) {
    EXPECT_EQ(tail[i].offset, 15 + static_cast<long long>(i));
    EXPECT_EQ(tail[i].body, sent[15 + i]);
  }

  auto new_group = run_receiver(broker, "history::fresh", {"--count", "20"});
  ASSERT_EQ(new_group.status, 0) << new_group.out << new_group.err;
  EXPECT_EQ(bodies(parse_messages(lines_of(new_group.out))), as_set(sent));
}

TEST(AmqpReceive, ARejectedMessageLandsInTheDeadLetterTopic) {
  AmqpTestBroker broker(with_kafka(kBrokerToml));
  ASSERT_TRUE(broker.start());
  const auto sent = produce(broker, "orders", 0, "order", 3);
  auto rejecting = run_receiver(broker, "orders::billing", {"--outcome", "reject", "--count", "3"});
  ASSERT_EQ(rejecting.status, 0) << rejecting.out << rejecting.err;

  auto dead = run_receiver(broker, "orders.dlq", {"--start", "earliest", "--count", "3"});
  ASSERT_EQ(dead.status, 0) << dead.out << dead.err;
  const auto letters = parse_messages(lines_of(dead.out));
  EXPECT_EQ(bodies(letters), as_set(sent));
  for (const auto& letter : letters) EXPECT_EQ(letter.topic, "orders.dlq");

  // Dead-lettered records are settled on the source: the group's next
  // message is the one sent after them.
  const auto marker = produce(broker, "orders", 0, "marker", 1);
  auto after = run_receiver(broker, "orders::billing", {"--count", "1"});
  ASSERT_EQ(after.status, 0) << after.out << after.err;
  EXPECT_EQ(bodies(parse_messages(lines_of(after.out))), as_set(marker));
}

TEST(AmqpReceive, AReceiverGrantingFiveCreditsNeverHoldsMoreThanFive) {
  AmqpTestBroker broker(with_kafka(kBrokerToml));
  ASSERT_TRUE(broker.start());
  auto limited = start_receiver(broker, "jobs::workers", {"--outcome", "hold", "--credit", "5"});
  auto first = start_receiver(broker, "jobs::workers", {"--count", "45"});
  produce(broker, "jobs", 0, "job", 50);
  ASSERT_TRUE(wait_until([&] { return messages(*limited).size() == 5; }, 30s))
      << describe(*limited);
  ASSERT_EQ(first->wait(30s), 0) << describe(*first);

  // Only the limited receiver is left, with no credit: later messages must
  // all go to the next receiver, none to it.
  auto second = start_receiver(broker, "jobs::workers", {"--count", "10"});
  const auto later = as_set(produce(broker, "jobs", 0, "later", 10));
  ASSERT_EQ(second->wait(30s), 0) << describe(*second);
  EXPECT_EQ(bodies(messages(*second)), later);
  EXPECT_EQ(messages(*limited).size(), 5u) << describe(*limited);
}

TEST(AmqpReceive, DrainingWithNothingToSendReturnsTheCredit) {
  AmqpTestBroker broker(with_kafka(kBrokerToml));
  ASSERT_TRUE(broker.start());
  auto run = run_receiver(broker, "quiet", {"--drain", "5", "--idle-timeout", "10"});
  EXPECT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("drained"), std::string::npos) << run.out;
}

TEST(AmqpReceive, AtMostOnceReceiversGetMessagesPresettled) {
  AmqpTestBroker broker(with_kafka(kBrokerToml));
  ASSERT_TRUE(broker.start());
  const auto sent = as_set(produce(broker, "jobs", 0, "job", 100));
  auto run = run_receiver(broker, "jobs::fast", {"--at-most-once", "--count", "100"});
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_EQ(bodies(parse_messages(lines_of(run.out))), sent);
  // Acknowledged as sent: the group's next message is the one sent after.
  const auto marker = produce(broker, "jobs", 0, "marker", 1);
  auto after = run_receiver(broker, "jobs::fast", {"--count", "1"});
  ASSERT_EQ(after.status, 0) << after.out << after.err;
  EXPECT_EQ(bodies(parse_messages(lines_of(after.out))), as_set(marker));
}

TEST(AmqpReceive, DeletingTheTopicClosesItsReceiversWithNotFound) {
  AmqpTestBroker broker(with_kafka(kBrokerToml));
  ASSERT_TRUE(broker.start());
  produce(broker, "doomed", 0, "last", 1);
  auto broadcast = start_receiver(broker, "doomed", {"--start", "earliest"});
  auto member = start_receiver(broker, "doomed::group");
  ASSERT_TRUE(wait_until([&] { return messages(*broadcast).size() == 1; }, 20s))
      << describe(*broadcast);

  auto deleted =
      run_amqp_client("kafka_delete_topic.py",
                      {"--bootstrap", broker.kafka_bootstrap(), "--topic", "doomed"}, {}, 30s);
  ASSERT_EQ(deleted.status, 0) << deleted.out << deleted.err;
  for (auto* receiver : {broadcast.get(), member.get()}) {
    EXPECT_EQ(receiver->wait(20s), 4) << describe(*receiver);
    EXPECT_TRUE(receiver->wait_for_line(
        [](const std::string& line) { return line.starts_with("error amqp:not-found"); }, 1s))
        << describe(*receiver);
  }
}

TEST(AmqpReceive, AnUnknownTopicIsNotFoundWhenTopicsAreNotCreatedOnDemand) {
  AmqpTestBroker broker(with_kafka("[topics]\nauto_create = false\n"));
  ASSERT_TRUE(broker.start());
  auto run = run_receiver(broker, "missing", {"--idle-timeout", "10"});
  EXPECT_EQ(run.status, 4) << run.out << run.err;
  EXPECT_NE(run.out.find("error amqp:not-found"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace junction::testing
