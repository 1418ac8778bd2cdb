#include "host/host_config.hpp"

#include <fstream>
#include <sstream>

namespace junction::host {
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kInt32Max = 2147483647;

fs::path resolve(const fs::path& base_dir, const std::string& path) {
  fs::path p(path);
  return p.is_absolute() || base_dir.empty() ? p : base_dir / p;
}

PluginSpec read_plugin_spec(ConfigSection section, std::string fallback_plugin) {
  PluginSpec spec{section.string("plugin", fallback_plugin), section, section.where("plugin")};
  if (spec.plugin.empty()) section.fail("", "missing key 'plugin': name the plugin to load");
  return spec;
}

void read_broker(ConfigSection section, const fs::path& base_dir,
                 const fs::path& default_plugin_dir, HostConfig& config) {
  config.broker_id = std::int32_t(section.integer("id", 0, 0, kInt32Max));
  config.data_dir = resolve(base_dir, section.string("data_dir", "data"));
  for (const auto& dir : section.strings("plugin_path", {})) {
    config.plugin_path.push_back(resolve(base_dir, dir));
  }
  // The bundled plugins stay reachable whatever plugin_path says.
  config.plugin_path.push_back(default_plugin_dir);
  section.reject_unknown_keys();
}

void read_topics(ConfigSection section, HostConfig& config) {
  TopicConfig& topics = config.topic_defaults;
  config.auto_create_topics = section.boolean("auto_create", true);
  topics.partitions = std::int32_t(section.integer("default_partitions", 1, 1, 10'000));
  topics.retention_ms = section.integer("retention_ms", topics.retention_ms, -1);
  topics.retention_bytes = section.integer("retention_bytes", topics.retention_bytes, -1);
  topics.segment_bytes = section.integer("segment_bytes", topics.segment_bytes, 1024, kInt32Max);
  topics.segment_ms = section.integer("segment_ms", topics.segment_ms, 1);
  topics.max_message_bytes =
      std::int32_t(section.integer("max_message_bytes", topics.max_message_bytes, 64, kInt32Max));
  topics.index_interval_bytes = std::int32_t(
      section.integer("index_interval_bytes", topics.index_interval_bytes, 1, kInt32Max));
  const std::string flush = section.string("flush", "interval");
  if (flush == "interval") {
    topics.flush = FlushPolicy::interval;
  } else if (flush == "always") {
    topics.flush = FlushPolicy::always;
  } else {
    section.fail("flush", "must be \"interval\" or \"always\", not \"" + flush + "\"");
  }
  topics.flush_interval_ms =
      section.integer("flush_interval_ms", topics.flush_interval_ms, 1, kInt32Max);
  config.retention_check_interval_ms = section.integer(
      "retention_check_interval_ms", config.retention_check_interval_ms, 1, kInt32Max);
  config.respect_subscriptions = section.boolean("respect_subscriptions", false);
  section.reject_unknown_keys();
}

void read_delivery(ConfigSection section, HostConfig& config) {
  auto& delivery = config.delivery;
  delivery.ack_timeout_ms =
      section.integer("ack_timeout_ms", delivery.ack_timeout_ms, 1, kInt32Max);
  delivery.max_attempts =
      std::int32_t(section.integer("max_attempts", delivery.max_attempts, 1, 65535));
  delivery.dead_letter_suffix = section.string("dead_letter_suffix", delivery.dead_letter_suffix);
  if (delivery.dead_letter_suffix.empty() ||
      !validate_topic_name("t" + delivery.dead_letter_suffix)) {
    section.fail("dead_letter_suffix", "must be non-empty and make a valid topic name");
  }
  delivery.max_unacked_window = std::uint32_t(
      section.integer("max_unacked_window", delivery.max_unacked_window, 1, 10'000'000));
  delivery.dispatcher_threads =
      std::uint32_t(section.integer("dispatcher_threads", delivery.dispatcher_threads, 1, 64));
  section.reject_unknown_keys();
}

void read_cluster(ConfigSection root, HostConfig& config) {
  if (!root.contains("cluster")) return;
  ConfigSection section = root.section("cluster");
  config.cluster.enabled = true;
  if (!section.contains("listen")) {
    section.fail("", "missing key 'listen': the \"host:port\" of the inter-broker channel");
  }
  config.cluster.listen = section.host_port("listen", {});
  config.cluster.advertised_listener = section.string("advertised_listener", "");
  if (!config.cluster.advertised_listener.empty() &&
      !parse_host_port(config.cluster.advertised_listener)) {
    section.fail("advertised_listener",
                 "must be \"host:port\", not \"" + config.cluster.advertised_listener + "\"");
  }
  section.reject_unknown_keys();
}

// Only the memory coordinator stands alone; any other joins brokers that must
// reach each other's partitions.
void require_cluster_for_shared_coordination(HostConfig& config) {
  if (config.cluster.enabled || config.coordination.plugin == "memory") return;
  config.coordination.config.fail(
      "plugin", "coordination plugin \"" + config.coordination.plugin +
                    "\" joins a cluster, which needs a [cluster] table with the 'listen' "
                    "address of the inter-broker channel");
}

void read_log(ConfigSection section, HostConfig& config) {
  const std::string level = section.string("level", "info");
  if (!parse_log_level(level, config.log_level)) {
    section.fail("level",
                 "must be one of trace, debug, info, warn, error, off; not \"" + level + "\"");
  }
  section.reject_unknown_keys();
}

// The one place that says which tables and keys the host reads.
void read_document(ConfigSection root, const fs::path& base_dir, const fs::path& default_plugin_dir,
                   HostConfig& config) {
  read_broker(root.section("broker"), base_dir, default_plugin_dir, config);
  config.coordination = read_plugin_spec(root.section("coordination"), "memory");
  read_cluster(root, config);
  require_cluster_for_shared_coordination(config);
  read_topics(root.section("topics"), config);
  read_delivery(root.section("delivery"), config);
  read_log(root.section("log"), config);
  for (ConfigSection& transport : root.sections("transport")) {
    config.transports.push_back(read_plugin_spec(transport, ""));
  }
  root.reject_unknown_keys();
}

}  // namespace

HostConfig parse_config(std::string_view text, const std::string& source, const fs::path& base_dir,
                        const fs::path& default_plugin_dir) {
  HostConfig config;
  config.source = source;
  config.errors = std::make_shared<ConfigErrors>(config.source);

  std::shared_ptr<const toml::table> document;
  try {
    document = std::make_shared<const toml::table>(toml::parse(text, source));
  } catch (const toml::parse_error& error) {
    config.errors->add(format_position(source, error.source().begin) + ": " +
                       std::string(error.description()));
    document = std::make_shared<const toml::table>();
  }

  read_document(make_config_section(document, document.get(), source, config.errors), base_dir,
                default_plugin_dir, config);
  return config;
}

std::vector<std::string> host_config_keys() {
  auto keys = std::make_shared<KeyListing>();
  HostConfig ignored;
  ignored.errors = std::make_shared<ConfigErrors>();
  read_document(make_key_listing_section(keys), {}, {}, ignored);
  return *keys;
}

HostConfig load_config_file(const fs::path& file, const fs::path& default_plugin_dir) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    HostConfig config;
    config.source = file.string();
    config.errors = std::make_shared<ConfigErrors>(config.source);
    config.errors->add(file.string() + ": cannot read the config file");
    return config;
  }
  std::stringstream text;
  text << in.rdbuf();
  const fs::path base_dir = fs::absolute(file).parent_path();
  return parse_config(text.str(), file.string(), base_dir, default_plugin_dir);
}

std::string default_config_text(const std::vector<std::string>& bundled_transports) {
  std::string text =
      "[broker]\n"
      "id = 0\n"
      "data_dir = \"data\"\n"
      "[coordination]\n"
      "plugin = \"memory\"\n";
  for (const auto& name : bundled_transports) {
    text += "[[transport]]\nplugin = \"" + name + "\"\n";
    if (name == "kafka") text += "listen = \"127.0.0.1:9092\"\n";
    if (name == "amqp") text += "listen = \"127.0.0.1:5672\"\n";
    if (name == "websocket") text += "listen = \"127.0.0.1:8080\"\n";
    if (name == "zeromq") {
      text +=
          "listen = \"tcp://127.0.0.1:5555\"\n"
          "publish = \"tcp://127.0.0.1:5556\"\n"
          "pull = \"tcp://127.0.0.1:5557\"\n";
    }
  }
  return text;
}

}  // namespace junction::host
