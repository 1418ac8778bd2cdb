#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "junction/record.hpp"
#include "junction/subscription.hpp"

// The J1 wire protocol (docs/transports/zeromq.md): client commands parsed
// from multipart frames, replies and deliveries built as frames.
namespace junction::zeromq {

inline constexpr std::string_view kVersion = "J1";

struct ProduceCommand {
  std::string topic;
  Record record;
};

struct SubscribeCommand {
  std::string topic;
  std::string group;
  std::uint32_t credit = 0;
  StartPosition start;
};

struct SettleCommand {
  bool ack = true;  // false: NACK
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
};

struct UnsubscribeCommand {
  std::string topic;
};

struct PingCommand {};

// A command the broker cannot accept; `code` is one of the documented codes.
struct ProtocolError {
  std::string code;
  std::string text;
};

using Command = std::variant<ProduceCommand, SubscribeCommand, SettleCommand, UnsubscribeCommand,
                             PingCommand, ProtocolError>;

// `frames` is the message after any ROUTER envelope.
Command parse_command(const std::vector<std::string_view>& frames);

// Error codes of [J1, ERR, code, text] that do not come from the kernel.
namespace codes {
inline constexpr const char* bad_version = "bad_version";
inline constexpr const char* unknown_command = "unknown_command";
inline constexpr const char* bad_request = "bad_request";
inline constexpr const char* record_too_large = "record_too_large";
inline constexpr const char* not_subscribed = "not_subscribed";
}  // namespace codes

// The ERR code for a kernel error, e.g. Errc::unknown_topic -> "unknown_topic".
const char* error_code(Errc code);

// Decimal ASCII, the only number format on the wire.
std::string decimal(std::int64_t value);

// Appends [key, value, (name, value)*] as the tail of MSG and broadcast frames;
// a missing key or value travels as an empty frame.
void append_record_frames(const Record& record, std::vector<std::string_view>& frames);

}  // namespace junction::zeromq
