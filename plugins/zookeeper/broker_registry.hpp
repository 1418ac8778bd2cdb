#pragma once

#include <chrono>
#include <functional>
#include <map>

#include "junction/coordinator.hpp"
#include "junction/log.hpp"
#include "zk_session.hpp"

namespace junction::zookeeper {

inline const std::string kBrokersPath = "/brokers/ids";
std::string broker_path(std::int32_t id);

// Creates self's ephemeral znode. If another session holds the id (a broker
// killed a moment ago keeps its session until the timeout), waits up to
// `wait` for it to go, then refuses with invalid_config. `stopping` cuts the
// wait short.
Result<void> register_broker(ZkSession& session, const BrokerInfo& self,
                             std::chrono::milliseconds wait, const std::function<bool()>& stopping,
                             const Logger& log);

// Every registered broker by id; leaves a watch on the set and on each znode.
Result<std::map<std::int32_t, BrokerInfo>> read_brokers(ZkSession& session);

}  // namespace junction::zookeeper
