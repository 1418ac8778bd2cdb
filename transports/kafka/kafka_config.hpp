#pragma once

#include <cstdint>
#include <string>

#include "junction/config.hpp"

namespace junction::kafka {

// The [[transport]] table of plugin "kafka".
struct KafkaConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 9092;
  // What Metadata tells clients to connect to; empty means the listen address.
  std::string advertised_host;
  std::int32_t advertised_port = 0;
  // Kafka's socket.request.max.bytes: larger frames close the connection
  // before anything is allocated for them.
  std::int32_t max_request_bytes = 100 * 1024 * 1024;
  int io_threads = 2;
  // Requests read ahead on one connection while earlier ones are pending.
  int max_inflight_requests = 32;
  // Consumer groups, with Kafka's defaults: the session timeouts a member may
  // ask for, and how long the first rebalance of an empty group waits for
  // more members before it assigns partitions.
  std::int32_t group_min_session_timeout_ms = 6000;
  std::int32_t group_max_session_timeout_ms = 1800000;
  std::int32_t group_initial_rebalance_delay_ms = 3000;
};

// Reads the table; errors are recorded in `config` with file:line:column.
KafkaConfig parse_kafka_config(ConfigSection& config);

}  // namespace junction::kafka
