#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/client_process.hpp"
#include "support/junctiond_process.hpp"

namespace junction::testing {

// junctiond with the websocket transport on a free loopback port (and, when
// asked, the kafka transport on another, for kcat), data in a fresh folder.
// `broker_toml` is added to the config, `transport_toml` to the websocket table.
class WsTestBroker {
 public:
  struct Options {
    std::string broker_toml{};
    std::string transport_toml{};
    bool with_kafka = false;
  };
  WsTestBroker() : WsTestBroker(Options{}) {}
  explicit WsTestBroker(Options options);

  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return process_->start(timeout);
  }
  int stop() { return process_->stop(); }
  JunctiondProcess& process() { return *process_; }

  std::uint16_t port() const { return port_; }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/ws"; }
  std::string kafka_bootstrap() const { return "127.0.0.1:" + std::to_string(kafka_port_); }

 private:
  TempDir dir_;
  std::uint16_t port_;
  std::uint16_t kafka_port_ = 0;
  std::unique_ptr<JunctiondProcess> process_;
};

// A client script from tests/transports/websocket/clients, run with Debian's
// /usr/bin/python3 (python3-websockets).
CommandOutput run_ws_client(const std::string& script, const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout = std::chrono::seconds(90));

}  // namespace junction::testing
