#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/client_process.hpp"
#include "support/junctiond_process.hpp"

namespace junction::testing {

// One junctiond of a TestCluster: kafka, amqp, websocket and zeromq transports
// and the inter-broker channel on free loopback ports, its own data folder.
struct ClusterBroker {
  std::int32_t id = 0;
  std::uint16_t kafka_port = 0;
  std::uint16_t amqp_port = 0;
  std::uint16_t websocket_port = 0;
  std::uint16_t cluster_port = 0;
  std::uint16_t zmq_router_port = 0;
  std::uint16_t zmq_publish_port = 0;
  std::uint16_t zmq_pull_port = 0;
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<JunctiondProcess> process;

  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(kafka_port); }
  std::string amqp_url() const { return "127.0.0.1:" + std::to_string(amqp_port); }
  std::string websocket_url() const {
    return "ws://127.0.0.1:" + std::to_string(websocket_port) + "/ws";
  }
  std::string zmq_router() const { return "tcp://127.0.0.1:" + std::to_string(zmq_router_port); }
  std::string zmq_publisher() const {
    return "tcp://127.0.0.1:" + std::to_string(zmq_publish_port);
  }
};

// Brokers 1..N coordinated by a ZooKeeper server under `root`.
class TestCluster {
 public:
  static constexpr int kSessionTimeoutMs = 2000;

  TestCluster(std::string zookeeper, std::string root, int brokers);

  bool start_all();
  ClusterBroker& broker(std::int32_t id) { return brokers_.at(id - 1); }
  std::vector<std::int32_t> ids() const;
  // Every broker's Kafka listener, comma separated.
  std::string bootstrap_all() const;

 private:
  std::string config_for(const ClusterBroker& broker) const;

  std::string zookeeper_;
  std::string root_;
  std::vector<ClusterBroker> brokers_;
};

// The cluster as one broker describes it to a Kafka client (confluent-kafka).
struct ClusterMetadata {
  bool ok = false;
  std::int32_t controller = -1;
  std::vector<std::int32_t> brokers;
  struct Partition {
    std::int32_t leader = -1;
    std::string error;
  };
  std::map<std::pair<std::string, std::int32_t>, Partition> partitions;

  std::vector<std::int32_t> partitions_led_by(const std::string& topic, std::int32_t id) const;
  std::size_t partition_count(const std::string& topic) const;
};
ClusterMetadata read_metadata(const std::string& bootstrap);

// Creates a topic with a Kafka admin client; "created" or the error's name.
std::string create_topic(const std::string& bootstrap, const std::string& topic, int partitions);

// A client script from tests/integration/clients or tests/transports/amqp/clients.
CommandOutput run_integration_client(const std::string& script,
                                     const std::vector<std::string>& args,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(120));
CommandOutput run_kafka_client(const std::string& script, const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout = std::chrono::seconds(120));
CommandOutput run_amqp_client(const std::string& script, const std::vector<std::string>& args,
                              std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace junction::testing
