#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "junction/config.hpp"
#include "junction/log.hpp"
#include "junction/topic.hpp"
#include "kernel/local_kernel_options.hpp"
#include "sdk/config_errors.hpp"

namespace junction::host {

// A plugin named in the config, with the rest of its table for the plugin.
struct PluginSpec {
  std::string plugin;  // a name searched in plugin_path, or a path to a .so
  ConfigSection config;
  std::string where;  // file:line:column of the table, for messages
};

// [cluster]: the inter-broker channel. Present iff the broker runs clustered.
struct ClusterConfig {
  bool enabled = false;
  HostPort listen;
  // "host:port" other brokers dial; empty: the bound address.
  std::string advertised_listener;
};

struct HostConfig {
  std::string source;  // the file name, or "<embedded default>"
  std::int32_t broker_id = 0;
  std::filesystem::path data_dir = "data";
  std::vector<std::filesystem::path> plugin_path;
  PluginSpec coordination;
  ClusterConfig cluster;
  TopicConfig topic_defaults;
  bool auto_create_topics = true;
  std::int64_t retention_check_interval_ms = 300'000;
  bool respect_subscriptions = false;
  kernel::DeliveryConfig delivery;
  LogLevel log_level = LogLevel::info;
  std::vector<PluginSpec> transports;
  // Collects host and plugin errors alike; plugins add theirs when built.
  std::shared_ptr<ConfigErrors> errors;
};

// Parses TOML text. Relative paths resolve against `base_dir` (the config
// file's folder). Never throws: syntax and value errors land in `errors`.
HostConfig parse_config(std::string_view text, const std::string& source,
                        const std::filesystem::path& base_dir,
                        const std::filesystem::path& default_plugin_dir);

// Reads and parses a file; a missing file is an error in `errors` too.
HostConfig load_config_file(const std::filesystem::path& file,
                            const std::filesystem::path& default_plugin_dir);

// Every key the host itself reads, as "table.key" ("broker.id",
// "transport.plugin"), in reading order.
std::vector<std::string> host_config_keys();

// The embedded default: one broker, memory coordination, data in ./data, and
// every bundled transport in `bundled` on its usual port.
std::string default_config_text(const std::vector<std::string>& bundled_transports);

}  // namespace junction::host
