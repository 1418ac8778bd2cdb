#include "handlers/topic_config_entries.hpp"

namespace junction::kafka {

std::vector<TopicConfigEntry> topic_config_entries(const TopicConfig& config) {
  auto number = [](std::int64_t value) { return std::to_string(value); };
  const bool always = config.flush == FlushPolicy::always;
  return {
      {"cleanup.policy", "delete", ConfigType::string},
      {"compression.type", "producer", ConfigType::string},
      {"flush.messages", always ? "1" : number(INT64_MAX), ConfigType::long_integer},
      {"flush.ms", always ? "0" : number(config.flush_interval_ms), ConfigType::long_integer},
      {"index.interval.bytes", number(config.index_interval_bytes), ConfigType::integer},
      {"max.message.bytes", number(config.max_message_bytes), ConfigType::integer},
      {"message.timestamp.type", "CreateTime", ConfigType::string},
      {"min.insync.replicas", "1", ConfigType::integer},
      {"retention.bytes", number(config.retention_bytes), ConfigType::long_integer},
      {"retention.ms", number(config.retention_ms), ConfigType::long_integer},
      {"segment.bytes", number(config.segment_bytes), ConfigType::integer},
      {"segment.ms", number(config.segment_ms), ConfigType::long_integer},
  };
}

}  // namespace junction::kafka
