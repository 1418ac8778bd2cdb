// Config errors stop junctiond at startup with the key named.
#include <gtest/gtest.h>

#include "ws_test_broker.hpp"

namespace junction::testing {
namespace {

using namespace std::chrono_literals;

TEST(WebsocketConfig, RejectsAMessageLimitBelowTheMinimum) {
  WsTestBroker broker({.transport_toml = "max_message_bytes = 10\n"});
  EXPECT_FALSE(broker.start(10s));
  EXPECT_TRUE(broker.process().log_contains("max_message_bytes")) << broker.process().log();
}

TEST(WebsocketConfig, RejectsUnknownKeys) {
  WsTestBroker broker({.transport_toml = "auth_tokens = \"x\"\n"});
  EXPECT_FALSE(broker.start(10s));
  EXPECT_TRUE(broker.process().log_contains("auth_tokens")) << broker.process().log();
}

TEST(WebsocketConfig, RejectsOriginsThatAreNotStrings) {
  WsTestBroker broker({.transport_toml = "allowed_origins = [1]\n"});
  EXPECT_FALSE(broker.start(10s));
  EXPECT_TRUE(broker.process().log_contains("allowed_origins")) << broker.process().log();
}

}  // namespace
}  // namespace junction::testing
