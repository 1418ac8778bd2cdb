// One broker, two protocols: what kcat produces reaches a WebSocket
// subscriber with key and headers, and what a WebSocket client publishes kcat
// reads back intact.
#include <gtest/gtest.h>

#include <string>

#include "ws_test_broker.hpp"

namespace junction::testing {
namespace {

using namespace std::chrono_literals;

TEST(WebsocketBridge, SubscriberGetsWhatKcatProduced) {
  WsTestBroker broker({.with_kafka = true});
  ASSERT_TRUE(broker.start());
  auto produced = run_command({"kcat", "-b", broker.kafka_bootstrap(), "-P", "-t", "from-kafka",
                               "-K", ":", "-H", "origin=kcat"},
                              "a:alpha\nb:beta\n", 30s);
  ASSERT_EQ(produced.status, 0) << produced.err;
  auto consumed = run_ws_client("consume.py", {broker.url(), "from-kafka", "2"});
  ASSERT_EQ(consumed.status, 0) << consumed.out << consumed.err;
  EXPECT_EQ(consumed.out,
            "{\"key\": \"a\", \"value\": \"alpha\", \"headers\": {\"origin\": \"kcat\"}}\n"
            "{\"key\": \"b\", \"value\": \"beta\", \"headers\": {\"origin\": \"kcat\"}}\n");
  EXPECT_EQ(broker.stop(), 0);
}

TEST(WebsocketBridge, KcatReadsWhatAWebsocketClientPublished) {
  WsTestBroker broker({.with_kafka = true});
  ASSERT_TRUE(broker.start());
  auto published = run_ws_client("publish_record.py",
                                 {broker.url(), "to-kafka", "user-7", "hello", "source=ws"});
  ASSERT_EQ(published.status, 0) << published.out << published.err;
  auto read = run_command({"kcat", "-b", broker.kafka_bootstrap(), "-C", "-t", "to-kafka", "-o",
                           "beginning", "-e", "-q", "-f", "%k|%s|%h\\n"},
                          {}, 30s);
  ASSERT_EQ(read.status, 0) << read.err;
  EXPECT_EQ(read.out, "user-7|hello|source=ws\n");
  EXPECT_EQ(broker.stop(), 0);
}

}  // namespace
}  // namespace junction::testing
