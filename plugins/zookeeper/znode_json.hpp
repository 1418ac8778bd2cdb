#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "junction/coordinator.hpp"

// The JSON stored in the znodes (docs/plugins/zookeeper.md). Each parser
// accepts exactly its shape: any other key, a missing key or trailing bytes
// make it return nullopt.
namespace junction::zookeeper {

std::string broker_json(const BrokerInfo& broker);
std::optional<BrokerInfo> parse_broker(std::string_view json);

std::string controller_json(std::int32_t broker_id);
std::optional<std::int32_t> parse_controller(std::string_view json);

// The partitions only: the name is the znode's.
std::string topic_json(const TopicMetadata& topic);
std::optional<TopicMetadata> parse_topic(std::string_view name, std::string_view json);

std::string create_request_json(std::int32_t partitions);
std::optional<std::int32_t> parse_create_request(std::string_view json);

}  // namespace junction::zookeeper
