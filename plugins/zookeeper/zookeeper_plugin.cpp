// The zookeeper plugin's exports: the host reads the info, then calls the
// factory with the [coordination] table.
#include "junction/plugin.hpp"
#include "zookeeper_coordinator.hpp"

namespace junction::zookeeper {
namespace {

std::unique_ptr<Coordinator> create(ConfigSection& config) {
  return std::make_unique<ZooKeeperCoordinator>(read_config(config));
}

}  // namespace
}  // namespace junction::zookeeper

JUNCTION_COORDINATOR_PLUGIN("zookeeper", "cluster coordination through a ZooKeeper ensemble",
                            junction::zookeeper::create)
