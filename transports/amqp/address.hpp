#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "junction/kernel.hpp"
#include "junction/result.hpp"
#include "junction/subscription.hpp"

namespace proton {
class sender;
}

namespace junction::amqp {

// Address syntax (docs/transports/amqp.md "Addresses"):
//   topic            a topic; senders produce to the partition the key picks,
//                    receivers are broadcast subscribers
//   topic/N          partition N of the topic, for senders
//   topic::group     group `group` of the topic (queue mode), for receivers
struct ProduceTarget {
  std::string topic;
  std::int32_t partition = kAnyPartition;
};
struct ConsumeSource {
  std::string topic;
  std::string group;  // empty: a private broadcast subscriber
};

// Errors are invalid_argument, reported as amqp:invalid-field.
Result<ProduceTarget> parse_target_address(std::string_view address);
Result<ConsumeSource> parse_source_address(std::string_view address);

// Where a receiver starts, and key_shared, come from entries of the source's
// filter set or from link properties (the filter wins when both are given).
// Values may be plain or described.
inline constexpr const char* kStartOption = "x-opt-start";
inline constexpr const char* kKeySharedOption = "x-opt-key-shared";

// "earliest" | "latest" | "offset:N" | "timestamp:MS"
Result<StartPosition> parse_start_position(std::string_view text);

// The subscription a receiver attaching to the broker's `link` asks for: its
// source address, x-opt-start and x-opt-key-shared.
Result<SubscriptionSpec> subscription_for(const proton::sender& link);

}  // namespace junction::amqp
