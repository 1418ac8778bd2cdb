#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include <zmq.hpp>

#include "junction/kernel.hpp"
#include "junction/log.hpp"
#include "kernel_mailbox.hpp"
#include "produce_handler.hpp"
#include "queue_sessions.hpp"
#include "xpub_broadcaster.hpp"
#include "zeromq_config.hpp"

namespace junction::zeromq {

// The transport's one I/O thread: owns the ROUTER, PULL and XPUB sockets and
// polls them with the mailbox that kernel callbacks post to.
class IoLoop {
 public:
  IoLoop(const ZeromqConfig& config, Kernel& kernel);
  ~IoLoop();

  // On the starting thread, so bind errors reach start().
  Result<void> bind();
  // The thread body; returns after request_stop() once in-flight produces are answered.
  void run();
  // Any thread.
  void request_stop();

 private:
  void read_router();
  void read_pull();
  void read_xpub();
  void handle_router_message(const std::vector<zmq::message_t>& message);
  bool reply(const Envelope& peer, const std::vector<std::string_view>& frames);
  void shut_down();

  const ZeromqConfig& config_;
  Kernel& kernel_;
  Logger log_{"zeromq"};
  zmq::context_t context_{1};
  zmq::socket_t router_{context_, zmq::socket_type::router};
  zmq::socket_t pull_{context_, zmq::socket_type::pull};
  zmq::socket_t xpub_{context_, zmq::socket_type::xpub};
  std::shared_ptr<KernelMailbox> mailbox_ = std::make_shared<KernelMailbox>();
  ProduceHandler produce_;
  QueueSessions sessions_;
  XpubBroadcaster broadcaster_;
  std::atomic<bool> stopping_{false};
};

}  // namespace junction::zeromq
