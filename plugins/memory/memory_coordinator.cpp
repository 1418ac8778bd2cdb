// Coordination for a single broker: the cluster's truth lives in this
// process. It is the default backend and the model for the others.
#include <mutex>

#include "junction/plugin.hpp"

namespace junction::memory {
namespace {

class MemoryCoordinator final : public Coordinator {
 public:
  explicit MemoryCoordinator(ConfigSection& config) { config.reject_unknown_keys(); }

  Result<void> start(const BrokerInfo& self) override {
    std::lock_guard lock(mutex_);
    self_ = self;
    started_ = true;
    return {};
  }

  void stop() override {
    std::lock_guard lock(mutex_);
    started_ = false;
  }

  bool session_active() const override { return true; }

  std::vector<BrokerInfo> live_brokers() const override {
    std::lock_guard lock(mutex_);
    if (!started_) return {};
    return {self_};
  }

  std::optional<std::int32_t> controller() const override {
    std::lock_guard lock(mutex_);
    if (!started_) return std::nullopt;
    return self_.id;
  }

  Result<TopicMetadata> create_topic(std::string_view name, std::int32_t partitions) override {
    TopicMetadata metadata;
    {
      std::lock_guard lock(mutex_);
      if (topics_.contains(name)) {
        return make_error(Errc::topic_exists, "topic '" + std::string(name) + "' already exists");
      }
      metadata.name = std::string(name);
      for (std::int32_t p = 0; p < partitions; ++p) {
        metadata.partitions.push_back(PartitionAssignment{p, self_.id, 0, {self_.id}, {self_.id}});
      }
      topics_.emplace(metadata.name, metadata);
    }
    notify();
    return metadata;
  }

  Result<void> delete_topic(std::string_view name) override {
    {
      std::lock_guard lock(mutex_);
      auto it = topics_.find(name);
      if (it == topics_.end()) {
        return make_error(Errc::unknown_topic, "topic '" + std::string(name) + "' does not exist");
      }
      topics_.erase(it);
    }
    notify();
    return {};
  }

  std::optional<TopicMetadata> topic(std::string_view name) const override {
    std::lock_guard lock(mutex_);
    auto it = topics_.find(name);
    if (it == topics_.end()) return std::nullopt;
    return it->second;
  }

  std::vector<TopicMetadata> topics() const override {
    std::lock_guard lock(mutex_);
    std::vector<TopicMetadata> all;
    for (const auto& [name, metadata] : topics_) all.push_back(metadata);
    return all;
  }

  void on_change(std::function<void()> callback) override {
    std::lock_guard lock(mutex_);
    on_change_ = std::move(callback);
  }

 private:
  void notify() {
    std::function<void()> callback;
    {
      std::lock_guard lock(mutex_);
      callback = on_change_;
    }
    if (callback) callback();
  }

  mutable std::mutex mutex_;
  BrokerInfo self_;
  bool started_ = false;
  std::map<std::string, TopicMetadata, std::less<>> topics_;
  std::function<void()> on_change_;
};

std::unique_ptr<Coordinator> create(ConfigSection& config) {
  return std::make_unique<MemoryCoordinator>(config);
}

}  // namespace
}  // namespace junction::memory

JUNCTION_COORDINATOR_PLUGIN("memory", "in-process coordination for a single broker",
                            junction::memory::create)
