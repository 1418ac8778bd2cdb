#include "shared_coordinator.hpp"

#include <algorithm>

namespace junction::testing {

std::shared_ptr<SharedCoordinator> SharedCluster::member() {
  auto member = std::make_shared<SharedCoordinator>(shared_from_this());
  std::lock_guard lock(mutex_);
  members_.push_back(member);
  return member;
}

void SharedCluster::kill(std::int32_t broker) {
  {
    std::lock_guard lock(mutex_);
    alive_[broker] = false;
    for (auto& [name, topic] : topics_) {
      for (auto& partition : topic.partitions) {
        if (partition.leader != broker) continue;
        partition.leader = -1;
        ++partition.leader_epoch;
      }
    }
  }
  changed();
}

void SharedCluster::revive(std::int32_t broker) {
  {
    std::lock_guard lock(mutex_);
    alive_[broker] = true;
    for (auto& [name, topic] : topics_) {
      for (auto& partition : topic.partitions) {
        if (partition.leader != -1 ||
            std::ranges::find(partition.replicas, broker) == partition.replicas.end())
          continue;
        partition.leader = broker;
        ++partition.leader_epoch;
      }
    }
  }
  changed();
}

void SharedCluster::changed() {
  std::vector<std::shared_ptr<SharedCoordinator>> members;
  {
    std::lock_guard lock(mutex_);
    for (auto& weak : members_) {
      if (auto member = weak.lock()) members.push_back(std::move(member));
    }
  }
  for (auto& member : members) member->notify();
}

SharedCoordinator::SharedCoordinator(std::shared_ptr<SharedCluster> cluster)
    : cluster_(std::move(cluster)), notifier_([this] { run_notifications(); }) {}

SharedCoordinator::~SharedCoordinator() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  notifier_.join();
}

void SharedCoordinator::run_notifications() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return pending_ || stopping_; });
    if (stopping_) return;
    pending_ = false;
    running_ = true;
    auto callback = callback_;
    lock.unlock();
    if (callback) callback();
    lock.lock();
    running_ = false;
    idle_.notify_all();
  }
}

void SharedCoordinator::notify() {
  {
    std::lock_guard lock(mutex_);
    pending_ = true;
  }
  wake_.notify_all();
}

void SharedCoordinator::on_change(std::function<void()> callback) {
  std::unique_lock lock(mutex_);
  callback_ = std::move(callback);
  if (std::this_thread::get_id() != notifier_.get_id())
    idle_.wait(lock, [this] { return !running_; });
}

Result<void> SharedCoordinator::start(const BrokerInfo& self) {
  {
    std::lock_guard lock(cluster_->mutex_);
    if (cluster_->alive_[self.id] && cluster_->registered_.contains(self.id)) {
      return make_error(Errc::invalid_config,
                        "broker id " + std::to_string(self.id) + " is already registered");
    }
    cluster_->registered_[self.id] = self;
    cluster_->alive_[self.id] = true;
    self_ = self.id;
  }
  cluster_->changed();
  return {};
}

void SharedCoordinator::stop() {
  if (self_ < 0) return;
  {
    std::lock_guard lock(cluster_->mutex_);
    cluster_->alive_[self_] = false;
  }
  cluster_->changed();
}

bool SharedCoordinator::session_active() const { return true; }

std::vector<BrokerInfo> SharedCoordinator::live_brokers() const {
  std::lock_guard lock(cluster_->mutex_);
  std::vector<BrokerInfo> live;
  for (const auto& [id, info] : cluster_->registered_) {
    if (cluster_->alive_[id]) live.push_back(info);
  }
  return live;
}

std::optional<std::int32_t> SharedCoordinator::controller() const {
  auto live = live_brokers();
  if (live.empty()) return std::nullopt;
  return live.front().id;
}

Result<TopicMetadata> SharedCoordinator::create_topic(std::string_view name,
                                                      std::int32_t partitions) {
  TopicMetadata created;
  {
    std::lock_guard lock(cluster_->mutex_);
    if (cluster_->topics_.contains(name)) {
      return make_error(Errc::topic_exists, "topic '" + std::string(name) + "' already exists");
    }
    std::vector<std::int32_t> live;
    for (const auto& [id, alive] : cluster_->alive_) {
      if (alive) live.push_back(id);
    }
    if (live.empty()) return make_error(Errc::leader_not_available, "no live broker");
    created.name = std::string(name);
    for (std::int32_t p = 0; p < partitions; ++p) {
      const auto leader = live[std::size_t(cluster_->rotation_ + p) % live.size()];
      created.partitions.push_back({p, leader, 0, {leader}, {leader}});
    }
    ++cluster_->rotation_;
    cluster_->topics_.emplace(created.name, created);
  }
  cluster_->changed();
  return created;
}

Result<void> SharedCoordinator::delete_topic(std::string_view name) {
  {
    std::lock_guard lock(cluster_->mutex_);
    auto found = cluster_->topics_.find(name);
    if (found == cluster_->topics_.end()) {
      return make_error(Errc::unknown_topic, "topic '" + std::string(name) + "' does not exist");
    }
    cluster_->topics_.erase(found);
  }
  cluster_->changed();
  return {};
}

std::optional<TopicMetadata> SharedCoordinator::topic(std::string_view name) const {
  std::lock_guard lock(cluster_->mutex_);
  auto found = cluster_->topics_.find(name);
  if (found == cluster_->topics_.end()) return std::nullopt;
  return found->second;
}

std::vector<TopicMetadata> SharedCoordinator::topics() const {
  std::lock_guard lock(cluster_->mutex_);
  std::vector<TopicMetadata> all;
  for (const auto& [name, topic] : cluster_->topics_) all.push_back(topic);
  return all;
}

}  // namespace junction::testing
