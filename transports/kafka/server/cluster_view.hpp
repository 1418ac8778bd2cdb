#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
std::vector<KafkaBroker> kafka_brokers(const BrokerContext& context);
PartitionLeadership partition_leadership(const BrokerContext& context, std::string_view topic,
                                         std::int32_t partition);

}  // namespace junction::kafka
