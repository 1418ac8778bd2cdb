#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "junction/kernel.hpp"
#include "junction/record.hpp"
#include "junction/result.hpp"
#include "junction/subscription.hpp"

// The inter-broker channel's messages (docs/clustering.md). A frame is a
// 4-byte big-endian length, then a 1-byte message type and the body.
namespace junction::cluster {

inline constexpr std::uint16_t kPeerProtocolVersion = 1;
inline constexpr std::size_t kFrameHeaderSize = 4;
// Bounds what one frame may make a broker allocate: a batch of the largest
// message a topic accepts fits with room to spare.
inline constexpr std::uint32_t kMaxFrameBytes = 64u << 20;

// An error crossing the channel; code absent means success.
struct Status {
  std::optional<Errc> code;
  std::string message;

  static Status of(const Error& error) { return {error.code, error.message}; }
  Error error() const { return Error{code.value_or(Errc::io_error), message}; }
};

struct Hello {
  std::uint16_t version = kPeerProtocolVersion;
  std::int32_t broker_id = 0;
};
struct Produce {
  std::uint64_t correlation = 0;
  std::string topic;
  std::int32_t partition = 0;
  std::string batch;  // one RecordBatch v2
};
struct ProduceResult {
  std::uint64_t correlation = 0;
  Status status;
  ProduceAck ack;
};
struct Subscribe {
  std::uint64_t stream = 0;
  SubscriptionSpec spec;
  std::uint32_t window_records = 0;
  std::uint64_t window_bytes = 0;
};
struct Subscribed {
  std::uint64_t stream = 0;
  Status status;
};
struct DeliveredOnWire {
  std::int32_t partition = 0;
  std::int32_t attempt = 1;
  StoredRecord stored;
};
struct Deliver {
  std::uint64_t stream = 0;
  std::string topic;
  std::vector<DeliveredOnWire> records;
};
enum class SettleKind : std::uint8_t { ack = 0, ack_through = 1, nack = 2, reject = 3 };
struct Settle {
  SettleKind kind = SettleKind::ack;
  std::uint64_t stream = 0;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
};
struct SetWindow {
  std::uint64_t stream = 0;
  std::uint32_t records = 0;
  std::uint64_t bytes = 0;
};
struct Detach {
  std::uint64_t stream = 0;
};
// The leader ended the subscription under the stream (its topic was deleted).
struct Closed {
  std::uint64_t stream = 0;
  Status status;
};
struct DeleteSubscription {
  std::uint64_t correlation = 0;
  std::string topic;
  std::string name;
};
struct DeleteSubscriptionResult {
  std::uint64_t correlation = 0;
  Status status;
};

using PeerMessage =
    std::variant<Hello, Produce, ProduceResult, Subscribe, Subscribed, Deliver, Settle, SetWindow,
                 Detach, Closed, DeleteSubscription, DeleteSubscriptionResult>;

// The whole frame, length prefix included.
std::string encode_frame(const PeerMessage& message);
// A Deliver frame straight from a kernel delivery, without copying records twice.
std::string encode_delivery(std::uint64_t stream, const DeliveryBatch& batch);

// The body length a frame header announces; an error if it is impossible.
Result<std::uint32_t> frame_length(const char* header);
// Decodes one frame's body (type byte first). Any inconsistency is an error.
Result<PeerMessage> decode_frame(std::string_view body);

}  // namespace junction::cluster
