#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "junction/coordinator.hpp"
#include "junction/result.hpp"

namespace junction::cluster {

// A snapshot of the coordinator's topics and live brokers, so the hot paths
// (every produce and ack) read leadership without asking the coordinator.
class LeadershipView {
 public:
  struct Snapshot {
    std::map<std::string, TopicMetadata, std::less<>> topics;
    std::map<std::int32_t, BrokerInfo> brokers;
  };

  // Replaces the snapshot with the coordinator's current state.
  void rebuild(const Coordinator& coordinator);
  // Adds a topic the coordinator just created, before its change arrives.
  void learn(const TopicMetadata& topic);
  // Drops a topic just deleted through the coordinator.
  void forget(std::string_view topic);

  std::shared_ptr<const Snapshot> snapshot() const;
  // unknown_topic / unknown_partition when the view has no such partition.
  Result<PartitionAssignment> assignment(std::string_view topic, std::int32_t partition) const;
  std::optional<BrokerInfo> live_broker(std::int32_t id) const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> snapshot_ = std::make_shared<Snapshot>();
};

}  // namespace junction::cluster
