#include "ws_test_broker.hpp"

namespace junction::testing {

WsTestBroker::WsTestBroker(Options options) : port_(free_port()) {
  std::string config = "[broker]\ndata_dir = \"" + (dir_.path() / "data").string() + "\"\n" +
                       options.broker_toml + "\n[[transport]]\nplugin = \"websocket\"\nlisten = " +
                       "\"127.0.0.1:" + std::to_string(port_) + "\"\n" + options.transport_toml +
                       "\n";
  if (options.with_kafka) {
    do {
      kafka_port_ = free_port();
    } while (kafka_port_ == port_);
    config += "\n[[transport]]\nplugin = \"kafka\"\nlisten = \"" + kafka_bootstrap() + "\"\n";
  }
  process_ = std::make_unique<JunctiondProcess>(dir_.path(), std::move(config));
}

CommandOutput run_ws_client(const std::string& script, const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{"/usr/bin/python3",
                                std::string(JUNCTION_WS_CLIENTS_DIR) + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, {}, timeout);
}

}  // namespace junction::testing
