// Bad requests get `error` messages on a connection that stays open; an
// oversized message closes only its own connection, with 1009.
#include <gtest/gtest.h>

#include <string>

#include "ws_test_broker.hpp"

namespace junction::testing {
namespace {

TEST(WebsocketBadInput, EveryBadRequestIsAnsweredAndOthersAreStillServed) {
  WsTestBroker broker({.transport_toml = "max_message_bytes = 4096\n"});
  ASSERT_TRUE(broker.start());
  auto result = run_ws_client("bad_input.py", {broker.url(), "4096"});
  ASSERT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find(R"({"codes_match": true,)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(R"("still_open": true, "close_code": 1009, "bystander_ok": true})"),
            std::string::npos)
      << result.out;
  EXPECT_TRUE(broker.process().running());
  EXPECT_EQ(broker.stop(), 0);
}

// Publishes read together go to the kernel as one batch; a bad one among them
// still gets its own error, between the acks of the others.
TEST(WebsocketBadInput, PublishesSentBackToBackAreAnsweredInOrder) {
  WsTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto result = run_ws_client("publish_batch.py", {broker.url()});
  ASSERT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find(R"({"in_order": true,)"), std::string::npos) << result.out;
  EXPECT_EQ(broker.stop(), 0);
}

}  // namespace
}  // namespace junction::testing
