#include "zeromq_config.hpp"

#include <string_view>

namespace junction::zeromq {
namespace {

// Catches typos at startup rather than at bind time; zmq_bind has the last word.
void require_endpoint(ConfigSection& config, std::string_view key, const std::string& value) {
  auto separator = value.find("://");
  if (separator == std::string::npos || separator == 0 || separator + 3 == value.size()) {
    config.fail(key,
                "expected a ZeroMQ endpoint like \"tcp://127.0.0.1:5555\", got \"" + value + "\"");
  }
}

}  // namespace

ZeromqConfig parse_zeromq_config(ConfigSection& config) {
  ZeromqConfig parsed;
  parsed.listen = config.string("listen", parsed.listen);
  require_endpoint(config, "listen", parsed.listen);
  parsed.publish = config.string("publish", parsed.publish);
  require_endpoint(config, "publish", parsed.publish);
  parsed.pull = config.string("pull", parsed.pull);
  require_endpoint(config, "pull", parsed.pull);
  parsed.max_message_bytes =
      config.integer("max_message_bytes", parsed.max_message_bytes, 0, std::int64_t{1} << 30);
  parsed.publish_hwm =
      static_cast<int>(config.integer("publish_hwm", parsed.publish_hwm, 1, 100000000));
  parsed.heartbeat_ms = static_cast<std::uint32_t>(
      config.integer("heartbeat_ms", parsed.heartbeat_ms, 100, 3600 * 1000));
  config.reject_unknown_keys();
  return parsed;
}

}  // namespace junction::zeromq
