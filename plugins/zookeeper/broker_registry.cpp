#include "broker_registry.hpp"

#include <algorithm>

#include "znode_json.hpp"

namespace junction::zookeeper {
namespace {

std::string describe_endpoints(const BrokerInfo& broker) {
  std::string text;
  for (const auto& [name, address] : broker.endpoints) {
    if (!text.empty()) text += ", ";
    text += name + "=" + address;
  }
  return text.empty() ? "none" : text;
}

}  // namespace

std::string broker_path(std::int32_t id) { return kBrokersPath + "/" + std::to_string(id); }

Result<void> register_broker(ZkSession& session, const BrokerInfo& self,
                             std::chrono::milliseconds wait, const std::function<bool()>& stopping,
                             const Logger& log) {
  const auto path = broker_path(self.id);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  bool logged_wait = false;
  for (;;) {
    const auto seen = session.events_seen();
    const int created = session.create(path, broker_json(self), true);
    if (created == ZOK) return {};
    if (created != ZNODEEXISTS) return zk_error(Errc::io_error, created, "create", path);

    ZNode holder;
    const int read = session.get(path, true, holder);
    if (read == ZNONODE) continue;
    if (read != ZOK) return zk_error(Errc::io_error, read, "get", path);
    // A create that succeeded although its reply was lost left our own node.
    if (holder.stat.ephemeralOwner == session.id()) return {};

    const auto other = parse_broker(holder.data);
    if (std::chrono::steady_clock::now() >= deadline || stopping()) {
      return make_error(Errc::invalid_config,
                        "broker id " + std::to_string(self.id) + " is already registered at " +
                            session.describe() + " by a live broker (endpoints " +
                            (other ? describe_endpoints(*other) : "unreadable") + ")");
    }
    if (!logged_wait) {
      log.warn() << "broker id " << self.id << " is registered by another session; waiting up to "
                 << wait.count() << " ms for it to expire (a broker restarted after a crash)";
      logged_wait = true;
    }
    // Short slices so that stop() is not held up by the whole wait.
    session.wait_for_event(seen, std::min(deadline, std::chrono::steady_clock::now() +
                                                        std::chrono::milliseconds(200)));
  }
}

Result<std::map<std::int32_t, BrokerInfo>> read_brokers(ZkSession& session) {
  std::vector<std::string> ids;
  if (int rc = session.children(kBrokersPath, true, ids); rc != ZOK) {
    return zk_error(Errc::io_error, rc, "list", kBrokersPath);
  }
  std::map<std::int32_t, BrokerInfo> brokers;
  for (const auto& id : ids) {
    ZNode node;
    const int rc = session.get(kBrokersPath + "/" + id, true, node);
    if (rc == ZNONODE) continue;  // gone since the listing; its watch reports it
    if (rc != ZOK) return zk_error(Errc::io_error, rc, "get", kBrokersPath + "/" + id);
    if (auto broker = parse_broker(node.data)) brokers.emplace(broker->id, std::move(*broker));
  }
  return brokers;
}

}  // namespace junction::zookeeper
