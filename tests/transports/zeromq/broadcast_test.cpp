// XPUB broadcast: two SUB sockets on one topic both get every record.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace junction::testing
