#include "zmq_test_broker.hpp"

#include <set>

namespace junction::testing {
namespace {

std::uint16_t unused_port(std::set<std::uint16_t>& taken) {
  std::uint16_t port;
  do {
    port = free_port();
  } while (!taken.insert(port).second);
  return port;
}

std::vector<std::string> client_argv(const std::string& script,
                                     const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/python3",
                                std::string(JUNCTION_ZMQ_CLIENTS_DIR) + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

ZmqTestBroker::ZmqTestBroker(Options options) {
  std::set<std::uint16_t> taken;
  router_port_ = unused_port(taken);
  publish_port_ = unused_port(taken);
  pull_port_ = unused_port(taken);
  std::string config = "[broker]\ndata_dir = \"" + (dir_.path() / "data").string() + "\"\n" +
                       options.broker_toml + "\n[[transport]]\nplugin = \"zeromq\"\nlisten = \"" +
                       router() + "\"\npublish = \"" + publisher() + "\"\npull = \"" + puller() +
                       "\"\n" + options.transport_toml + "\n";
  if (options.with_kafka) {
    kafka_port_ = unused_port(taken);
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
