#include "server/cluster_view.hpp"

#include "junction/config.hpp"
#include "junction/coordinator.hpp"
#include "junction/kernel.hpp"
#include "server/broker_context.hpp"

namespace junction::kafka {

namespace {

std::optional<KafkaBroker> kafka_listener(const BrokerInfo& broker) {
  auto it = broker.endpoints.find("kafka");
  if (it == broker.endpoints.end()) return std::nullopt;
  auto address = parse_host_port(it->second);
  if (!address) return std::nullopt;
  return KafkaBroker{broker.id, address->host, address->port};
}

}  // namespace

std::int32_t self_broker_id(const BrokerContext& context) { return context.kernel.broker_id(); }

std::optional<KafkaBroker> kafka_broker(const BrokerContext& context, std::int32_t broker_id) {
  if (broker_id == self_broker_id(context)) {
    return KafkaBroker{broker_id, context.advertised_host, context.advertised_port};
  }
  for (const auto& broker : context.coordinator.live_brokers())
    if (broker.id == broker_id) return kafka_listener(broker);
  return std::nullopt;
}

std::vector<KafkaBroker> kafka_brokers(const BrokerContext& context) {
  std::vector<KafkaBroker> brokers;
  for (const auto& broker : context.coordinator.live_brokers()) {
    if (auto kafka = kafka_listener(broker)) brokers.push_back(std::move(*kafka));
  }
  if (brokers.empty()) {
    // Not yet registered (the coordinator joins after transports start).
    brokers.push_back({self_broker_id(context), context.advertised_host, context.advertised_port});
  }
  return brokers;
}

PartitionLeadership partition_leadership(const BrokerContext& context, std::string_view topic,
                                         std::int32_t partition) {
  if (auto metadata = context.coordinator.topic(topic)) {
    for (const auto& assignment : metadata->partitions) {
      if (assignment.partition != partition) continue;
      return {assignment.leader, assignment.leader_epoch, assignment.replicas,
              assignment.in_sync_replicas};
    }
  }
  const auto self = self_broker_id(context);
  return {self, 0, {self}, {self}};
}

ErrorCode leadership_error(const BrokerContext& context, std::string_view topic,
                           std::int32_t partition) {
  auto leader = context.kernel.partition_leader(topic, partition);
  if (!leader || leader->local) return ErrorCode::none;
  return leader->broker_id < 0 ? ErrorCode::leader_not_available
                               : ErrorCode::not_leader_or_follower;
}

ErrorCode coordination_error(const BrokerContext& context, std::string_view group) {
  auto coordinator = context.kernel.group_coordinator(group);
  if (!coordinator) return ErrorCode::coordinator_not_available;
  return *coordinator == self_broker_id(context) ? ErrorCode::none : ErrorCode::not_coordinator;
}

}  // namespace junction::kafka
