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
  auto listen = config.string("listen", "127.0.0.1:9092");
  if (auto address = parse_host_port(listen)) {
    parsed.listen_host = address->host;
    parsed.listen_port = address->port;
  } else {
    config.fail("listen", "expected \"host:port\", got \"" + listen + "\"");
  }
  auto advertised = config.string("advertised_listener", "");
  if (!advertised.empty()) {
    auto address = parse_host_port(advertised);
    if (!address || address->port == 0) {
      config.fail("advertised_listener", "expected \"host:port\", got \"" + advertised + "\"");
    } else {
      parsed.advertised_host = address->host;
      parsed.advertised_port = address->port;
    }
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
