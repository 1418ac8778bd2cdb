#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

namespace junction::zeromq {

// The ROUTER routing frames of one peer: its identity, plus the empty
// delimiter frame when the peer is a REQ socket.
using Envelope = std::vector<std::string>;

// Sends envelope + frames as one message without ever blocking the I/O
// thread; false if the socket would have blocked or the peer is gone.
bool send_frames(zmq::socket_t& socket, const Envelope& envelope,
                 const std::vector<std::string_view>& frames);

// Splits a ROUTER message into envelope and body (views into `message`).
void split_envelope(const std::vector<zmq::message_t>& message, Envelope& envelope,
                    std::vector<std::string_view>& body);

}  // namespace junction::zeromq
