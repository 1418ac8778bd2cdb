// One broker, two protocols: what ZeroMQ produces kcat reads with key, value
// and headers intact, and what kcat produces reaches a ZeroMQ SUB.
#include <gtest/gtest.h>

#include <string>

#include "zmq_test_broker.hpp"

namespace junction::testing {
namespace {

using namespace std::chrono_literals;

TEST(ZeromqBridge, KcatReadsWhatZeromqProduced) {
  ZmqTestBroker broker({.with_kafka = true});
  ASSERT_TRUE(broker.start());
  auto produced = run_zmq_client("produce.py", {broker.router(), "to-kafka", "100"});
  ASSERT_EQ(produced.status, 0) << produced.out << produced.err;

  auto read = run_command({"kcat", "-b", broker.kafka_bootstrap(), "-C", "-t", "to-kafka", "-o",
                           "beginning", "-e", "-q", "-f", "%k|%s|%h\\n"},
                          {}, 30s);
  ASSERT_EQ(read.status, 0) << read.err;
  int lines = 0;
  for (std::size_t at = 0; (at = read.out.find('\n', at)) != std::string::npos; ++at) ++lines;
  EXPECT_EQ(lines, 100) << read.out;
  for (int i : {0, 42, 99}) {
    auto i_text = std::to_string(i);
    EXPECT_NE(read.out.find("k" + i_text + "|v" + i_text + "|seq=" + i_text + "\n"),
              std::string::npos)
        << "record " << i << " missing or altered in:\n"
        << read.out.substr(0, 400);
  }
  EXPECT_EQ(broker.stop(), 0);
}

TEST(ZeromqBridge, ZeromqSubscriberGetsWhatKcatProduced) {
  ZmqTestBroker broker({.with_kafka = true});
  ASSERT_TRUE(broker.start());
  // The topic does not exist yet: kcat creates it.
  auto subscriber =
      start_zmq_client("subscribe.py", {broker.router(), broker.publisher(), "from-kafka", "3"});
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& line : subscriber->lines()) {
          if (line == "ready") return true;
        }
        return false;
      },
      15s))
      << subscriber->stderr_text();

  auto produced = run_command({"kcat", "-b", broker.kafka_bootstrap(), "-P", "-t", "from-kafka",
                               "-K", ":", "-H", "origin=kcat"},
                              "a:alpha\nb:beta\nc:gamma\n", 30s);
  ASSERT_EQ(produced.status, 0) << produced.err;
  ASSERT_EQ(subscriber->wait(20s), 0) << subscriber->stderr_text();
  auto lines = subscriber->lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1], R"({"key": "a", "value": "alpha", "headers": [["origin", "kcat"]]})");
  EXPECT_EQ(lines[2], R"({"key": "b", "value": "beta", "headers": [["origin", "kcat"]]})");
  EXPECT_EQ(lines[3], R"({"key": "c", "value": "gamma", "headers": [["origin", "kcat"]]})");
  EXPECT_EQ(broker.stop(), 0);
}

}  // namespace
}  // namespace junction::testing
