// XPUB broadcast: two SUB sockets on one topic both get every record.
#include <gtest/gtest.h>

#include <string>

#include "zmq_test_broker.hpp"

namespace junction::testing {
namespace {

TEST(ZeromqBroadcast, TwoSubscribersBothGetEveryRecordInOrder) {
  ZmqTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto result =
      run_zmq_client("broadcast.py", {broker.router(), broker.publisher(), "news", "10000"});
  EXPECT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("\"received\": [10000, 10000]"), std::string::npos) << result.out;
  EXPECT_EQ(broker.stop(), 0);
}

// The drop policy: a SUB that stops reading loses records once its queue in
// the broker holds publish_hwm of them; the other SUB loses none and
// producers are not slowed.
TEST(ZeromqBroadcast, AStalledSubscriberLosesRecordsAndNobodyElseWaits) {
  ZmqTestBroker broker({.transport_toml = "publish_hwm = 2000\n"});
  ASSERT_TRUE(broker.start());
  auto result =
      run_zmq_client("slow_subscriber.py", {broker.router(), broker.publisher(), "ticks", "6000"});
  ASSERT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("\"acked\": 6000, \"fast\": 6000,"), std::string::npos) << result.out;
  auto slow_at = result.out.find("\"slow\": ");
  ASSERT_NE(slow_at, std::string::npos) << result.out;
  EXPECT_LT(std::stoi(result.out.substr(slow_at + 8)), 6000) << result.out;
  EXPECT_EQ(broker.stop(), 0);
}

}  // namespace
}  // namespace junction::testing
