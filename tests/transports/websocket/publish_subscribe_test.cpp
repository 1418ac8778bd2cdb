// Publish with acks, queue sharing with redelivery, broadcast fan-out and
// start positions, with python3-websockets clients against junctiond.
#include <gtest/gtest.h>

#include <string>

#include "ws_test_broker.hpp"

namespace junction::testing {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(WebsocketPublish, TenThousandPublishesAreAllAcked) {
  WsTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto result = run_ws_client("publish.py", {broker.url(), "orders", "10000"});
  ASSERT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_TRUE(
      contains(result.out, R"({"acks": 10000, "ids_match": true, "offsets_distinct": true})"))
      << result.out;
  EXPECT_EQ(broker.stop(), 0);
}

TEST(WebsocketQueue, ThreeConsumersShareEachRecordOnceAndADisconnectRedelivers) {
  WsTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto result = run_ws_client("queue_share.py", {broker.url(), "jobs", "2000"});
  ASSERT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_TRUE(contains(result.out, R"("distinct": 2000, "max_copies": 1, "total": 2000)"))
      << result.out;
  EXPECT_TRUE(contains(result.out, R"("held_acked_once": true, "redelivered": 5})")) << result.out;
  EXPECT_EQ(broker.stop(), 0);
}

TEST(WebsocketBroadcast, TwoSubscribersBothGetEveryRecordInOrder) {
  WsTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto result = run_ws_client("broadcast.py", {broker.url(), "news", "5000"});
  ASSERT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_TRUE(contains(result.out, R"({"received": [5000, 5000], "in_order": [true, true]})"))
      << result.out;
  EXPECT_EQ(broker.stop(), 0);
}

TEST(WebsocketRecords, RecordsLargerThanTheWriteBufferArriveWholeOverDeflate) {
  WsTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto result = run_ws_client("large_records.py", {broker.url(), "large", "4", "900000"});
  ASSERT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_TRUE(
      contains(result.out, R"({"received": 4, "whole_and_in_order": true, "deflate": true})"))
      << result.out;
  EXPECT_EQ(broker.stop(), 0);
}

TEST(WebsocketSubscribe, StartsFromTheRequestedOffset) {
  WsTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto result = run_ws_client("from_offset.py", {broker.url(), "history"});
  ASSERT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_TRUE(contains(
      result.out, R"({"subscribed_id": "s", "offsets": [7, 8, 9], "values": ["m7", "m8", "m9"]})"))
      << result.out;
  EXPECT_EQ(broker.stop(), 0);
}

TEST(WebsocketQueue, ANackedRecordIsDeliveredAgain) {
  WsTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto result = run_ws_client("nack.py", {broker.url(), "retries"});
  ASSERT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_TRUE(contains(result.out, R"({"attempts": [1, 2], "same": true})")) << result.out;
  EXPECT_EQ(broker.stop(), 0);
}

TEST(WebsocketMulticast, EachGroupGetsEveryRecord) {
  WsTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto result = run_ws_client("multicast.py", {broker.url(), "events", "1000"});
  ASSERT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_TRUE(contains(result.out, R"({"received": [1000, 1000]})")) << result.out;
  EXPECT_EQ(broker.stop(), 0);
}

TEST(WebsocketRecords, BytesThatAreNotUtf8TravelAsBase64) {
  WsTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto result = run_ws_client("binary.py", {broker.url(), "bytes"});
  ASSERT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_TRUE(contains(result.out, R"("binary": {"key": "aw==", "value": "AP8=", )"
                                   R"("headers": {"aA==": "/w=="}, "encoding": "base64"})"))
      << result.out;
  EXPECT_TRUE(contains(result.out, R"("text": {"key": "k", "value": "caf\u00e9", )"
                                   R"("headers": {}, "encoding": null})"))
      << result.out;
  EXPECT_EQ(broker.stop(), 0);
}

}  // namespace
}  // namespace junction::testing
