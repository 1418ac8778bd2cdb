#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "junction/config.hpp"

namespace junction::websocket {

// The [[transport]] table of plugin "websocket".
struct WebsocketConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  // Largest WebSocket message (after inflation) a client may send; larger
  // ones close the connection with 1009.
  std::uint64_t max_message_bytes = 1u << 20;
  // Origin header values allowed to upgrade; empty allows any.
  std::vector<std::string> allowed_origins;
  // When set, the upgrade needs "Authorization: Bearer <auth_token>".
  std::string auth_token;
  // Pings an idle connection this often; one silent for two intervals is
  // closed. 0 turns keep-alive off.
  std::uint32_t ping_interval_ms = 15000;
  // The console's static files; empty: websocket-console next to the plugin.
  std::string console_dir;
  int io_threads = 2;
};

// Reads the table; errors are recorded in `config` with file:line:column.
WebsocketConfig parse_websocket_config(ConfigSection& config);

}  // namespace junction::websocket
