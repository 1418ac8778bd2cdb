#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/client_process.hpp"
#include "support/junctiond_process.hpp"

namespace junction::testing {

// junctiond with the zeromq transport on three free loopback ports (and, when
// asked, the kafka transport on another, for kcat), data in a fresh folder.
// `broker_toml` is added to the config, `transport_toml` to the zeromq table.
class ZmqTestBroker {
 public:
  struct Options {
    std::string broker_toml{};
    std::string transport_toml{};
    bool with_kafka = false;
  };
  ZmqTestBroker() : ZmqTestBroker(Options{}) {}
  explicit ZmqTestBroker(Options options);

  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return process_->start(timeout);
  }
  int stop() { return process_->stop(); }
  JunctiondProcess& process() { return *process_; }

  std::string router() const { return endpoint(router_port_); }
  std::string publisher() const { return endpoint(publish_port_); }
  std::string puller() const { return endpoint(pull_port_); }
  std::string kafka_bootstrap() const { return "127.0.0.1:" + std::to_string(kafka_port_); }

 private:
  static std::string endpoint(std::uint16_t port) {
    return "tcp://127.0.0.1:" + std::to_string(port);
  }

  TempDir dir_;
  std::uint16_t router_port_;
  std::uint16_t publish_port_;
  std::uint16_t pull_port_;
  std::uint16_t kafka_port_ = 0;
  std::unique_ptr<JunctiondProcess> process_;
};

// A client script from tests/transports/zeromq/clients, run with Debian's
// /usr/bin/python3 (python3-zmq).
CommandOutput run_zmq_client(const std::string& script, const std::vector<std::string>& args,
                             const std::string& input = {},
                             std::chrono::milliseconds timeout = std::chrono::seconds(60));
// The same client left running, for a test to follow or kill.
std::unique_ptr<ClientProcess> start_zmq_client(const std::string& script,
                                                const std::vector<std::string>& args);

}  // namespace junction::testing
