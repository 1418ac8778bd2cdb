#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "junction/record.hpp"
#include "junction/result.hpp"

namespace proton {
class message;
}

namespace junction::amqp {

// The mapping between AMQP messages and records, both directions; the table
// is in docs/transports/amqp.md "Message mapping".

// Message annotations: the key a sender asks to partition by, and what every
// outgoing message carries about its place in the log.
inline constexpr const char* kPartitionKeyAnnotation = "x-opt-partition-key";
inline constexpr const char* kOffsetAnnotation = "x-opt-offset";
inline constexpr const char* kPartitionAnnotation = "x-opt-partition";
inline constexpr const char* kTopicAnnotation = "x-opt-topic";

// Headers that keep AMQP properties with no record field. A non-string id
// keeps its type in the header name, so it comes back out as it went in.
inline constexpr std::string_view kReservedHeaderPrefix = "amqp-";
inline constexpr const char* kMessageIdHeader = "amqp-message-id";
inline constexpr const char* kCorrelationIdHeader = "amqp-correlation-id";
inline constexpr const char* kContentTypeHeader = "amqp-content-type";
inline constexpr const char* kUlongIdSuffix = "-ulong";
inline constexpr const char* kUuidIdSuffix = "-uuid";
inline constexpr const char* kBinaryIdSuffix = "-binary";

// Fills `record` (cleared first) from an incoming message. Fails with
// unsupported_format for a body that is not data, an amqp-value string,
// binary or null, or an amqp-sequence.
Result<void> message_to_record(const proton::message& message, Record& record);

// Fills `message` (cleared first) with a stored record for a receiver.
void record_to_message(std::string_view topic, std::int32_t partition, const StoredRecord& stored,
                       proton::message& message);

// The message record_to_message describes, with the header's delivery-count
// when not 0, encoded straight into `out` (cleared first): what a receiver
// link sends, without building a proton::message per record.
void encode_record_message(std::string_view topic, std::int32_t partition,
                           const StoredRecord& stored, std::uint32_t delivery_count,
                           std::string& out);

// Bytes the record takes in a batch, for the size limit before producing.
std::size_t record_payload_bytes(const Record& record);

}  // namespace junction::amqp
