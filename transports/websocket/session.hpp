#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <memory>

#include "callback_gate.hpp"
#include "connection_executor.hpp"
#include "junction/kernel.hpp"
#include "websocket_config.hpp"

namespace junction::websocket {

class SessionRegistry;

// What every connection shares; owned by the running transport.
struct SessionContext {
  Kernel& kernel;
  const WebsocketConfig& config;
  std::filesystem::path console_dir;
  std::shared_ptr<CallbackGate> gate;
  SessionRegistry& registry;
};

// One TCP connection: HTTP requests (console files, /api/topics) until a GET
// /ws upgrades it to a WebSocket carrying the JSON protocol. All its work runs
// on the strand that is its socket's executor.
class Session : public std::enable_shared_from_this<Session> {
 public:
  static std::shared_ptr<Session> create(ConnectionSocket socket, SessionContext& context);
  virtual ~Session() = default;
  // Starts serving; the session keeps itself alive while the peer is there.
  virtual void start() = 0;
  // From any thread: a WebSocket gets close code 1001 after what is queued.
  virtual void shut_down() = 0;
};

}  // namespace junction::websocket
