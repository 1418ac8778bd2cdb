#include "socket_io.hpp"

namespace junction::zeromq {

bool send_frames(zmq::socket_t& socket, const Envelope& envelope,
                 const std::vector<std::string_view>& frames) {
  const std::size_t total = envelope.size() + frames.size();
  std::size_t index = 0;
  auto send_one = [&](std::string_view frame) {
    auto flags = zmq::send_flags::dontwait;
    if (++index < total) flags = flags | zmq::send_flags::sndmore;
    try {
      return socket.send(zmq::buffer(frame.data(), frame.size()), flags).has_value();
    } catch (const zmq::error_t&) {
      return false;  // EHOSTUNREACH and the like: the peer is gone
    }
  };
  for (const auto& frame : envelope) {
    if (!send_one(frame)) return false;
  }
  for (auto frame : frames) {
    if (!send_one(frame)) return false;
  }
  return true;
}

void split_envelope(const std::vector<zmq::message_t>& message, Envelope& envelope,
                    std::vector<std::string_view>& body) {
  envelope.clear();
  body.clear();
  if (message.empty()) return;
  envelope.emplace_back(message[0].to_string_view());
  std::size_t first = 1;
  // A REQ peer puts an empty delimiter before its frames; J1 is never empty.
  if (message.size() > 1 && message[1].size() == 0) {
    envelope.emplace_back();
    first = 2;
  }
  for (std::size_t i = first; i < message.size(); ++i) body.push_back(message[i].to_string_view());
}

}  // namespace junction::zeromq
