// NACK redelivers at once; several groups on one topic each get every record.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "zmq_test_broker.hpp"

namespace junction::testing {
namespace {

using namespace std::chrono_literals;

TEST(ZeromqSettle, NackRedeliversTheRecordAndAckMovesOn) {
  ZmqTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto produced = run_zmq_client("produce.py", {broker.router(), "retry", "3"});
  ASSERT_EQ(produced.status, 0) << produced.out << produced.err;
  auto consumed = run_zmq_client("nack.py", {broker.router(), "retry", "workers"}, {}, 30s);
  ASSERT_EQ(consumed.status, 0) << consumed.err;
  EXPECT_NE(consumed.out.find("{\"offsets\": [0, 0, 1]}"), std::string::npos) << consumed.out;
  EXPECT_EQ(broker.stop(), 0);
}

TEST(ZeromqSettle, EachGroupOfATopicGetsEveryRecord) {
  ZmqTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto produced = run_zmq_client("produce.py", {broker.router(), "fanout", "500"});
  ASSERT_EQ(produced.status, 0) << produced.out << produced.err;
  auto billing = start_zmq_client("consume.py", {broker.router(), "fanout", "billing", "50"});
  auto audit = start_zmq_client("consume.py", {broker.router(), "fanout", "audit", "50"});
  auto offsets = [](const ClientProcess& client) {
    std::set<std::string> seen;
    for (const auto& line : client.lines()) {
      if (line.rfind("acked 0 ", 0) == 0) seen.insert(line);
    }
    return seen.size();
  };
  EXPECT_TRUE(wait_until([&] { return offsets(*billing) == 500 && offsets(*audit) == 500; }, 20s))
      << "billing " << offsets(*billing) << ", audit " << offsets(*audit);
  EXPECT_EQ(broker.stop(), 0);
}

}  // namespace
}  // namespace junction::testing
