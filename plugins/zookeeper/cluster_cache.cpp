#include "cluster_cache.hpp"

#include "broker_registry.hpp"
#include "znode_json.hpp"

namespace junction::zookeeper {
namespace {

template <class Map, class Same>
bool same_maps(const Map& a, const Map& b, Same same) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
    if (i->first != j->first || !same(i->second, j->second)) return false;
  }
  return true;
}

Result<void> read_topics(ZkSession& session, ClusterState& state) {
  std::vector<std::string> names;
  if (int rc = session.children(kTopicsPath, true, names); rc != ZOK) {
    return zk_error(Errc::io_error, rc, "list", kTopicsPath);
  }
  for (const auto& name : names) {
    const auto path = kTopicsPath + "/" + name;
    ZNode node;
    const int rc = session.get(path, true, node);
    if (rc == ZNONODE) continue;
    if (rc != ZOK) return zk_error(Errc::io_error, rc, "get", path);
    if (auto topic = parse_topic(name, node.data)) {
      state.topics.emplace(name, StoredTopic{std::move(*topic), node.stat.version});
    }
  }
  return {};
}

Result<void> read_controller(ZkSession& session, ClusterState& state) {
  // exists() leaves a watch whether or not the znode is there, so both a
  // new controller and a resignation are reported.
  Stat stat{};
  int rc = session.exists(kControllerPath, true, &stat);
  if (rc == ZNONODE) return {};
  if (rc != ZOK) return zk_error(Errc::io_error, rc, "exists", kControllerPath);
  ZNode node;
  rc = session.get(kControllerPath, false, node);
  if (rc == ZNONODE) return {};
  if (rc != ZOK) return zk_error(Errc::io_error, rc, "get", kControllerPath);
  state.controller = parse_controller(node.data);
  state.controller_session = node.stat.ephemeralOwner;
  return {};
}

}  // namespace

Result<ClusterState> read_cluster_state(ZkSession& session) {
  ClusterState state;
  auto brokers = read_brokers(session);
  if (!brokers) return brokers.error();
  state.brokers = std::move(brokers.value());
  if (auto read = read_topics(session, state); !read) return read.error();
  if (auto read = read_controller(session, state); !read) return read.error();
  if (int rc = session.children(kCreateRequestsPath, true, state.create_requests); rc != ZOK) {
    return zk_error(Errc::io_error, rc, "list", kCreateRequestsPath);
  }
  return state;
}

bool ClusterCache::replace(ClusterState state) {
  bool changed = false;
  {
    std::lock_guard lock(mutex_);
    changed = state.controller != state_.controller || state.brokers != state_.brokers ||
              !same_maps(state.topics, state_.topics,
                         [](const auto& a, const auto& b) { return a.metadata == b.metadata; });
    state_ = std::move(state);
  }
  changed_.notify_all();
  return changed;
}

void ClusterCache::clear() { replace({}); }

std::vector<BrokerInfo> ClusterCache::live_brokers() const {
  std::lock_guard lock(mutex_);
  std::vector<BrokerInfo> brokers;
  for (const auto& [id, broker] : state_.brokers) brokers.push_back(broker);
  return brokers;
}

std::optional<std::int32_t> ClusterCache::controller() const {
  std::lock_guard lock(mutex_);
  return state_.controller;
}

std::optional<TopicMetadata> ClusterCache::topic(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = state_.topics.find(name);
  if (it == state_.topics.end()) return std::nullopt;
  return it->second.metadata;
}

std::vector<TopicMetadata> ClusterCache::topics() const {
  std::lock_guard lock(mutex_);
  std::vector<TopicMetadata> all;
  for (const auto& [name, stored] : state_.topics) all.push_back(stored.metadata);
  return all;
}

bool ClusterCache::wait(std::chrono::steady_clock::time_point deadline,
                        const std::function<bool(const ClusterState&)>& done) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline, [&] { return done(state_); });
}

void ClusterCache::wake_all() {
  { std::lock_guard lock(mutex_); }
  changed_.notify_all();
}

}  // namespace junction::zookeeper
