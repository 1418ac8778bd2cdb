#include "controller.hpp"

#include <algorithm>

#include "znode_json.hpp"

namespace junction::zookeeper {
namespace {

bool contains(const std::vector<std::int32_t>& ids, std::int32_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::optional<std::int32_t> first_live(const std::vector<std::int32_t>& candidates,
                                       const std::vector<std::int32_t>& live) {
  for (auto id : candidates) {
    if (contains(live, id)) return id;
  }
  return std::nullopt;
}

}  // namespace

TopicMetadata assign_partitions(std::string name, std::int32_t partitions,
                                const std::vector<std::int32_t>& live, std::size_t start) {
  TopicMetadata topic{std::move(name), {}};
  for (std::int32_t p = 0; p < partitions; ++p) {
    const std::int32_t broker = live[(start + p) % live.size()];
    topic.partitions.push_back(PartitionAssignment{p, broker, 0, {broker}, {broker}});
  }
  return topic;
}

bool reconcile_leaders(TopicMetadata& topic, const std::vector<std::int32_t>& live) {
  bool moved = false;
  for (auto& partition : topic.partitions) {
    if (partition.leader != -1 && contains(live, partition.leader)) continue;
    const std::int32_t leader = first_live(partition.in_sync_replicas, live).value_or(-1);
    if (leader != partition.leader) {
      partition.leader = leader;
      ++partition.leader_epoch;
      moved = true;
    }
  }
  return moved;
}

bool Controller::try_elect(ZkSession& session) {
  const int rc = session.create(kControllerPath, controller_json(self_), true);
  if (rc == ZOK) {
    log_.info() << "broker " << self_ << " is now the controller";
    return true;
  }
  if (rc != ZNODEEXISTS) log_.warn() << "controller election: " << zerror(rc);
  return false;
}

void Controller::act(ZkSession& session, const ClusterState& state) {
  std::vector<std::int32_t> live;
  for (const auto& [id, broker] : state.brokers) live.push_back(id);

  // Never empty while this controller's own registration stands; if it is,
  // requests wait for the next pass.
  if (!live.empty()) {
    for (const auto& name : state.create_requests) create_requested(session, state, name, live);
  }

  for (const auto& [name, stored] : state.topics) {
    TopicMetadata topic = stored.metadata;
    if (!reconcile_leaders(topic, live)) continue;
    const auto path = kTopicsPath + "/" + name;
    const int rc = session.set(path, topic_json(topic), stored.version);
    if (rc == ZOK) {
      log_.info() << "moved leaders of topic '" << name << "' (live brokers: " << live.size()
                  << ")";
    } else if (rc != ZBADVERSION && rc != ZNONODE) {
      // A newer version or a deleted topic is reported by its watch.
      log_.warn() << "cannot update " << path << ": " << zerror(rc);
    }
  }
}

void Controller::create_requested(ZkSession& session, const ClusterState& state,
                                  const std::string& name, const std::vector<std::int32_t>& live) {
  const auto request_path = kCreateRequestsPath + "/" + name;
  if (!state.topics.contains(name)) {
    ZNode request;
    int rc = session.get(request_path, false, request);
    if (rc == ZNONODE) return;
    if (rc != ZOK) {
      log_.warn() << "cannot read " << request_path << ": " << zerror(rc);
      return;
    }
    const auto partitions = parse_create_request(request.data);
    if (!partitions) {
      log_.warn() << "dropping malformed topic creation request " << request_path;
    } else {
      const auto topic = assign_partitions(name, *partitions, live, next_start_++);
      rc = session.create(kTopicsPath + "/" + name, topic_json(topic), false);
      if (rc == ZOK) {
        log_.info() << "created topic '" << name << "' with " << *partitions << " partitions";
      } else if (rc != ZNODEEXISTS) {
        log_.warn() << "cannot create topic '" << name << "': " << zerror(rc);
        return;  // the request stays for the next pass
      }
    }
  }
  session.remove(request_path);
}

}  // namespace junction::zookeeper
