#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "cluster/peer_client.hpp"
#include "cluster/remote_consumer.hpp"
#include "junction/subscription.hpp"

namespace junction::cluster {

// What a CompositeConsumer asks the cluster kernel.
class ConsumerRouting {
 public:
  virtual ~ConsumerRouting() = default;
  virtual std::int32_t self_id() const = 0;
  // -1 when no live broker leads it.
  virtual std::int32_t leader_of(std::string_view topic, std::int32_t partition) const = 0;
  // The other live brokers that lead at least one partition of `topic`.
  virtual std::vector<std::int32_t> remote_leaders(std::string_view topic) const = 0;
  virtual std::shared_ptr<PeerClient> peer(std::int32_t broker) = 0;
};

// One subscriber in a cluster: a local part for the partitions led here, and
// one RemoteConsumer per other broker leading partitions of the topic. The
// leaders run the real subscriptions; this only routes.
class CompositeConsumer final : public Consumer,
                                public std::enable_shared_from_this<CompositeConsumer> {
 public:
  CompositeConsumer(ConsumerRouting& routing, SubscriptionSpec spec, const ConsumerOptions& options,
                    DeliveryCallback deliver);
  ~CompositeConsumer() override;

  // The callback every part delivers through: one at a time, never after detach.
  DeliveryCallback part_delivery();
  void set_local(std::shared_ptr<Consumer> local);
  // Attaches a remote part to every leader that has none (after a leadership
  // change, or to retry one that ended).
  void refresh();
  bool detached() const;
  // Brokers with an attached remote part (for tests and logs).
  std::vector<std::int32_t> remote_brokers() const;

  Result<void> ack(std::int32_t partition, std::int64_t offset) override;
  Result<void> ack_through(std::int32_t partition, std::int64_t offset) override;
  Result<void> nack(std::int32_t partition, std::int64_t offset) override;
  Result<void> reject(std::int32_t partition, std::int64_t offset) override;
  void set_max_unacked(std::uint32_t records, std::uint64_t bytes) override;
  void detach() override;

 private:
  struct RemotePart {
    std::uint64_t id = 0;
    std::shared_ptr<RemoteConsumer> consumer;
  };

  std::shared_ptr<Consumer> part_for(std::int32_t partition) const;
  template <class Settle>
  Result<void> route(std::int32_t partition, Settle settle) const;
  void part_ended(std::int32_t broker, std::uint64_t id, const Error& error);
  // A resumed part delivered: its loss is made good.
  void caught_up(std::int32_t broker);

  ConsumerRouting& routing_;
  const SubscriptionSpec spec_;
  const DeliveryCallback deliver_;
  mutable std::mutex mutex_;
  std::uint32_t window_records_;
  std::uint64_t window_bytes_;
  std::shared_ptr<Consumer> local_;
  std::map<std::int32_t, RemotePart> remote_;
  std::uint64_t next_part_id_ = 1;
  // Private subscribers only: when each broker's part was lost (wall clock ms).
  std::map<std::int32_t, std::int64_t> lost_at_ms_;
  bool detaching_ = false;
  // Held while the user's callback runs; recursive so the callback may detach.
  std::recursive_mutex delivery_mutex_;
  bool stopped_ = false;
};

}  // namespace junction::cluster
