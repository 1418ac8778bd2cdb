#include "zmq_test_broker.hpp"

namespace junction::testing {
namespace {

std::vector<std::string> client_argv(const std::string& script,
                                     const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/python3",
                                std::string(JUNCTION_ZMQ_CLIENTS_DIR) + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

ZmqTestBroker::ZmqTestBroker(Options options) {
  router_port_ = free_port();
  publish_port_ = free_port();
  pull_port_ = free_port();
  std::string config = "[broker]\ndata_dir = \"" + (dir_.path() / "data").string() + "\"\n" +
                       options.broker_toml + "\n[[transport]]\nplugin = \"zeromq\"\nlisten = \"" +
                       router() + "\"\npublish = \"" + publisher() + "\"\npull = \"" + puller() +
                       "\"\n" + options.transport_toml + "\n";
  if (options.with_kafka) {
    kafka_port_ = free_port();
    config += "\n[[transport]]\nplugin = \"kafka\"\nlisten = \"" + kafka_bootstrap() + "\"\n";
  }
  process_ = std::make_unique<JunctiondProcess>(dir_.path(), std::move(config));
}

CommandOutput run_zmq_client(const std::string& script, const std::vector<std::string>& args,
                             const std::string& input, std::chrono::milliseconds timeout) {
  return run_command(client_argv(script, args), input, timeout);
}

std::unique_ptr<ClientProcess> start_zmq_client(const std::string& script,
                                                const std::vector<std::string>& args) {
  return std::make_unique<ClientProcess>(client_argv(script, args));
}

}  // namespace junction::testing
