#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/handler.hpp"

namespace junction::kafka {

struct BrokerContext;
class SessionRegistry;

// One client connection. Requests are read ahead (pipelined, up to
// max_inflight_requests), each handed to its handler at once, and answered
// strictly in request order. Everything runs on the socket's strand; handler
// answers arriving from other threads are posted onto it.
class Session final : public ResponseSink, public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, BrokerContext& context, SessionRegistry& registry);
  ~Session() override;

  void start();
  // Closes the connection from any thread; pending answers are dropped.
  void close(std::string reason);

  void complete(std::uint64_t slot, std::optional<std::string> body) override;
  void reject(std::uint64_t slot, std::string reason) override;
  void on_abandon(std::uint64_t slot, std::function<void()> cancel) override;

 private:
  struct Slot {
    bool done = false;
    char header[9] = {};  // size, correlation id and, for flexible versions, no tags
    std::size_t header_size = 0;
    std::optional<std::string> body;
    std::vector<std::function<void()>> abandon;
  };

  boost::asio::awaitable<void> read_loop(std::shared_ptr<Session> self);
  boost::asio::awaitable<void> fill(std::size_t bytes);
  void dispatch(std::string_view frame);
  Slot* find_slot(std::uint64_t id);
  void write_completed();
  boost::asio::awaitable<void> write_loop(std::shared_ptr<Session> self);
  void close_now(const std::string& reason);

  boost::asio::ip::tcp::socket socket_;
  BrokerContext& context_;
  SessionRegistry& registry_;
  std::string peer_;

  std::vector<char> input_;
  std::size_t input_begin_ = 0;
  std::size_t input_end_ = 0;

  std::deque<Slot> slots_;
  std::uint64_t first_slot_id_ = 0;
  boost::asio::steady_timer slot_freed_;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace junction::kafka
