#pragma once

#include <cstdint>
#include <string>

#include "junction/config.hpp"

namespace junction::amqp {

// The [[transport]] table of plugin "amqp".
struct AmqpConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 5672;
  // The largest message a sender may transfer, advertised as the link's
  // max-message-size. 0 follows each topic's max_message_bytes.
  std::int64_t max_message_bytes = 0;
  // The most messages one sender link has in flight (received, not yet
  // acknowledged by the kernel); its credit never goes beyond what is left.
  std::uint32_t max_in_flight_messages = 1000;
  // Our idle-time-out on each connection (AMQP heartbeats); 0 disables it.
  std::uint32_t idle_timeout_ms = 60000;
  int container_threads = 2;
};

// Reads the table; errors are recorded in `config` with file:line:column.
AmqpConfig parse_amqp_config(ConfigSection& config);

}  // namespace junction::amqp
