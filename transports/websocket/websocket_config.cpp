#include "websocket_config.hpp"

namespace junction::websocket {

WebsocketConfig parse_websocket_config(ConfigSection& config) {
  WebsocketConfig parsed;
  const auto listen = config.host_port("listen", {parsed.listen_host, parsed.listen_port});
  parsed.listen_host = listen.host;
  parsed.listen_port = listen.port;
  parsed.max_message_bytes = static_cast<std::uint64_t>(config.integer(
      "max_message_bytes", static_cast<std::int64_t>(parsed.max_message_bytes), 1024, 1LL << 30));
  parsed.allowed_origins = config.strings("allowed_origins", {});
  parsed.auth_token = config.string("auth_token", "");
  parsed.ping_interval_ms = static_cast<std::uint32_t>(
      config.integer("ping_interval_ms", parsed.ping_interval_ms, 0, 3600 * 1000));
  parsed.console_dir = config.string("console_dir", "");
  parsed.io_threads = static_cast<int>(config.integer("io_threads", parsed.io_threads, 1, 64));
  config.reject_unknown_keys();
  return parsed;
}

}  // namespace junction::websocket
