#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/error_code.hpp"

namespace junction::kafka {

struct BrokerContext;

struct KafkaBroker {
  std::int32_t id = 0;
  std::string host;
  std::int32_t port = 0;
};

struct PartitionLeadership {
  std::int32_t leader = -1;
  std::int32_t leader_epoch = 0;
  std::vector<std::int32_t> replicas;
  std::vector<std::int32_t> in_sync_replicas;
};

// The cluster as Kafka clients see it, built from the coordinator: the live
// brokers with a Kafka listener, and who leads each partition.
std::int32_t self_broker_id(const BrokerContext& context);
// The listener of a live broker, if it has a Kafka one.
std::optional<KafkaBroker> kafka_broker(const BrokerContext& context, std::int32_t broker_id);
std::vector<KafkaBroker> kafka_brokers(const BrokerContext& context);
PartitionLeadership partition_leadership(const BrokerContext& context, std::string_view topic,
                                         std::int32_t partition);

// Kafka clients talk to leaders themselves: a partition led elsewhere gets
// NOT_LEADER_OR_FOLLOWER (LEADER_NOT_AVAILABLE while nobody leads it), so the
// client refreshes its metadata and moves. none for an unknown partition: the
// kernel reports that.
ErrorCode leadership_error(const BrokerContext& context, std::string_view topic,
                           std::int32_t partition);
// Likewise for groups: only the group's coordinator serves its members and
// offsets; the others answer NOT_COORDINATOR.
ErrorCode coordination_error(const BrokerContext& context, std::string_view group);

}  // namespace junction::kafka
