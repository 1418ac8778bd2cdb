#include "cluster/leadership_view.hpp"

namespace junction::cluster {

void LeadershipView::rebuild(const Coordinator& coordinator) {
  auto fresh = std::make_shared<Snapshot>();
  for (auto& topic : coordinator.topics()) fresh->topics.emplace(topic.name, std::move(topic));
  for (auto& broker : coordinator.live_brokers())
    fresh->brokers.emplace(broker.id, std::move(broker));
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(fresh);
}

void LeadershipView::learn(const TopicMetadata& topic) {
  std::lock_guard lock(mutex_);
  if (snapshot_->topics.contains(topic.name)) return;
  auto fresh = std::make_shared<Snapshot>(*snapshot_);
  fresh->topics.emplace(topic.name, topic);
  snapshot_ = std::move(fresh);
}

void LeadershipView::forget(std::string_view topic) {
  std::lock_guard lock(mutex_);
  auto found = snapshot_->topics.find(topic);
  if (found == snapshot_->topics.end()) return;
  auto fresh = std::make_shared<Snapshot>(*snapshot_);
  fresh->topics.erase(std::string(topic));
  snapshot_ = std::move(fresh);
}

std::shared_ptr<const LeadershipView::Snapshot> LeadershipView::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

Result<PartitionAssignment> LeadershipView::assignment(std::string_view topic,
                                                       std::int32_t partition) const {
  auto view = snapshot();
  auto found = view->topics.find(topic);
  if (found == view->topics.end()) {
    return make_error(Errc::unknown_topic, "topic '" + std::string(topic) + "' does not exist");
  }
  for (const auto& assignment : found->second.partitions) {
    if (assignment.partition == partition) return assignment;
  }
  return make_error(Errc::unknown_partition, "topic '" + std::string(topic) +
                                                 "' has no partition " + std::to_string(partition));
}

std::optional<BrokerInfo> LeadershipView::live_broker(std::int32_t id) const {
  auto view = snapshot();
  auto found = view->brokers.find(id);
  if (found == view->brokers.end()) return std::nullopt;
  return found->second;
}

}  // namespace junction::cluster
