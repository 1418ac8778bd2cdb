#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "junction/coordinator.hpp"

namespace junction::testing {

class SharedCoordinator;

// The cluster state several in-process brokers share: what ZooKeeper holds
// for real brokers. Assignment is round robin over live brokers by id from a
// rotating start; kill() and revive() move leadership as the controller would.
class SharedCluster : public std::enable_shared_from_this<SharedCluster> {
 public:
  std::shared_ptr<SharedCoordinator> member();

  // The broker is gone: its partitions get leader -1 and a new epoch.
  void kill(std::int32_t broker);
  // The broker is back: partitions it holds a replica of and that have no
  // leader get it back, with a new epoch.
  void revive(std::int32_t broker);

 private:
  friend class SharedCoordinator;
  void changed();

  mutable std::mutex mutex_;
  std::map<std::int32_t, BrokerInfo> registered_;
  std::map<std::int32_t, bool> alive_;
  std::map<std::string, TopicMetadata, std::less<>> topics_;
  std::int32_t rotation_ = 0;
  std::vector<std::weak_ptr<SharedCoordinator>> members_;
};

// One broker's view of a SharedCluster. on_change runs on this member's own
// thread, coalescing changes that arrive while it runs.
class SharedCoordinator final : public Coordinator,
                                public std::enable_shared_from_this<SharedCoordinator> {
 public:
  explicit SharedCoordinator(std::shared_ptr<SharedCluster> cluster);
  ~SharedCoordinator() override;

  Result<void> start(const BrokerInfo& self) override;
  void stop() override;
  bool session_active() const override;
  std::vector<BrokerInfo> live_brokers() const override;
  std::optional<std::int32_t> controller() const override;
  Result<TopicMetadata> create_topic(std::string_view name, std::int32_t partitions) override;
  Result<void> delete_topic(std::string_view name) override;
  std::optional<TopicMetadata> topic(std::string_view name) const override;
  std::vector<TopicMetadata> topics() const override;
  // Also waits for a running callback to finish, so a test can replace its
  // target (unless called from the callback itself).
  void on_change(std::function<void()> callback) override;

  void notify();

 private:
  void run_notifications();

  std::shared_ptr<SharedCluster> cluster_;
  std::int32_t self_ = -1;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::function<void()> callback_;
  std::condition_variable idle_;
  bool running_ = false;
  bool pending_ = false;
  bool stopping_ = false;
  std::thread notifier_;
};

}  // namespace junction::testing
