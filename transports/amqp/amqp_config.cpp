#include "amqp_config.hpp"

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace junction::amqp {
namespace {

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

}  // namespace

AmqpConfig parse_amqp_config(ConfigSection& config) {
  AmqpConfig parsed;
  auto listen = config.string("listen", "127.0.0.1:5672");
  if (!split_host_port(listen, parsed.listen_host, parsed.listen_port)) {
    config.fail("listen", "expected \"host:port\", got \"" + listen + "\"");
  }
  parsed.max_message_bytes =
      config.integer("max_message_bytes", parsed.max_message_bytes, 0, std::int64_t{1} << 30);
  parsed.max_in_flight_messages = static_cast<std::uint32_t>(
      config.integer("max_in_flight_messages", parsed.max_in_flight_messages, 1, 1000000));
  parsed.idle_timeout_ms = static_cast<std::uint32_t>(
      config.integer("idle_timeout_ms", parsed.idle_timeout_ms, 0, 3600 * 1000));
  parsed.container_threads =
      static_cast<int>(config.integer("container_threads", parsed.container_threads, 1, 64));
  config.reject_unknown_keys();
  return parsed;
}

}  // namespace junction::amqp
