#pragma once

#include <functional>
#include <string>

namespace junction::websocket {

// The sending side of one WebSocket connection, as the protocol sees it.
// Called only on the connection's strand.
class Outbox {
 public:
  // Queues one text message; `on_written` runs once it has been written to
  // the socket (never, if the connection closes first).
  virtual void send(std::string text, std::function<void()> on_written = {}) = 0;
  // The protocol has room for more requests again (a publish was acked).
  virtual void wake_reader() = 0;

 protected:
  ~Outbox() = default;
};

}  // namespace junction::websocket
