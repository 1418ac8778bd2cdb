#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/client_process.hpp"
#include "support/junctiond_process.hpp"

namespace junction::testing {

// junctiond with the kafka transport on a free loopback port, data in a
// fresh folder. `broker_toml` is added to the config (say a [topics] table),
// `transport_toml` to the kafka [[transport]] table.
class KafkaTestBroker {
 public:
  explicit KafkaTestBroker(std::string broker_toml = {}, std::string transport_toml = {});

  bool start() { return process_->start(); }
  int stop() { return process_->stop(); }
  void kill_hard() { process_->kill_hard(); }
  JunctiondProcess& process() { return *process_; }

  std::uint16_t port() const { return port_; }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  TempDir dir_;
  std::uint16_t port_;
  std::unique_ptr<JunctiondProcess> process_;
};

// A client script from tests/transports/kafka/clients, run with Debian's
// /usr/bin/python3 (which has python3-confluent-kafka and python3-kafka).
CommandOutput run_python_client(const std::string& script, const std::vector<std::string>& args,
                                const std::string& input = {},
                                std::chrono::milliseconds timeout = std::chrono::seconds(120));

// kcat with `args`; "-b <bootstrap>" comes first.
CommandOutput run_kcat(const std::string& bootstrap, const std::vector<std::string>& args,
                       const std::string& input = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(120));

// A Python client from tests/transports/kafka/clients, run in the background.
std::unique_ptr<ClientProcess> start_python_client(const std::string& script,
                                                   const std::vector<std::string>& args);

}  // namespace junction::testing
