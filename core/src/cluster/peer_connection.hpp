#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cluster/peer_protocol.hpp"

namespace junction::cluster {

// One TCP connection of the inter-broker channel, either direction: Hello
// first both ways, then frames. Every handler runs on the socket's strand.
class PeerConnection : public std::enable_shared_from_this<PeerConnection> {
 public:
  using MessageHandler = std::function<void(PeerMessage)>;
  using ClosedHandler = std::function<void()>;

  // `socket` must run on a strand. `expected_peer`: the broker id the Hello
  // must carry (the client side knows whom it dialed).
  PeerConnection(boost::asio::ip::tcp::socket socket, std::string peer_name);

  void start(std::int32_t self_id, std::optional<std::int32_t> expected_peer,
             MessageHandler on_message, ClosedHandler on_closed);
  // Thread-safe; frames go out in the order send() was called.
  void send(std::string frame);
  // Thread-safe; logs `reason` unless empty.
  void close(std::string reason);

  const std::string& peer_name() const { return peer_name_; }
  std::int32_t peer_id() const { return peer_id_; }
  boost::asio::ip::tcp::socket::executor_type executor() { return socket_.get_executor(); }

 private:
  boost::asio::awaitable<void> read_loop(std::shared_ptr<PeerConnection> self);
  void queue(std::string frame);
  void write_next();
  void close_now(const std::string& reason);

  boost::asio::ip::tcp::socket socket_;
  std::string peer_name_;
  std::int32_t peer_id_ = -1;
  std::optional<std::int32_t> expected_peer_;
  MessageHandler on_message_;
  ClosedHandler on_closed_;
  std::deque<std::string> outbox_;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace junction::cluster
