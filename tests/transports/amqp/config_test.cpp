// The amqp [[transport]] table: mistakes are reported with their position
// before anything binds, a taken port is a clear startup error, and the size
// limit follows the topic's unless the transport sets its own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "amqp_test_broker.hpp"

namespace junction::testing {
namespace {

using ::testing::HasSubstr;

TEST(AmqpConfig, CheckConfigReportsEveryAmqpKeyErrorWithItsPosition) {
  TempDir dir;
  const auto file = dir.path() / "amqp.toml";
  std::ofstream(file) << "[[transport]]\nplugin = \"amqp\"\nlisten = \"5672\"\n"
                         "max_in_flight_messages = 0\ncontainer_threads = 100\n"
                         "idle_timout_ms = 5\n";
  auto result = JunctiondProcess::run({"--check-config", file.string()});
  EXPECT_EQ(result.status, 1);
  const std::string f = file.string();
  EXPECT_THAT(result.err, HasSubstr(f + ":3:10: key 'listen': expected \"host:port\""));
  EXPECT_THAT(result.err, HasSubstr(f + ":4:26: key 'max_in_flight_messages' must be between 1"));
  EXPECT_THAT(result.err, HasSubstr(f + ":5:21: key 'container_threads' must be between 1"));
  EXPECT_THAT(result.err, HasSubstr(f + ":6:1: unknown key 'idle_timout_ms'"));
}

TEST(AmqpConfig, PortInUseIsAClearStartupError) {
  AmqpTestBroker holder;
  ASSERT_TRUE(holder.start());
  TempDir dir;
  const std::string endpoint = "127.0.0.1:" + std::to_string(holder.port());
  JunctiondProcess second(dir.path(),
                          "[[transport]]\nplugin = \"amqp\"\nlisten = \"" + endpoint + "\"\n");
  EXPECT_FALSE(second.start(std::chrono::seconds(10)));
  EXPECT_THAT(second.log(), HasSubstr("amqp cannot listen on " + endpoint));
}

}  // namespace
}  // namespace junction::testing
