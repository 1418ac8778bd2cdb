#include "io_loop.hpp"

#include <chrono>
#include <string>
#include <variant>

#include <zmq_addon.hpp>

#include "frame_codec.hpp"

namespace junction::zeromq {
namespace {

using namespace std::chrono_literals;

// Messages read from one socket per poll round: bounds how long one busy
// socket keeps the others waiting, and is the most one kernel append gathers.
constexpr int kReadsPerRound = 2048;
constexpr auto kPollInterval = 100ms;
constexpr auto kTopicRescanInterval = 500ms;
constexpr auto kStopDeadline = 10s;
constexpr int kRouterSendHwm = 100000;
// Time for the last answers to leave when the sockets close.
constexpr int kCloseLingerMs = 200;

template <class... Visitors>
struct Overloaded : Visitors... {
  using Visitors::operator()...;
};

}  // namespace

IoLoop::IoLoop(const ZeromqConfig& config, Kernel& kernel)
    : config_(config),
      kernel_(kernel),
      produce_(
          kernel, mailbox_, config.max_message_bytes,
          [this](const Envelope& peer, const std::vector<std::string_view>& frames) {
            reply(peer, frames);
          },
          log_),
      sessions_(
          kernel, mailbox_, std::chrono::milliseconds(config.heartbeat_ms),
          [this](const Envelope& peer, const std::vector<std::string_view>& frames) {
            return reply(peer, frames);
          },
          log_),
      broadcaster_(kernel, mailbox_, xpub_, log_) {}

IoLoop::~IoLoop() = default;

Result<void> IoLoop::bind() {
  try {
    // A ROUTER drops what a full peer queue cannot take instead of blocking
    // everyone else; credit keeps consumers far below this, and a producer
    // only reaches it by not reading its ACKs.
    router_.set(zmq::sockopt::sndhwm, kRouterSendHwm);
    router_.set(zmq::sockopt::rcvhwm, 100000);
    router_.bind(config_.listen);
    pull_.set(zmq::sockopt::rcvhwm, 100000);
    pull_.bind(config_.pull);
    xpub_.set(zmq::sockopt::sndhwm, config_.publish_hwm);
    xpub_.bind(config_.publish);
  } catch (const zmq::error_t& error) {
    return Error{Errc::io_error, std::string("zeromq: cannot bind: ") + error.what()};
  }
  log_.info() << "ROUTER on " << config_.listen << ", XPUB on " << config_.publish << ", PULL on "
              << config_.pull;
  return {};
}

void IoLoop::request_stop() {
  stopping_ = true;
  mailbox_->post([] {});
}

bool IoLoop::reply(const Envelope& peer, const std::vector<std::string_view>& frames) {
  return send_frames(router_, peer, frames);
}

void IoLoop::run() {
  zmq::pollitem_t items[] = {
      {router_.handle(), 0, ZMQ_POLLIN, 0},
      {pull_.handle(), 0, ZMQ_POLLIN, 0},
      {xpub_.handle(), 0, ZMQ_POLLIN, 0},
      {nullptr, mailbox_->wake_fd(), ZMQ_POLLIN, 0},
  };
  auto next_rescan = std::chrono::steady_clock::now() + kTopicRescanInterval;
  while (!stopping_) {
    zmq::poll(items, 4, kPollInterval);
    if (items[0].revents & ZMQ_POLLIN) read_router();
    if (items[1].revents & ZMQ_POLLIN) read_pull();
    if (items[2].revents & ZMQ_POLLIN) read_xpub();
    produce_.flush();
    if (items[3].revents & ZMQ_POLLIN) mailbox_->run_pending();
    sessions_.detach_silent_peers();
    if (std::chrono::steady_clock::now() >= next_rescan) {
      broadcaster_.rescan();
      next_rescan = std::chrono::steady_clock::now() + kTopicRescanInterval;
    }
  }
  shut_down();
}

void IoLoop::shut_down() {
  // Unacked records go back to the subscription for the next consumer.
  sessions_.detach_all();
  broadcaster_.detach_all();
  const auto deadline = std::chrono::steady_clock::now() + kStopDeadline;
  zmq::pollitem_t wake{nullptr, mailbox_->wake_fd(), ZMQ_POLLIN, 0};
  while (produce_.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    zmq::poll(&wake, 1, 50ms);
    mailbox_->run_pending();
  }
  mailbox_->run_pending();
  if (produce_.in_flight() > 0) {
    log_.warn() << produce_.in_flight() << " appends still unacknowledged at shutdown";
  }
  for (auto* socket : {&router_, &pull_, &xpub_}) {
    socket->set(zmq::sockopt::linger, kCloseLingerMs);
    socket->close();
  }
}

void IoLoop::read_router() {
  std::vector<zmq::message_t> message;
  for (int i = 0; i < kReadsPerRound; ++i) {
    message.clear();
    if (!zmq::recv_multipart(router_, std::back_inserter(message), zmq::recv_flags::dontwait)) {
      return;
    }
    handle_router_message(message);
  }
}

void IoLoop::handle_router_message(const std::vector<zmq::message_t>& message) {
  Envelope peer;
  std::vector<std::string_view> body;
  split_envelope(message, peer, body);
  if (peer.empty()) return;
  sessions_.heard_from(peer);
  auto command = parse_command(body);
  std::visit(Overloaded{
                 [&](ProduceCommand& command) { produce_.add(peer, std::move(command)); },
                 [&](SubscribeCommand& command) { sessions_.subscribe(peer, command); },
                 [&](SettleCommand& command) { sessions_.settle(peer, command); },
                 [&](UnsubscribeCommand& command) { sessions_.unsubscribe(peer, command.topic); },
                 [&](PingCommand&) {
                   reply(peer, {kVersion, "PONG"});
                 },
                 [&](ProtocolError& error) {
                   log_.debug() << "ROUTER: rejected a message: " << error.code << ": "
                                << error.text;
                   reply(peer, {kVersion, "ERR", error.code, error.text});
                 },
             },
             command);
}

void IoLoop::read_pull() {
  std::vector<zmq::message_t> message;
  std::vector<std::string_view> body;
  for (int i = 0; i < kReadsPerRound; ++i) {
    message.clear();
    if (!zmq::recv_multipart(pull_, std::back_inserter(message), zmq::recv_flags::dontwait)) {
      return;
    }
    body.clear();
    for (const auto& frame : message) body.push_back(frame.to_string_view());
    auto command = parse_command(body);
    if (auto* produce = std::get_if<ProduceCommand>(&command)) {
      produce_.add(std::nullopt, std::move(*produce));
    } else if (auto* error = std::get_if<ProtocolError>(&command)) {
      log_.warn() << "PULL: dropped a message: " << error->code << ": " << error->text;
    } else {
      log_.warn() << "PULL: dropped a message: only PUB is accepted here";
    }
  }
}

void IoLoop::read_xpub() {
  zmq::message_t message;
  for (int i = 0; i < kReadsPerRound; ++i) {
    if (!xpub_.recv(message, zmq::recv_flags::dontwait)) return;
    broadcaster_.on_subscription_message(message.to_string_view());
  }
}

}  // namespace junction::zeromq
