#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/client_process.hpp"
#include "support/junctiond_process.hpp"

namespace junction::testing {

// junctiond with the amqp transport on a free loopback port (and, when asked,
// the kafka transport on another, to check what AMQP stored), data in a fresh
// folder. `broker_toml` is added to the config (say a [topics] table),
// `transport_toml` to the amqp [[transport]] table.
class AmqpTestBroker {
 public:
  struct Options {
    std::string broker_toml{};
    std::string transport_toml{};
    bool with_kafka = false;
  };
  AmqpTestBroker() : AmqpTestBroker(Options{}) {}
  explicit AmqpTestBroker(Options options);

  bool start() { return process_->start(); }
  int stop() { return process_->stop(); }
  void kill_hard() { process_->kill_hard(); }
  JunctiondProcess& process() { return *process_; }

  std::uint16_t port() const { return port_; }
  // "amqp://127.0.0.1:<port>", what the python clients take.
  std::string url() const { return "amqp://127.0.0.1:" + std::to_string(port_); }
  std::uint16_t kafka_port() const { return kafka_port_; }
  std::string kafka_bootstrap() const { return "127.0.0.1:" + std::to_string(kafka_port_); }

 private:
  TempDir dir_;
  std::uint16_t port_;
  std::uint16_t kafka_port_ = 0;
  std::unique_ptr<JunctiondProcess> process_;
};

// A client script from tests/transports/amqp/clients, run with Debian's
// /usr/bin/python3 (python3-qpid-proton, python3-confluent-kafka).
CommandOutput run_amqp_client(const std::string& script, const std::vector<std::string>& args,
                              const std::string& input = {},
                              std::chrono::milliseconds timeout = std::chrono::seconds(60));
// The same client left running, for a test to follow, write to or kill.
std::unique_ptr<ClientProcess> start_amqp_client(const std::string& script,
                                                 const std::vector<std::string>& args);

}  // namespace junction::testing
