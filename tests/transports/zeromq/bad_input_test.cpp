// Malformed commands get ERR frames on the ROUTER and are dropped with a log
// line on PULL; the broker keeps serving.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "zmq_test_broker.hpp"

namespace junction::testing {
namespace {

TEST(ZeromqBadInput, ErrorsOnRouterDropsOnPullAndStillServes) {
  ZmqTestBroker broker({.transport_toml = "max_message_bytes = 1024\n"});
  ASSERT_TRUE(broker.start());
  auto result = run_zmq_client("bad_input.py", {broker.router(), broker.puller(), "inbox"});
  ASSERT_EQ(result.status, 0) << result.out << result.err;

  const std::map<std::string, std::string> expected_codes{
      {"bad_version", "bad_version"},           {"no_command", "bad_request"},
      {"unknown_command", "unknown_command"},   {"pub_too_few_frames", "bad_request"},
      {"pub_odd_header", "bad_request"},        {"sub_credit_not_decimal", "bad_request"},
      {"sub_bad_start", "bad_request"},         {"ack_offset_not_decimal", "bad_request"},
      {"ack_not_subscribed", "not_subscribed"}, {"oversized", "record_too_large"},
      {"bad_topic_name", "invalid_argument"},   {"req_bad_version", "bad_version"},
  };
  for (const auto& [name, code] : expected_codes) {
    EXPECT_NE(result.out.find("\"" + name + "\": \"" + code + "\""), std::string::npos)
        << name << " should get " << code << ": " << result.out;
  }
  EXPECT_NE(result.out.find("\"after\": {\"dealer\": \"ACK\", \"req\": \"ACK\"}"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("\"stored\": [\"dealer\", \"pushed\", \"req\"]"), std::string::npos)
      << result.out;
  EXPECT_TRUE(broker.process().log_contains("PULL: dropped a message: bad_version"));
  EXPECT_TRUE(broker.process().log_contains("PULL: dropped a message: bad_request"));
  EXPECT_TRUE(broker.process().log_contains("PULL: dropped a message: only PUB"));
  EXPECT_TRUE(broker.process().log_contains("PULL: dropped a record for topic \"inbox\""));
  EXPECT_EQ(broker.stop(), 0);
}

}  // namespace
}  // namespace junction::testing
