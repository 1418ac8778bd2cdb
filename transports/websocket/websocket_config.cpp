#include "websocket_config.hpp"

namespace junction::websocket {

WebsocketConfig parse_websocket_config(ConfigSection& config) {
  WebsocketConfig parsed;
  auto listen = config.string("listen", "127.0.0.1:8080");
  if (auto address = parse_host_port(listen)) {
    parsed.listen_host = address->host;
    parsed.listen_port = address->port;
  } else {
    config.fail("listen", "expected \"host:port\", got \"" + listen + "\"");
  }
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
