#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "junction/result.hpp"

namespace junction {

enum class FlushPolicy { interval, always };

// Storage settings of a topic; [topics] in the config gives the defaults.
struct TopicConfig {
  std::int32_t partitions = 1;
  std::int64_t retention_ms = 7LL * 24 * 3600 * 1000;  // -1: keep forever
  std::int64_t retention_bytes = -1;                   // per partition; -1: no limit
  std::int64_t segment_bytes = 1LL << 30;
  std::int64_t segment_ms = 7LL * 24 * 3600 * 1000;
  std::int32_t max_message_bytes = 1048588;  // Kafka's default batch limit
  std::int32_t index_interval_bytes = 4096;
  FlushPolicy flush = FlushPolicy::interval;
  std::int64_t flush_interval_ms = 1000;
};

struct TopicInfo {
  std::string name;
  std::int32_t partitions = 0;
  TopicConfig config;
};

// Kafka's rule, which also keeps names safe as folder names: 1-249 characters
// of [a-zA-Z0-9._-], and neither "." nor "..".
Result<void> validate_topic_name(std::string_view name);

}  // namespace junction
