#include "amqp_config.hpp"

#include <cstdint>
#include <string>

namespace junction::amqp {

AmqpConfig parse_amqp_config(ConfigSection& config) {
  AmqpConfig parsed;
  const auto listen = config.host_port("listen", {parsed.listen_host, parsed.listen_port});
  parsed.listen_host = listen.host;
  parsed.listen_port = listen.port;
  parsed.max_message_bytes =
      config.integer("max_message_bytes", parsed.max_message_bytes, 0, std::int64_t{1} << 30);
  parsed.max_in_flight_messages = static_cast<std::uint32_t>(
      config.integer("max_in_flight_messages", parsed.max_in_flight_messages, 1, 1000000));
  parsed.idle_timeout_ms = static_cast<std::uint32_t>(
      config.integer("idle_timeout_ms", parsed.idle_timeout_ms, 0, 3600 * 1000));
  parsed.container_threads =
      static_cast<int>(config.integer("container_threads", parsed.container_threads, 1, 64));
  parsed.sasl = parse_sasl_config(config);
  config.reject_unknown_keys();
  return parsed;
}

}  // namespace junction::amqp
