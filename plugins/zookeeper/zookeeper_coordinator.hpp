#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "cluster_cache.hpp"
#include "controller.hpp"
#include "junction/coordinator.hpp"
#include "junction/log.hpp"
#include "zk_session.hpp"
#include "zookeeper_config.hpp"

namespace junction::zookeeper {

// The cluster's truth kept in ZooKeeper. The client's thread only queues
// events; one worker thread re-reads the state (leaving fresh watches), acts
// as controller when elected, serves the result from a cache and calls the
// change callback. create_topic and delete_topic return once the cache shows
// their result, so the callback (on the worker) must not call them.
class ZooKeeperCoordinator final : public Coordinator {
 public:
  explicit ZooKeeperCoordinator(ZooKeeperConfig config);
  ~ZooKeeperCoordinator() override;

  Result<void> start(const BrokerInfo& self) override;
  void stop() override;
  bool session_active() const override { return active_; }
  std::vector<BrokerInfo> live_brokers() const override { return cache_.live_brokers(); }
  std::optional<std::int32_t> controller() const override { return cache_.controller(); }
  Result<TopicMetadata> create_topic(std::string_view name, std::int32_t partitions) override;
  Result<void> delete_topic(std::string_view name) override;
  std::optional<TopicMetadata> topic(std::string_view name) const override {
    return cache_.topic(name);
  }
  std::vector<TopicMetadata> topics() const override { return cache_.topics(); }
  void on_change(std::function<void()> callback) override { on_change_ = std::move(callback); }

 private:
  struct QueuedEvent {
    std::uint64_t generation;  // of the session that reported it
    SessionEvent event;
  };

  // Opens a session, creates the layout and registers self.
  Result<std::shared_ptr<ZkSession>> join();
  void run();
  void rejoin_after_expiry();
  // Reads the state, runs the election and the controller's duties; true
  // if the cache changed, nullopt if the state could not be read.
  std::optional<bool> refresh(ZkSession& session);
  void notify();
  std::shared_ptr<ZkSession> current_session() const;

  const ZooKeeperConfig config_;
  const Logger log_{"zookeeper"};
  BrokerInfo self_;
  std::function<void()> on_change_;
  ClusterCache cache_;
  std::unique_ptr<Controller> controller_;

  mutable std::mutex session_mutex_;
  std::shared_ptr<ZkSession> session_;
  std::int64_t lost_session_id_ = 0;  // of the session before the current one

  std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::deque<QueuedEvent> queue_;
  std::atomic<std::uint64_t> generation_{0};

  std::atomic<bool> active_{false};
  std::atomic<bool> stopping_{false};
  std::thread worker_;
};

}  // namespace junction::zookeeper
