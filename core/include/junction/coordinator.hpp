#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "junction/result.hpp"

namespace junction {

struct BrokerInfo {
  std::int32_t id = 0;
  // Transport name -> advertised "host:port" (or a ZeroMQ/WebSocket URL).
  // "cluster" is the inter-broker channel of a clustered broker.
  std::map<std::string, std::string> endpoints;

  bool operator==(const BrokerInfo&) const = default;
};

// Shaped for replication from the start: leader plus replicas and in-sync set.
struct PartitionAssignment {
  std::int32_t partition = 0;
  std::int32_t leader = -1;  // -1: no live leader
  std::int32_t leader_epoch = 0;
  std::vector<std::int32_t> replicas;
  std::vector<std::int32_t> in_sync_replicas;

  bool operator==(const PartitionAssignment&) const = default;
};

struct TopicMetadata {
  std::string name;
  std::vector<PartitionAssignment> partitions;

  bool operator==(const TopicMetadata&) const = default;
};

// Where the cluster's shared truth lives: which brokers are alive, which topics
// exist, who leads each partition, who is the controller.
class Coordinator {
 public:
  virtual ~Coordinator() = default;

  // Joins the cluster as `self`; a broker id already registered is an error.
  virtual Result<void> start(const BrokerInfo& self) = 0;
  virtual void stop() = 0;

  // False while this broker's registration cannot be vouched for (a lost
  // ZooKeeper session): leadership it reports may be stale and must not be
  // acted on. Always true for a single broker.
  virtual bool session_active() const = 0;

  virtual std::vector<BrokerInfo> live_brokers() const = 0;
  virtual std::optional<std::int32_t> controller() const = 0;

  // Has the controller assign the partitions across live brokers (round
  // robin) and record the topic; returns the assignment. topic_exists if it
  // is already known (with the same or another partition count).
  virtual Result<TopicMetadata> create_topic(std::string_view name, std::int32_t partitions) = 0;
  virtual Result<void> delete_topic(std::string_view name) = 0;
  virtual std::optional<TopicMetadata> topic(std::string_view name) const = 0;
  virtual std::vector<TopicMetadata> topics() const = 0;

  // Called (on a coordinator thread, no lock held) after brokers, topics or
  // leaders change. Set before start().
  virtual void on_change(std::function<void()> callback) = 0;
};

}  // namespace junction
