// The kafka [[transport]] table: mistakes are reported with their position
// before anything binds, and a taken port is a clear startup error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "kafka_test_broker.hpp"

namespace junction::testing {
namespace {

using ::testing::HasSubstr;

TEST(KafkaConfig, CheckConfigReportsEveryKafkaKeyErrorWithItsPosition) {
  TempDir dir;
  const auto file = dir.path() / "kafka.toml";
  std::ofstream(file) << "[[transport]]\nplugin = \"kafka\"\nlisten = \"9092\"\n"
                         "advertised_listener = \"host-without-port\"\n"
                         "max_request_bytes = 12\nlisen = \"127.0.0.1:9092\"\n"
                         "group_min_session_timeout_ms = 10000\n"
                         "group_max_session_timeout_ms = 5000\n";
  auto result = JunctiondProcess::run({"--check-config", file.string()});
  EXPECT_EQ(result.status, 1);
  const std::string f = file.string();
  EXPECT_THAT(result.err, HasSubstr(f + ":3:10: key 'listen': expected \"host:port\""));
  EXPECT_THAT(result.err, HasSubstr(f + ":4:23: key 'advertised_listener': expected"));
  EXPECT_THAT(result.err, HasSubstr(f + ":5:21: key 'max_request_bytes' must be between 1024"));
  EXPECT_THAT(result.err, HasSubstr(f + ":6:1: unknown key 'lisen'"));
  EXPECT_THAT(result.err,
              HasSubstr(f + ":8:32: key 'group_max_session_timeout_ms': must not be below"));
}

TEST(KafkaConfig, PortInUseIsAClearStartupError) {
  KafkaTestBroker holder;
  ASSERT_TRUE(holder.start());
  TempDir dir;
  JunctiondProcess second(dir.path(), "[[transport]]\nplugin = \"kafka\"\nlisten = \"" +
                                          holder.bootstrap() + "\"\n");
  EXPECT_FALSE(second.start(std::chrono::seconds(10)));
  EXPECT_THAT(second.log(), HasSubstr("cannot listen on " + holder.bootstrap()));
}

}  // namespace
}  // namespace junction::testing
