#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "junction/coordinator.hpp"
#include "zk_session.hpp"

namespace junction::zookeeper {

inline const std::string kTopicsPath = "/topics";
inline const std::string kControllerPath = "/controller";
inline const std::string kCreateRequestsPath = "/admin/create_topic";

struct StoredTopic {
  TopicMetadata metadata;
  int version = 0;  // of its znode, for compare-and-set writes
};

// Everything under the root, as read in one pass.
struct ClusterState {
  std::map<std::int32_t, BrokerInfo> brokers;
  std::map<std::string, StoredTopic, std::less<>> topics;
  std::optional<std::int32_t> controller;
  std::int64_t controller_session = 0;  // the session holding /controller
  std::vector<std::string> create_requests;
};

// Reads the whole state, leaving a watch on every znode and set it read, so
// any later change is reported.
Result<ClusterState> read_cluster_state(ZkSession& session);

// The last state read, served to the broker's threads.
class ClusterCache {
 public:
  // True if what the Coordinator interface shows changed.
  bool replace(ClusterState state);
  void clear();

  std::vector<BrokerInfo> live_brokers() const;
  std::optional<std::int32_t> controller() const;
  std::optional<TopicMetadata> topic(std::string_view name) const;
  std::vector<TopicMetadata> topics() const;

  // Waits until `done` holds for the state (checked, under the cache's lock,
  // on every change and on wake_all()) or the deadline passes.
  bool wait(std::chrono::steady_clock::time_point deadline,
            const std::function<bool(const ClusterState&)>& done) const;
  void wake_all();

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  ClusterState state_;
};

}  // namespace junction::zookeeper
