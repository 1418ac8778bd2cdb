#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "cluster/peer_client.hpp"
#include "junction/subscription.hpp"

namespace junction::cluster {

// A consumer attached to the same subscription on another broker, which
// leads some of the topic's partitions and runs the subscription for them:
// deliveries come over the channel, settlements go back on it.
class RemoteConsumer final : public Consumer {
 public:
  // `ended` runs once, on the channel's thread, if the leader refuses or ends
  // the stream or the connection is lost (not after detach()).
  RemoteConsumer(std::shared_ptr<PeerClient> peer, const SubscriptionSpec& spec,
                 std::uint32_t window_records, std::uint64_t window_bytes, DeliveryCallback deliver,
                 std::function<void(const Error&)> ended);
  ~RemoteConsumer() override;

  std::int32_t broker() const { return peer_->peer_id(); }

  Result<void> ack(std::int32_t partition, std::int64_t offset) override;
  Result<void> ack_through(std::int32_t partition, std::int64_t offset) override;
  Result<void> nack(std::int32_t partition, std::int64_t offset) override;
  Result<void> reject(std::int32_t partition, std::int64_t offset) override;
  void set_max_unacked(std::uint32_t records, std::uint64_t bytes) override;
  // Deliveries still in flight are dropped; the leader detaches its consumer,
  // so what was unacked goes back to the subscription's other consumers.
  void detach() override;

 private:
  struct State {
    std::atomic<bool> detached{false};
  };
  Result<void> settle(SettleKind kind, std::int32_t partition, std::int64_t offset);

  std::shared_ptr<PeerClient> peer_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::uint64_t stream_ = 0;
};

}  // namespace junction::cluster
