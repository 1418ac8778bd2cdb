// Config errors stop junctiond at startup with the key named.
#include <gtest/gtest.h>

#include "zmq_test_broker.hpp"

namespace junction::testing {
namespace {

using namespace std::chrono_literals;

TEST(ZeromqConfig, RejectsAHeartbeatBelowTheMinimum) {
  ZmqTestBroker broker({.transport_toml = "heartbeat_ms = 5\n"});
  EXPECT_FALSE(broker.start(10s));
  EXPECT_TRUE(broker.process().log_contains("heartbeat_ms")) << broker.process().log();
}

TEST(ZeromqConfig, RejectsUnknownKeys) {
  ZmqTestBroker broker({.transport_toml = "hearbeat_ms = 5000\n"});
  EXPECT_FALSE(broker.start(10s));
  EXPECT_TRUE(broker.process().log_contains("hearbeat_ms")) << broker.process().log();
}

}  // namespace
}  // namespace junction::testing
