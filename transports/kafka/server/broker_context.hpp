#pragma once

#include <cstdint>
#include <string>

#include "kafka_config.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace junction {
class Kernel;
class Coordinator;
}  // namespace junction

namespace junction::kafka {

class ProducerIdAllocator;
class ProducerStateTable;

// What every handler shares: the kernel, the cluster view and this
// transport's settings. Lives from start() to stop().
struct BrokerContext {
  Kernel& kernel;
  Coordinator& coordinator;
  const KafkaConfig& config;
  // Where clients reach this listener, as Metadata and FindCoordinator say.
  std::string advertised_host;
  std::int32_t advertised_port = 0;
  // The transport's threads, for work that must leave a kernel thread.
  boost::asio::io_context& io;
  ProducerIdAllocator& producer_ids;
  ProducerStateTable& producer_states;
};

}  // namespace junction::kafka
