#include "server/cluster_view.hpp"

#include "junction/coordinator.hpp"
#include "server/broker_context.hpp"

namespace junction::kafka {

namespace {

std::string own_endpoint(const BrokerContext& context) {
  return context.advertised_host + ":" + std::to_string(context.advertised_port);
}

}  // namespace

std::int32_t self_broker_id(const BrokerContext& context) {
  const auto endpoint = own_endpoint(context);
  for (const auto& broker : context.coordinator.live_brokers())
    for (const auto& [name, address] : broker.endpoints)
      if (address == endpoint) return broker.id;
  return 0;
}

std::vector<KafkaBroker> kafka_brokers(const BrokerContext& context) {
  std::vector<KafkaBroker> brokers;
  for (const auto& broker : context.coordinator.live_brokers()) {
    auto it = broker.endpoints.find("kafka");
    if (it == broker.endpoints.end()) continue;
    KafkaBroker kafka{broker.id, {}, 0};
    auto colon = it->second.rfind(':');
    if (colon == std::string::npos) continue;
    kafka.host = it->second.substr(0, colon);
    kafka.port = std::stoi(it->second.substr(colon + 1));
    brokers.push_back(std::move(kafka));
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

}  // namespace junction::kafka
