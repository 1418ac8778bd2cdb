#pragma once

#include <cstdint>
#include <string>

#include "junction/config.hpp"

namespace junction::zeromq {

// The [[transport]] table of plugin "zeromq".
struct ZeromqConfig {
  std::string listen = "tcp://127.0.0.1:5555";   // ROUTER: produce with acks, queue consume
  std::string publish = "tcp://127.0.0.1:5556";  // XPUB: broadcast to SUB sockets
  std::string pull = "tcp://127.0.0.1:5557";     // PULL: fire-and-forget produce
  // Largest record (key + value + headers) a client may send; 0 follows each
  // topic's max_message_bytes.
  std::int64_t max_message_bytes = 0;
  // Messages queued per SUB peer before the XPUB drops that peer's newest.
  int publish_hwm = 100000;
  // A consuming DEALER silent for this long is detached.
  std::uint32_t heartbeat_ms = 10000;
};

// Reads the table; errors are recorded in `config` with file:line:column.
ZeromqConfig parse_zeromq_config(ConfigSection& config);

}  // namespace junction::zeromq
