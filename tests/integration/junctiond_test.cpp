// Runs the real junctiond binary: start on free ports, serve a client through
// a transport plugin, stop on SIGTERM, keep the data across restarts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/junctiond_process.hpp"

namespace junction::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string line_broker_config(std::uint16_t port, const std::string& extra = "") {
  return "[broker]\ndata_dir = \"data\"\n[topics]\ndefault_partitions = 2\n" + extra +
         "[[transport]]\nplugin = \"line\"\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\n";
}

TEST(Junctiond, ServesClientsAndStopsCleanlyOnSigterm) {
  TempDir dir;
  const auto port = free_port();
  JunctiondProcess broker(dir.path(), line_broker_config(port));
  ASSERT_TRUE(broker.start());

  LineClient subscriber(port);
  ASSERT_TRUE(subscriber.connected());
  ASSERT_TRUE(subscriber.send_line("SUB events"));
  EXPECT_EQ(subscriber.read_line(), "OK subscribed");

  LineClient producer(port);
  ASSERT_TRUE(producer.send_line("PUB events hello world"));
  auto ack = producer.read_line();
  ASSERT_TRUE(ack);
  EXPECT_THAT(*ack, ::testing::MatchesRegex("OK [01] 0"));
  auto message = subscriber.read_line();
  ASSERT_TRUE(message);
  EXPECT_THAT(*message, ::testing::MatchesRegex("MSG events [01] 0 hello world"));

  EXPECT_EQ(broker.stop(), 0);
  const auto log = broker.log();
  EXPECT_THAT(log, HasSubstr("received Terminated, stopping"));
  EXPECT_THAT(log, HasSubstr("broker 0 stopped"));
}

TEST(Junctiond, RecordsSurviveARestart) {
  TempDir dir;
  const auto port = free_port();
  {
    JunctiondProcess broker(dir.path(), line_broker_config(port));
    ASSERT_TRUE(broker.start());
    LineClient producer(port);
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(producer.send_line("PUB kept record-" + std::to_string(i)));
      ASSERT_THAT(producer.read_line().value_or(""), StartsWith("OK "));
    }
    ASSERT_EQ(broker.stop(), 0);
  }
  JunctiondProcess broker(dir.path(), line_broker_config(port));
  ASSERT_TRUE(broker.start());
  EXPECT_TRUE(broker.log_contains("recovered topic 'kept' with 2 partition(s)"));
  LineClient subscriber(port);
  ASSERT_TRUE(subscriber.send_line("SUB kept earliest"));
  EXPECT_EQ(subscriber.read_line(), "OK subscribed");
  std::set<std::string> values;
  for (int i = 0; i < 20; ++i) {
    auto line = subscriber.read_line();
    ASSERT_TRUE(line) << "got " << values.size() << " records";
    values.insert(line->substr(line->rfind(' ') + 1));
  }
  EXPECT_EQ(values.size(), 20u);
  EXPECT_EQ(broker.stop(), 0);
}

TEST(Junctiond, AcknowledgedRecordsSurviveSigkillWithFlushAlways) {
  TempDir dir;
  const auto port = free_port();
  const std::string config = line_broker_config(port, "flush = \"always\"\n");
  {
    JunctiondProcess broker(dir.path(), config);
    ASSERT_TRUE(broker.start());
    LineClient producer(port);
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(producer.send_line("PUB crash r" + std::to_string(i)));
      ASSERT_THAT(producer.read_line().value_or(""), StartsWith("OK "));
    }
    broker.kill_hard();
  }
  JunctiondProcess broker(dir.path(), config);
  ASSERT_TRUE(broker.start());
  LineClient subscriber(port);
  ASSERT_TRUE(subscriber.send_line("SUB crash earliest"));
  EXPECT_EQ(subscriber.read_line(), "OK subscribed");
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(subscriber.read_line()) << "record " << i << " lost";
}

TEST(Junctiond, BadInputOnOneConnectionLeavesOthersServed) {
  TempDir dir;
  const auto port = free_port();
  JunctiondProcess broker(dir.path(), line_broker_config(port));
  ASSERT_TRUE(broker.start());
  LineClient bad(port);
  ASSERT_TRUE(bad.send_line("HELLO"));
  EXPECT_THAT(bad.read_line().value_or(""), StartsWith("ERR expected"));
  ASSERT_TRUE(bad.send_line("PUB bad/name x"));
  EXPECT_THAT(bad.read_line().value_or(""), HasSubstr("outside [a-zA-Z0-9._-]"));
  LineClient good(port);
  ASSERT_TRUE(good.send_line("PUB fine x"));
  EXPECT_THAT(good.read_line().value_or(""), StartsWith("OK "));
  EXPECT_EQ(broker.stop(), 0);
}

// Open file descriptors of `pid`, from /proc.
int open_fds(pid_t pid) {
  std::error_code error;
  const std::filesystem::directory_iterator fds("/proc/" + std::to_string(pid) + "/fd", error);
  return error ? -1 : int(std::distance(begin(fds), end(fds)));
}

// The "Threads:" line of /proc/<pid>/status.
int thread_count(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("Threads:")) return std::stoi(line.substr(8));
  }
  return -1;
}

TEST(Junctiond, LineTransportReleasesClosedConnections) {
  TempDir dir;
  const auto port = free_port();
  JunctiondProcess broker(dir.path(), line_broker_config(port));
  ASSERT_TRUE(broker.start());
  const int threads_before = thread_count(broker.pid());
  for (int i = 0; i < 200; ++i) {
    LineClient producer(port);
    ASSERT_TRUE(producer.send_line("PUB churn r" + std::to_string(i)));
    ASSERT_THAT(producer.read_line().value_or(""), StartsWith("OK ")) << "connection " << i;
  }
  EXPECT_TRUE(wait_until([&] { return open_fds(broker.pid()) < 60; }, std::chrono::seconds(10)))
      << open_fds(broker.pid()) << " fds still open";
  EXPECT_TRUE(wait_until([&] { return thread_count(broker.pid()) <= threads_before; },
                         std::chrono::seconds(10)))
      << thread_count(broker.pid()) << " threads, " << threads_before << " before";
  EXPECT_EQ(broker.stop(), 0);
}

TEST(Junctiond, LineTransportEndsAnIdleSubscriptionWhenItsClientCloses) {
  TempDir dir;
  const auto port = free_port();
  JunctiondProcess broker(dir.path(), line_broker_config(port));
  ASSERT_TRUE(broker.start());
  const int threads_before = thread_count(broker.pid());
  {
    LineClient subscriber(port);
    ASSERT_TRUE(subscriber.send_line("SUB idle"));
    ASSERT_EQ(subscriber.read_line(), "OK subscribed");
    EXPECT_TRUE(wait_until([&] { return thread_count(broker.pid()) > threads_before; },
                           std::chrono::seconds(10)));
  }
  EXPECT_TRUE(wait_until([&] { return thread_count(broker.pid()) <= threads_before; },
                         std::chrono::seconds(10)))
      << thread_count(broker.pid()) << " threads, " << threads_before << " before";
  EXPECT_EQ(broker.stop(), 0);
}

TEST(Junctiond, LineTransportRefusesAnOverLongLineAndServesOthers) {
  TempDir dir;
  const auto port = free_port();
  JunctiondProcess broker(dir.path(), line_broker_config(port) + "max_line_bytes = 1024\n");
  ASSERT_TRUE(broker.start());
  LineClient other(port);
  ASSERT_TRUE(other.connected());
  LineClient bad(port);
  ASSERT_TRUE(bad.send_line("PUB big " + std::string(1016, 'x')));  // exactly 1024 bytes
  EXPECT_THAT(bad.read_line().value_or(""), StartsWith("OK "));
  ASSERT_TRUE(bad.send_line("PUB big " + std::string(4000, 'x')));
  EXPECT_EQ(bad.read_line(), "ERR line longer than 1024 bytes");
  const auto before_close = std::chrono::steady_clock::now();
  EXPECT_EQ(bad.read_line(std::chrono::seconds(30)), std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - before_close, std::chrono::seconds(10))
      << "the connection was not closed";
  ASSERT_TRUE(other.send_line("PUB fine x"));
  EXPECT_THAT(other.read_line().value_or(""), StartsWith("OK "));
  EXPECT_EQ(broker.stop(), 0);
}

TEST(Junctiond, CheckConfigReportsEveryErrorWithItsPosition) {
  TempDir dir;
  const auto file = dir.path() / "bad.toml";
  std::ofstream(file) << "[broker]\nid = -4\n[topics]\nflush = \"never\"\nspeed = 9\n"
                         "[[transport]]\nplugin = \"line\"\nlisten = \"nowhere\"\n"
                         "[[transport]]\nplugin = \"nosuch\"\n";
  auto result = JunctiondProcess::run({"--check-config", file.string()});
  EXPECT_EQ(result.status, 1);
  const std::string f = file.string();
  EXPECT_THAT(result.err, HasSubstr(f + ":2:6: key 'id' must be between 0 and 2147483647"));
  EXPECT_THAT(result.err, HasSubstr(f + ":4:9: key 'flush': must be \"interval\" or \"always\""));
  EXPECT_THAT(result.err, HasSubstr(f + ":5:1: unknown key 'speed'"));
  EXPECT_THAT(result.err, HasSubstr(f + ":8:10: key 'listen': expected \"ipv4:port\""));
  EXPECT_THAT(result.err, HasSubstr(f + ":10:10: no plugin named 'nosuch'"));
}

TEST(Junctiond, CheckConfigAcceptsAGoodFile) {
  TempDir dir;
  const auto file = dir.path() / "good.toml";
  std::ofstream(file) << line_broker_config(free_port());
  auto result = JunctiondProcess::run({"--check-config", file.string()});
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr(": ok"));
}

TEST(Junctiond, RefusesToStartOnABadConfig) {
  TempDir dir;
  JunctiondProcess broker(dir.path(), "[broker]\nnonsense = true\n");
  EXPECT_FALSE(broker.start(std::chrono::seconds(10)));
  EXPECT_THAT(broker.log(), HasSubstr("junctiond.toml:2:1: unknown key 'nonsense'"));
}

TEST(Junctiond, PortInUseIsAClearStartupError) {
  const auto port = free_port();
  TempDir other;
  JunctiondProcess holder(other.path(), line_broker_config(port));
  ASSERT_TRUE(holder.start());
  TempDir second_dir;
  JunctiondProcess second(second_dir.path(), line_broker_config(port));
  EXPECT_FALSE(second.start(std::chrono::seconds(10)));
  EXPECT_THAT(second.log(), HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(port)));
  EXPECT_EQ(holder.stop(), 0);
}

TEST(Junctiond, EmbeddedDefaultRunsWithDataInTheWorkingDirectory) {
  TempDir dir;
  auto printed = JunctiondProcess::run({"--print-default"});
  ASSERT_EQ(printed.status, 0);
  EXPECT_THAT(printed.out, HasSubstr("plugin = \"memory\""));
  // Started without --config; it must become ready and stop on SIGTERM.
  JunctiondProcess broker(dir.path(), "");
  ASSERT_TRUE(broker.start_without_config());
  // The bundled Kafka transport answers on its usual port.
  auto listed = run_command({"kcat", "-b", "127.0.0.1:9092", "-L", "-m", "10"});
  EXPECT_EQ(listed.status, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("broker 0 at 127.0.0.1:9092"));
  // ... and the AMQP transport on 5672.
  auto amqp = run_command({"/usr/bin/python3", "-c",
                           "from proton import Message\n"
                           "from proton.utils import BlockingConnection\n"
                           "c = BlockingConnection('amqp://127.0.0.1:5672', timeout=10)\n"
                           "c.create_sender('embedded').send(Message(body='hi'))\n"
                           "c.close()\n"
                           "print('amqp ok')"});
  EXPECT_EQ(amqp.status, 0) << amqp.err;
  EXPECT_THAT(amqp.out, HasSubstr("amqp ok"));
  // ... and the ZeroMQ transport's ROUTER on 5555.
  auto zeromq = run_command({"/usr/bin/python3", "-c",
                             "import zmq\n"
                             "d = zmq.Context().socket(zmq.DEALER)\n"
                             "d.setsockopt(zmq.RCVTIMEO, 10000)\n"
                             "d.setsockopt(zmq.LINGER, 0)\n"
                             "d.connect('tcp://127.0.0.1:5555')\n"
                             "d.send_multipart([b'J1', b'PUB', b'embedded', b'', b'hi'])\n"
                             "print(d.recv_multipart()[1].decode())"});
  EXPECT_EQ(zeromq.status, 0) << zeromq.err;
  EXPECT_THAT(zeromq.out, HasSubstr("ACK"));
  EXPECT_EQ(broker.stop(), 0);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "data" / "~lock"));
  EXPECT_TRUE(broker.log_contains("(config: <embedded default>)"));
}

TEST(Junctiond, PrintsItsVersion) {
  auto result = JunctiondProcess::run({"--version"});
  EXPECT_EQ(result.status, 0);
  EXPECT_THAT(result.out, StartsWith("junctiond "));
}

}  // namespace
}  // namespace junction::testing
