#pragma once

#include <cstdint>

#include "cluster_cache.hpp"
#include "junction/log.hpp"
#include "zk_session.hpp"

namespace junction::zookeeper {

// Round robin over `live` (sorted by id) starting at `start`: one replica per
// partition for now, in the shape replication will fill.
TopicMetadata assign_partitions(std::string name, std::int32_t partitions,
                                const std::vector<std::int32_t>& live, std::size_t start);

// Moves leadership after brokers come and go: a partition whose leader is
// dead goes to a live in-sync replica, or to -1 (its data is on the dead
// broker); a leaderless partition gets a live in-sync replica back. Each
// move bumps the epoch. Returns whether anything moved.
bool reconcile_leaders(TopicMetadata& topic, const std::vector<std::int32_t>& live);

// The cluster's one controller, elected through an ephemeral /controller.
class Controller {
 public:
  Controller(std::int32_t self, const Logger& log) : self_(self), log_(log) {}

  // Claims /controller if nobody holds it; true if this session now does.
  bool try_elect(ZkSession& session);

  // The controller's duties on `state` (just read): answer creation
  // requests and move leaders. Every write is a compare-and-set on the
  // version read, so a controller that lost its seat cannot overwrite its
  // successor's decisions.
  void act(ZkSession& session, const ClusterState& state);

 private:
  void create_requested(ZkSession& session, const ClusterState& state, const std::string& name,
                        const std::vector<std::int32_t>& live);

  const std::int32_t self_;
  const Logger& log_;
  std::size_t next_start_ = 0;
};

}  // namespace junction::zookeeper
