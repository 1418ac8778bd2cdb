// Produce with acks (after fsync: flush = "always") over a DEALER, then a queue group of three
// DEALERs where one takes records and is SIGKILLed before acknowledging them.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "zmq_test_broker.hpp"

namespace junction::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kRecords = 10000;

struct Position {
  int partition;
  long offset;
  auto operator<=>(const Position&) const = default;
};

// "<verb> <partition> <offset> <value>" lines of consume.py.
std::map<Position, int> positions(const ClientProcess& client, const std::string& verb) {
  std::map<Position, int> seen;
  for (const auto& line : client.lines()) {
    std::istringstream words(line);
    std::string word;
    Position position{};
    if (words >> word && word == verb && words >> position.partition >> position.offset) {
      ++seen[position];
    }
  }
  return seen;
}

TEST(ZeromqProduceConsume, QueueGroupGetsEveryRecordOnceAndLosesNoneWhenAConsumerDies) {
  ZmqTestBroker broker({.broker_toml = "[topics]\ndefault_partitions = 3\nflush = \"always\"\n",
                        .transport_toml = "heartbeat_ms = 2000\n"});
  ASSERT_TRUE(broker.start());

  auto produced = run_zmq_client("produce.py", {broker.router(), "jobs", std::to_string(kRecords)});
  ASSERT_EQ(produced.status, 0) << produced.out << produced.err;
  EXPECT_NE(produced.out.find("\"acked\": 10000"), std::string::npos) << produced.out;

  // The doomed consumer joins first, so it is certain to hold records.
  auto doomed =
      start_zmq_client("consume.py", {broker.router(), "jobs", "workers", "50", "--hold"});
  ASSERT_TRUE(wait_until([&] { return positions(*doomed, "held").size() >= 50; }, 10s))
      << doomed->stderr_text();
  auto held = positions(*doomed, "held");

  auto first = start_zmq_client("consume.py", {broker.router(), "jobs", "workers", "100"});
  auto second = start_zmq_client("consume.py", {broker.router(), "jobs", "workers", "100"});
  ASSERT_TRUE(wait_until([&] { return positions(*first, "acked").size() > 100; }, 10s))
      << first->stderr_text();
  doomed->kill_hard();

  auto all_acked = [&] {
    auto acked = positions(*first, "acked");
    for (const auto& [position, count] : positions(*second, "acked")) acked[position] += count;
    return acked;
  };
  ASSERT_TRUE(wait_until([&] { return all_acked().size() >= kRecords; }, 60s))
      << "acked " << all_acked().size() << " of " << kRecords;
  auto acked = all_acked();
  EXPECT_EQ(acked.size(), static_cast<std::size_t>(kRecords));
  for (const auto& [position, count] : acked) {
    EXPECT_EQ(count, 1) << "partition " << position.partition << " offset " << position.offset;
  }
  for (const auto& [position, count] : held) {
    EXPECT_TRUE(acked.contains(position))
        << "held by the killed consumer and never redelivered: " << position.partition << "/"
        << position.offset;
  }
  EXPECT_GT(positions(*second, "acked").size(), 0u) << "the group did not share the work";
  for (const auto* survivor : {first.get(), second.get()}) {
    for (const auto& line : survivor->lines()) {
      EXPECT_EQ(line.rfind("unexpected", 0), std::string::npos) << line;
    }
  }
  EXPECT_TRUE(broker.process().log_contains("detached a silent consumer"));
  EXPECT_EQ(broker.stop(), 0);
}

}  // namespace
}  // namespace junction::testing
