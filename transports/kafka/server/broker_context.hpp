#pragma once

#include <cstdint>
#include <string>

#include "kafka_config.hpp"

namespace junction {
class Kernel;
class Coordinator;
}  // namespace junction

namespace junction::kafka {

class GroupCoordinator;

// What every handler shares: the kernel, the cluster view and this
// transport's settings. Lives from start() to stop().
struct BrokerContext {
  Kernel& kernel;
  Coordinator& coordinator;
  const KafkaConfig& config;
  // Where clients reach this listener, as Metadata and FindCoordinator say.
  std::string advertised_host;
  std::int32_t advertised_port = 0;
  // Owned by the running transport; set before the first connection.
  GroupCoordinator* groups = nullptr;
};

}  // namespace junction::kafka
