#include "kafka_config.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <string>

namespace junction::kafka {
namespace {

constexpr std::int64_t kMaxInt32 = std::numeric_limits<std::int32_t>::max();

}  // namespace

bool split_host_port(const std::string& text, std::string& host, std::uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  host = text.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned value = 0;
  auto digits = std::string_view(text).substr(colon + 1);
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return !host.empty();
}

KafkaConfig parse_kafka_config(ConfigSection& config) {
  KafkaConfig parsed;
  auto listen = config.string("listen", "127.0.0.1:9092");
  if (!split_host_port(listen, parsed.listen_host, parsed.listen_port)) {
    config.fail("listen", "expected \"host:port\", got \"" + listen + "\"");
  }
  auto advertised = config.string("advertised_listener", "");
  if (!advertised.empty()) {
    std::uint16_t port = 0;
    if (!split_host_port(advertised, parsed.advertised_host, port) || port == 0) {
      config.fail("advertised_listener", "expected \"host:port\", got \"" + advertised + "\"");
    }
    parsed.advertised_port = port;
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
