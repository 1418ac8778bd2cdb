#pragma once

#include <memory>
#include <string>

#include "junction/transport.hpp"
#include "websocket_config.hpp"

namespace junction::websocket {

// WebSocket (JSON messages) and the console's HTTP files on one port: an Asio
// io_context on io_threads threads, one strand per connection.
class WebsocketTransport final : public Transport {
 public:
  explicit WebsocketTransport(WebsocketConfig config);
  ~WebsocketTransport() override;

  Result<void> start(Kernel& kernel, Coordinator& coordinator) override;
  void stop() override;
  std::string advertised_endpoint() const override;

 private:
  struct Running;
  WebsocketConfig config_;
  std::unique_ptr<Running> running_;
};

}  // namespace junction::websocket
