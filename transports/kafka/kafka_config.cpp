#include "kafka_config.hpp"

#include <cstdint>
#include <limits>
#include <string>

namespace junction::kafka {
namespace {

constexpr std::int64_t kMaxInt32 = std::numeric_limits<std::int32_t>::max();

}  // namespace

KafkaConfig parse_kafka_config(ConfigSection& config) {
  KafkaConfig parsed;
  const auto listen = config.host_port("listen", {parsed.listen_host, parsed.listen_port});
  parsed.listen_host = listen.host;
  parsed.listen_port = listen.port;
  // An empty advertised_listener means "the listen address", as when absent.
  if (!config.string("advertised_listener", "").empty()) {
    const auto advertised = config.host_port("advertised_listener", {});
    if (!advertised.host.empty() && advertised.port == 0) {
      config.fail("advertised_listener", "port 0 cannot be advertised to clients");
    }
    parsed.advertised_host = advertised.host;
    parsed.advertised_port = advertised.port;
  }
  parsed.max_request_bytes = static_cast<std::int32_t>(
      config.integer("max_request_bytes", parsed.max_request_bytes, 1024, 1LL << 30));
  parsed.io_threads = static_cast<int>(config.integer("io_threads", parsed.io_threads, 1, 64));
  parsed.max_inflight_requests = static_cast<int>(
      config.integer("max_inflight_requests", parsed.max_inflight_requests, 1, 1024));
  parsed.group_min_session_timeout_ms = static_cast<std::int32_t>(config.integer(
      "group_min_session_timeout_ms", parsed.group_min_session_timeout_ms, 1, kMaxInt32));
  parsed.group_max_session_timeout_ms = static_cast<std::int32_t>(config.integer(
      "group_max_session_timeout_ms", parsed.group_max_session_timeout_ms, 1, kMaxInt32));
  if (parsed.group_max_session_timeout_ms < parsed.group_min_session_timeout_ms) {
    config.fail("group_max_session_timeout_ms",
                "must not be below group_min_session_timeout_ms (" +
                    std::to_string(parsed.group_min_session_timeout_ms) + ")");
  }
  parsed.group_initial_rebalance_delay_ms = static_cast<std::int32_t>(config.integer(
      "group_initial_rebalance_delay_ms", parsed.group_initial_rebalance_delay_ms, 0, kMaxInt32));
  config.reject_unknown_keys();
  return parsed;
}

}  // namespace junction::kafka
