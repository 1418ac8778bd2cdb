#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "junction/topic.hpp"

namespace junction::kafka {

// Kafka's ConfigType numbers, as DescribeConfigs v3 reports them.
enum class ConfigType : std::int8_t { boolean = 1, string = 2, integer = 3, long_integer = 5 };

struct TopicConfigEntry {
  std::string name;  // Kafka's topic config name, e.g. "retention.ms"
  std::string value;
  ConfigType type;
};

// A topic's settings under Kafka's names: what DescribeConfigs lists, and
// what CreateTopics compares requested configs against.
std::vector<TopicConfigEntry> topic_config_entries(const TopicConfig& config);

}  // namespace junction::kafka
