// The plugin boundary: junctiond loads this library, checks the exported
// info, then calls the factory with the [[transport]] table.
#include "junction/plugin.hpp"
#include "websocket_transport.hpp"

namespace junction::websocket {

std::unique_ptr<Transport> create_websocket_transport(ConfigSection& config) {
  return std::make_unique<WebsocketTransport>(parse_websocket_config(config));
}

}  // namespace junction::websocket

JUNCTION_TRANSPORT_PLUGIN("websocket",
                          "WebSocket JSON protocol (publish, subscribe, ack) and the web console",
                          junction::websocket::create_websocket_transport)
