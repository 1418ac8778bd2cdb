// Starts junctiond with each file of examples/brokers (on free ports, data in
// a temp dir) and sends one record through every transport the file names,
// with that protocol's own client.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <toml++/toml.h>

#include "broker_config.hpp"
#include "support/client_process.hpp"
#include "support/junctiond_process.hpp"

namespace junction::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

const fs::path kExamples = fs::path(JUNCTION_SOURCE_DIR) / "examples" / "brokers";
const fs::path kClients = fs::path(JUNCTION_SOURCE_DIR) / "tests" / "transports";

CommandOutput python(const std::string& client, std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/python3", (kClients / client).string()});
  return run_command(args, {}, 30s);
}

std::string kcat_consume(const std::string& bootstrap, const std::string& topic) {
  auto consumed = run_command({"timeout", "20", "kcat", "-b", bootstrap, "-C", "-t", topic, "-o",
                               "beginning", "-c", "1", "-e", "-f", "%k=%s\n"});
  EXPECT_EQ(consumed.status, 0) << consumed.err;
  return consumed.out;
}

void kafka_round_trip(const ExampleTransport& transport) {
  const auto& bootstrap = transport.addresses.at(0);
  auto produced = run_command({"timeout", "20", "kcat", "-b", bootstrap, "-P", "-t", "via-kafka",
                               "-K:", "-X", "message.timeout.ms=10000"},
                              "user-1:signed up\n");
  ASSERT_EQ(produced.status, 0) << produced.err;
  EXPECT_EQ(kcat_consume(bootstrap, "via-kafka"), "user-1=signed up\n");
}

void amqp_round_trip(const ExampleTransport& transport) {
  const std::string url = "amqp://" + transport.addresses.at(0);
  auto sent = python("amqp/clients/blocking_send.py", {"--url", url, "--address", "via-amqp"});
  ASSERT_EQ(sent.status, 0) << sent.err;
  EXPECT_EQ(sent.out, "result sent=1 accepted=1 link_error=-\n");
  auto received = python("amqp/clients/blocking_receive.py",
                         {"--url", url, "--address", "via-amqp::example", "--count", "1"});
  ASSERT_EQ(received.status, 0) << received.out << received.err;
  EXPECT_THAT(received.out, HasSubstr("via-amqp value-0\ndone\n"));
}

void zeromq_round_trip(const ExampleTransport& transport) {
  const std::string router = transport.addresses.at(0);
  auto produced = python("zeromq/clients/produce.py", {router, "via-zeromq", "1"});
  ASSERT_EQ(produced.status, 0) << produced.out << produced.err;
  ClientProcess consumer({"/usr/bin/python3", (kClients / "zeromq/clients/consume.py").string(),
                          router, "via-zeromq", "example", "10"});
  auto record = consumer.wait_for_line(
      [](const std::string& line) { return line.starts_with("acked"); }, 20s);
  ASSERT_TRUE(record) << consumer.stderr_text();
  EXPECT_EQ(*record, "acked 0 0 v0");
}

void websocket_round_trip(const ExampleTransport& transport) {
  const std::string url = "ws://" + transport.addresses.at(0) + "/ws";
  auto published = python("websocket/clients/publish.py", {url, "via-websocket", "1"});
  ASSERT_EQ(published.status, 0) << published.err;
  EXPECT_THAT(published.out, HasSubstr("\"acks\": 1"));
  auto consumed = python("websocket/clients/consume.py", {url, "via-websocket", "1"});
  ASSERT_EQ(consumed.status, 0) << consumed.err;
  EXPECT_THAT(consumed.out, HasSubstr("\"value\": \"m0\""));
}

void round_trip(const ExampleTransport& transport) {
  SCOPED_TRACE("transport " + transport.plugin);
  if (transport.plugin == "kafka") return kafka_round_trip(transport);
  if (transport.plugin == "amqp") return amqp_round_trip(transport);
  if (transport.plugin == "zeromq") return zeromq_round_trip(transport);
  if (transport.plugin == "websocket") return websocket_round_trip(transport);
  ADD_FAILURE() << "no round trip written for transport '" << transport.plugin << "'";
}

std::vector<std::string> example_files() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kExamples)) {
    if (entry.path().extension() == ".toml") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class ExampleBroker : public ::testing::TestWithParam<std::string> {};

TEST_P(ExampleBroker, CarriesOneRecordThroughEveryTransportItNames) {
  TempDir dir;
  auto config = rewrite_example_config(kExamples / GetParam(), dir.path() / "data");
  ASSERT_FALSE(config.transports.empty());
  JunctiondProcess broker(dir.path(), config.toml);
  ASSERT_TRUE(broker.start()) << broker.log();
  for (const auto& transport : config.transports) round_trip(transport);
  EXPECT_EQ(broker.stop(), 0) << broker.log();
}

INSTANTIATE_TEST_SUITE_P(Files, ExampleBroker, ::testing::ValuesIn(example_files()),
                         [](const auto& info) {
                           auto name = fs::path(info.param).stem().string();
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(DurableExample, FlushesEveryRecordBeforeItsAcknowledgement) {
  TempDir dir;
  auto config = rewrite_example_config(kExamples / "durable.toml", dir.path() / "data");
  ASSERT_EQ(toml::parse_file((kExamples / "durable.toml").string())["topics"]["flush"].value_or(""),
            std::string("always"));
  const auto& kafka = config.transports.at(0);
  ASSERT_EQ(kafka.plugin, "kafka");
  {
    JunctiondProcess broker(dir.path(), config.toml);
    ASSERT_TRUE(broker.start()) << broker.log();
    auto produced = run_command({"timeout", "20", "kcat", "-b", kafka.addresses.at(0), "-P", "-t",
                                 "kept", "-K:", "-X", "message.timeout.ms=10000"},
                                "order-7:paid\n");
    ASSERT_EQ(produced.status, 0) << produced.err;
    // A crash right after the ack: only what was fsynced survives.
    broker.kill_hard();
  }
  JunctiondProcess restarted(dir.path(), config.toml);
  ASSERT_TRUE(restarted.start()) << restarted.log();
  EXPECT_EQ(kcat_consume(kafka.addresses.at(0), "kept"), "order-7=paid\n");
  EXPECT_EQ(restarted.stop(), 0) << restarted.log();
}

}  // namespace
}  // namespace junction::testing
