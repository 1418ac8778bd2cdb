#include "host/host_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace junction::host {
namespace {

using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;

HostConfig parse(std::string_view text) {
  return parse_config(text, "broker.toml", "/etc/junction", "/opt/junction/plugins");
}

TEST(HostConfig, DefaultsWhenEmpty) {
  auto config = parse("");
  EXPECT_TRUE(config.errors->empty());
  EXPECT_EQ(config.broker_id, 0);
  EXPECT_EQ(config.data_dir, "/etc/junction/data");
  EXPECT_EQ(config.coordination.plugin, "memory");
  EXPECT_TRUE(config.auto_create_topics);
  EXPECT_EQ(config.topic_defaults.partitions, 1);
  EXPECT_EQ(config.topic_defaults.retention_ms, 604800000);
  EXPECT_EQ(config.topic_defaults.retention_bytes, -1);
  EXPECT_EQ(config.topic_defaults.segment_bytes, 1073741824);
  EXPECT_EQ(config.topic_defaults.flush, FlushPolicy::interval);
  EXPECT_EQ(config.topic_defaults.flush_interval_ms, 1000);
  EXPECT_EQ(config.log_level, LogLevel::info);
  EXPECT_THAT(config.plugin_path, ElementsAre("/opt/junction/plugins"));
  EXPECT_TRUE(config.transports.empty());
}

TEST(HostConfig, ReadsEveryDocumentedKey) {
  auto config = parse(R"(
[broker]
id = 7
data_dir = "/var/lib/junction"
plugin_path = ["plugins", "/usr/local/lib/junction"]
[coordination]
plugin = "zookeeper"
connect = "127.0.0.1:2181"
[cluster]
listen = "127.0.0.1:9093"
advertised_listener = "broker7.example:9093"
[topics]
auto_create = false
default_partitions = 3
retention_ms = 1000
retention_bytes = 4096
segment_bytes = 2048
segment_ms = 500
flush = "always"
flush_interval_ms = 50
max_message_bytes = 100000
respect_subscriptions = true
[delivery]
ack_timeout_ms = 5000
max_attempts = 3
dead_letter_suffix = ".dead"
max_unacked_window = 5000
dispatcher_threads = 2
[log]
level = "debug"
[[transport]]
plugin = "kafka"
listen = "127.0.0.1:9092"
[[transport]]
plugin = "/opt/x/junction_custom.so"
)");
  EXPECT_TRUE(config.errors->empty()) << config.errors->messages().front();
  EXPECT_EQ(config.broker_id, 7);
  EXPECT_EQ(config.data_dir, "/var/lib/junction");
  EXPECT_THAT(config.plugin_path, ElementsAre("/etc/junction/plugins", "/usr/local/lib/junction",
                                              "/opt/junction/plugins"));
  EXPECT_EQ(config.coordination.plugin, "zookeeper");
  EXPECT_EQ(config.coordination.config.string("connect", ""), "127.0.0.1:2181");
  EXPECT_TRUE(config.cluster.enabled);
  EXPECT_EQ(config.cluster.listen.host, "127.0.0.1");
  EXPECT_EQ(config.cluster.listen.port, 9093);
  EXPECT_EQ(config.cluster.advertised_listener, "broker7.example:9093");
  EXPECT_FALSE(config.auto_create_topics);
  EXPECT_EQ(config.topic_defaults.partitions, 3);
  EXPECT_EQ(config.topic_defaults.retention_ms, 1000);
  EXPECT_EQ(config.topic_defaults.retention_bytes, 4096);
  EXPECT_EQ(config.topic_defaults.segment_bytes, 2048);
  EXPECT_EQ(config.topic_defaults.segment_ms, 500);
  EXPECT_EQ(config.topic_defaults.flush, FlushPolicy::always);
  EXPECT_EQ(config.topic_defaults.flush_interval_ms, 50);
  EXPECT_EQ(config.topic_defaults.max_message_bytes, 100000);
  EXPECT_TRUE(config.respect_subscriptions);
  EXPECT_EQ(config.delivery.ack_timeout_ms, 5000);
  EXPECT_EQ(config.delivery.max_attempts, 3);
  EXPECT_EQ(config.delivery.dead_letter_suffix, ".dead");
  EXPECT_EQ(config.delivery.max_unacked_window, 5000u);
  EXPECT_EQ(config.delivery.dispatcher_threads, 2u);
  EXPECT_EQ(config.log_level, LogLevel::debug);
  ASSERT_EQ(config.transports.size(), 2u);
  EXPECT_EQ(config.transports[0].plugin, "kafka");
  EXPECT_EQ(config.transports[0].config.string("listen", ""), "127.0.0.1:9092");
  EXPECT_EQ(config.transports[1].plugin, "/opt/x/junction_custom.so");
}

TEST(HostConfig, ClusterIsOffWithoutItsTable) {
  auto config = parse("[coordination]\nplugin = \"memory\"\n");
  EXPECT_TRUE(config.errors->empty());
  EXPECT_FALSE(config.cluster.enabled);
}

TEST(HostConfig, ClusterNeedsListenAndRejectsUnknownKeys) {
  auto config = parse("[cluster]\nadvertised_listener = \"nowhere\"\nport = 1\n");
  EXPECT_THAT(config.errors->messages(),
              ElementsAre(HasSubstr("broker.toml:1:1: missing key 'listen'"),
                          HasSubstr("broker.toml:2:23: key 'advertised_listener': must be"),
                          HasSubstr("broker.toml:3:1: unknown key 'port'")));
}

TEST(HostConfig, SharedCoordinationWithoutClusterNamesThePluginKey) {
  auto config = parse("[broker]\nid = 1\n[coordination]\nplugin = \"zookeeper\"\n");
  ASSERT_EQ(config.errors->messages().size(), 1u);
  EXPECT_THAT(config.errors->messages().front(),
              HasSubstr("broker.toml:4:10: key 'plugin': coordination plugin \"zookeeper\" "
                        "joins a cluster, which needs a [cluster] table"));
}

TEST(HostConfig, UnknownKeysNameFileLineAndColumn) {
  auto config = parse("[broker]\nid = 1\n  data_dri = \"x\"\n[topiks]\nauto_create = true\n");
  EXPECT_THAT(config.errors->messages(), ElementsAre("broker.toml:3:3: unknown key 'data_dri'",
                                                     "broker.toml:4:2: unknown key 'topiks'"));
}

// Reported in file order, whatever order they were found in.
TEST(HostConfig, WrongTypesAndValuesAreAllReported) {
  auto config = parse(
      "[broker]\nid = \"zero\"\n[topics]\nflush = \"sometimes\"\ndefault_partitions = 0\n"
      "[log]\nlevel = 3\n");
  EXPECT_THAT(config.errors->messages(),
              ElementsAre("broker.toml:2:6: key 'id' must be an integer, not string",
                          "broker.toml:4:9: key 'flush': must be \"interval\" or \"always\", not "
                          "\"sometimes\"",
                          HasSubstr("broker.toml:5:22: key 'default_partitions' must be between 1"),
                          "broker.toml:7:9: key 'level' must be a string, not integer"));
}

TEST(HostConfig, DeliveryValuesAreChecked) {
  auto config = parse("[delivery]\nmax_attempts = 0\ndead_letter_suffix = \"/x\"\n");
  EXPECT_THAT(config.errors->messages(),
              ElementsAre(HasSubstr("broker.toml:2:16: key 'max_attempts' must be between 1"),
                          HasSubstr("broker.toml:3:22: key 'dead_letter_suffix': must be")));
}

TEST(HostConfig, SyntaxErrorsCarryTheirPosition) {
  auto config = parse("[broker]\nid = = 3\n");
  ASSERT_EQ(config.errors->messages().size(), 1u);
  EXPECT_THAT(config.errors->messages()[0], HasSubstr("broker.toml:2:"));
}

TEST(HostConfig, TransportMustBeAnArrayOfTables) {
  auto config = parse("[transport]\nplugin = \"kafka\"\n");
  ASSERT_EQ(config.errors->messages().size(), 1u);
  EXPECT_THAT(config.errors->messages()[0], HasSubstr("write [[transport]]"));
}

TEST(HostConfig, TransportNeedsAPluginName) {
  auto config = parse("[[transport]]\nlisten = \"127.0.0.1:1\"\n");
  ASSERT_EQ(config.errors->messages().size(), 1u);
  EXPECT_THAT(config.errors->messages()[0],
              Eq("broker.toml:1:1: missing key 'plugin': name the plugin to load"));
}

TEST(HostConfig, PluginKeysAreCheckedByThePlugin) {
  auto config = parse("[[transport]]\nplugin = \"kafka\"\nlisten = 5\nbogus = 1\n");
  auto& section = config.transports.at(0).config;
  EXPECT_EQ(section.string("listen", "fallback"), "fallback");
  section.reject_unknown_keys();
  EXPECT_THAT(config.errors->messages(),
              ElementsAre("broker.toml:3:10: key 'listen' must be a string, not integer",
                          "broker.toml:4:1: unknown key 'bogus'"));
}

TEST(HostConfig, EmbeddedDefaultParsesCleanly) {
  const auto text = default_config_text({"kafka", "amqp", "websocket", "zeromq"});
  auto config = parse_config(text, "<embedded default>", {}, "/plugins");
  EXPECT_TRUE(config.errors->empty());
  EXPECT_EQ(config.data_dir, "data");
  ASSERT_EQ(config.transports.size(), 4u);
  EXPECT_EQ(config.transports[0].config.string("listen", ""), "127.0.0.1:9092");
  EXPECT_EQ(config.transports[1].config.string("listen", ""), "127.0.0.1:5672");
  EXPECT_EQ(config.transports[2].config.string("listen", ""), "127.0.0.1:8080");
  EXPECT_EQ(config.transports[3].config.string("listen", ""), "tcp://127.0.0.1:5555");
}

TEST(HostConfig, MissingFileIsAnError) {
  auto config = load_config_file("/nonexistent/junction.toml", "/plugins");
  EXPECT_THAT(config.errors->messages(),
              ElementsAre("/nonexistent/junction.toml: cannot read the config file"));
}

TEST(HostConfig, ListsEveryKeyItReadsAndOnlyThose) {
  const auto keys = host_config_keys();
  for (const char* key : {"broker.id", "broker.plugin_path", "coordination.plugin", "topics.flush",
                          "delivery.max_attempts", "log.level", "transport.plugin"}) {
    EXPECT_THAT(keys, ::testing::Contains(std::string(key)));
  }
  // Every listed key is accepted by the parser: none is an "unknown key".
  for (const auto& key : keys) {
    const auto dot = key.find('.');
    const std::string table = key.substr(0, dot);
    const std::string header = table == "transport" ? "[[transport]]" : "[" + table + "]";
    auto config = parse(header + "\n" + key.substr(dot + 1) + " = 0\n");
    for (const auto& message : config.errors->messages()) {
      EXPECT_THAT(message, ::testing::Not(HasSubstr("unknown key"))) << key;
    }
  }
}

}  // namespace
}  // namespace junction::host

namespace junction {
namespace {

TEST(ParseHostPort, AcceptsNamesIpv4AndBracketedIpv6) {
  auto named = parse_host_port("broker1.example.com:9092");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->host, "broker1.example.com");
  EXPECT_EQ(named->port, 9092);
  auto v6 = parse_host_port("[::1]:5672");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 5672);
  for (const char* bad : {"9092", ":9092", "host:", "host:65536", "host:12x", "[]:1"}) {
    EXPECT_FALSE(parse_host_port(bad)) << bad;
  }
}

}  // namespace
}  // namespace junction
