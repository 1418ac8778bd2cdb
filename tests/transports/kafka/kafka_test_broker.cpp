#include "kafka_test_broker.hpp"

namespace junction::testing {

KafkaTestBroker::KafkaTestBroker(std::string broker_toml, std::string transport_toml)
    : port_(free_port()) {
  std::string config =
      "[broker]\ndata_dir = \"" + (dir_.path() / "data").string() + "\"\n" + broker_toml +
      "\n[[transport]]\nplugin = \"kafka\"\nlisten = \"127.0.0.1:" + std::to_string(port_) +
      "\"\n" + transport_toml + "\n";
  process_ = std::make_unique<JunctiondProcess>(dir_.path(), std::move(config));
}

CommandOutput run_python_client(const std::string& script, const std::vector<std::string>& args,
                                const std::string& input, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{"/usr/bin/python3",
                                std::string(JUNCTION_KAFKA_CLIENTS_DIR) + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, input, timeout);
}

CommandOutput run_kcat(const std::string& bootstrap, const std::vector<std::string>& args,
                       const std::string& input, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{"kcat", "-b", bootstrap};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, input, timeout);
}

std::unique_ptr<ClientProcess> start_python_client(const std::string& script,
                                                   const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/python3",
                                std::string(JUNCTION_KAFKA_CLIENTS_DIR) + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<ClientProcess>(argv);
}

}  // namespace junction::testing
