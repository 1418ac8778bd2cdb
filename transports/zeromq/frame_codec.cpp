#include "frame_codec.hpp"

#include <charconv>

#include "junction/result.hpp"

namespace junction::zeromq {
namespace {

template <class Integer>
bool parse_decimal(std::string_view text, Integer& value) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

ProtocolError bad_request(std::string text) { return {codes::bad_request, std::move(text)}; }

std::string frame_count_text(std::string_view command, std::size_t got, std::string_view wanted) {
  return std::string(command) + " takes " + std::string(wanted) + " frames, got " +
         std::to_string(got);
}

Command parse_produce(const std::vector<std::string_view>& frames) {
  if (frames.size() < 5 || frames.size() % 2 == 0) {
    return bad_request(frame_count_text("PUB", frames.size(),
                                        "[J1, PUB, topic, key, value, (name, value)*]: 5 + 2n"));
  }
  ProduceCommand command;
  command.topic = frames[2];
  if (command.topic.empty()) return bad_request("PUB: empty topic");
  if (!frames[3].empty()) command.record.key = std::string(frames[3]);
  command.record.value = std::string(frames[4]);
  for (std::size_t i = 5; i < frames.size(); i += 2) {
    command.record.headers.push_back({std::string(frames[i]), std::string(frames[i + 1])});
  }
  return command;
}

Command parse_subscribe(const std::vector<std::string_view>& frames) {
  if (frames.size() != 6) {
    return bad_request(
        frame_count_text("SUB", frames.size(), "[J1, SUB, topic, group, credit, start]: 6"));
  }
  SubscribeCommand command;
  command.topic = frames[2];
  command.group = frames[3];
  if (command.topic.empty() || command.group.empty()) {
    return bad_request("SUB: topic and group must not be empty");
  }
  if (!parse_decimal(frames[4], command.credit) || command.credit == 0) {
    return bad_request("SUB: credit must be a positive decimal number");
  }
  auto start = frames[5];
  std::int64_t offset = 0;
  if (start == "earliest") {
    command.start = StartPosition::earliest();
  } else if (start == "latest") {
    command.start = StartPosition::latest();
  } else if (parse_decimal(start, offset) && offset >= 0) {
    command.start = StartPosition::at_offset(offset);
  } else {
    return bad_request("SUB: start must be earliest, latest or a decimal offset");
  }
  return command;
}

Command parse_settle(const std::vector<std::string_view>& frames, bool ack) {
  const char* name = ack ? "ACK" : "NACK";
  if (frames.size() != 5) {
    return bad_request(
        frame_count_text(name, frames.size(), "[J1, ACK|NACK, topic, partition, offset]: 5"));
  }
  SettleCommand command{ack, std::string(frames[2])};
  if (!parse_decimal(frames[3], command.partition) || !parse_decimal(frames[4], command.offset)) {
    return bad_request(std::string(name) + ": partition and offset must be decimal numbers");
  }
  return command;
}

}  // namespace

Command parse_command(const std::vector<std::string_view>& frames) {
  if (frames.empty() || frames[0] != kVersion) {
    return ProtocolError{codes::bad_version, "the first frame must be the protocol version J1"};
  }
  if (frames.size() < 2) return bad_request("no command frame after J1");
  auto name = frames[1];
  if (name == "PUB") return parse_produce(frames);
  if (name == "SUB") return parse_subscribe(frames);
  if (name == "ACK") return parse_settle(frames, true);
  if (name == "NACK") return parse_settle(frames, false);
  if (name == "UNSUB") {
    if (frames.size() != 3) {
      return bad_request(frame_count_text("UNSUB", frames.size(), "[J1, UNSUB, topic]: 3"));
    }
    return UnsubscribeCommand{std::string(frames[2])};
  }
  if (name == "PING") {
    if (frames.size() != 2) return bad_request(frame_count_text("PING", frames.size(), "2"));
    return PingCommand{};
  }
  return ProtocolError{codes::unknown_command, "unknown command \"" + std::string(name) + "\""};
}

const char* error_code(Errc code) {
  switch (code) {
    case Errc::record_too_large:
      return codes::record_too_large;
    case Errc::unknown_topic:
      return "unknown_topic";
    case Errc::unknown_partition:
      return "unknown_partition";
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::offset_out_of_range:
      return "offset_out_of_range";
    case Errc::timeout:
      return "timeout";
    case Errc::shutting_down:
      return "shutting_down";
    default:
      return "internal_error";
  }
}

std::string decimal(std::int64_t value) { return std::to_string(value); }

void append_record_frames(const Record& record, std::vector<std::string_view>& frames) {
  frames.push_back(record.key ? std::string_view(*record.key) : std::string_view());
  frames.push_back(record.value ? std::string_view(*record.value) : std::string_view());
  for (const auto& header : record.headers) {
    frames.push_back(header.key);
    frames.push_back(header.value ? std::string_view(*header.value) : std::string_view());
  }
}

}  // namespace junction::zeromq
