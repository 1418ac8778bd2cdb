#include "cluster/composite_consumer.hpp"

#include <atomic>

#include "cluster/cluster_logger.hpp"
#include "junction/log.hpp"
#include "kernel/wall_clock.hpp"

namespace junction::cluster {

CompositeConsumer::CompositeConsumer(ConsumerRouting& routing, SubscriptionSpec spec,
                                     const ConsumerOptions& options, DeliveryCallback deliver)
    : routing_(routing),
      spec_(std::move(spec)),
      deliver_(std::move(deliver)),
      window_records_(options.max_unacked_records),
      window_bytes_(options.max_unacked_bytes) {}

CompositeConsumer::~CompositeConsumer() { detach(); }

DeliveryCallback CompositeConsumer::part_delivery() {
  return [weak = weak_from_this(), this](DeliveryBatch batch) {
    auto self = weak.lock();
    if (!self) return;
    std::lock_guard lock(delivery_mutex_);
    if (!stopped_) deliver_(std::move(batch));
  };
}

void CompositeConsumer::set_local(std::shared_ptr<Consumer> local) {
  std::lock_guard lock(mutex_);
  local_ = std::move(local);
}

void CompositeConsumer::refresh() {
  std::lock_guard lock(mutex_);
  if (detaching_) return;
  for (std::int32_t broker : routing_.remote_leaders(spec_.topic)) {
    if (remote_.contains(broker)) continue;
    auto peer = routing_.peer(broker);
    if (!peer) continue;
    // The id tells a part's end apart from a newer part's for the same broker.
    const auto id = next_part_id_++;
    SubscriptionSpec spec = spec_;
    DeliveryCallback deliver = part_delivery();
    if (auto lost = lost_at_ms_.find(broker); lost != lost_at_ms_.end()) {
      // A private subscriber has no progress on the leader: resume from when
      // the part was lost, not from the leader's "latest" now.
      spec.start = StartPosition::at_timestamp(lost->second);
      // Only the first batch says the loss is made good; the rest pay one load.
      deliver = [weak = weak_from_this(), broker,
                 resuming = std::make_shared<std::atomic<bool>>(true),
                 deliver = std::move(deliver)](DeliveryBatch batch) {
        if (resuming->load(std::memory_order_relaxed) && resuming->exchange(false)) {
          if (auto self = weak.lock()) self->caught_up(broker);
        }
        deliver(std::move(batch));
      };
    }
    auto part = std::make_shared<RemoteConsumer>(
        std::move(peer), spec, window_records_, window_bytes_, std::move(deliver),
        [weak = weak_from_this(), broker, id](const Error& error) {
          if (auto self = weak.lock()) self->part_ended(broker, id, error);
        });
    remote_.emplace(broker, RemotePart{id, std::move(part)});
  }
}

void CompositeConsumer::part_ended(std::int32_t broker, std::uint64_t id, const Error& error) {
  {
    std::lock_guard lock(mutex_);
    auto found = remote_.find(broker);
    if (found == remote_.end() || found->second.id != id) return;
    remote_.erase(found);
    // The earliest loss not yet caught up is where the next part resumes.
    if (spec_.name.empty()) lost_at_ms_.try_emplace(broker, kernel::wall_clock_ms());
  }
  logger().info() << "subscription '" << spec_.name << "' on topic '" << spec_.topic
                  << "' lost its part on broker " << broker << ": " << error.message;
}

void CompositeConsumer::caught_up(std::int32_t broker) {
  std::lock_guard lock(mutex_);
  lost_at_ms_.erase(broker);
}

bool CompositeConsumer::detached() const {
  std::lock_guard lock(mutex_);
  return detaching_;
}

std::vector<std::int32_t> CompositeConsumer::remote_brokers() const {
  std::lock_guard lock(mutex_);
  std::vector<std::int32_t> brokers;
  for (const auto& [broker, part] : remote_) brokers.push_back(broker);
  return brokers;
}

std::shared_ptr<Consumer> CompositeConsumer::part_for(std::int32_t partition) const {
  const auto leader = routing_.leader_of(spec_.topic, partition);
  std::lock_guard lock(mutex_);
  if (leader == routing_.self_id()) return local_;
  auto found = remote_.find(leader);
  return found == remote_.end() ? nullptr : found->second.consumer;
}

template <class Settle>
Result<void> CompositeConsumer::route(std::int32_t partition, Settle settle) const {
  auto part = part_for(partition);
  if (!part) {
    return make_error(Errc::leader_not_available, "no attached leader for partition " +
                                                      std::to_string(partition) + " of topic '" +
                                                      spec_.topic + "'");
  }
  return settle(*part);
}

Result<void> CompositeConsumer::ack(std::int32_t partition, std::int64_t offset) {
  return route(partition, [&](Consumer& part) { return part.ack(partition, offset); });
}
Result<void> CompositeConsumer::ack_through(std::int32_t partition, std::int64_t offset) {
  return route(partition, [&](Consumer& part) { return part.ack_through(partition, offset); });
}
Result<void> CompositeConsumer::nack(std::int32_t partition, std::int64_t offset) {
  return route(partition, [&](Consumer& part) { return part.nack(partition, offset); });
}
Result<void> CompositeConsumer::reject(std::int32_t partition, std::int64_t offset) {
  return route(partition, [&](Consumer& part) { return part.reject(partition, offset); });
}

void CompositeConsumer::set_max_unacked(std::uint32_t records, std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  window_records_ = records;
  window_bytes_ = bytes;
  if (local_) local_->set_max_unacked(records, bytes);
  for (auto& [broker, part] : remote_) part.consumer->set_max_unacked(records, bytes);
}

void CompositeConsumer::detach() {
  std::shared_ptr<Consumer> local;
  std::map<std::int32_t, RemotePart> remote;
  {
    std::lock_guard lock(mutex_);
    if (detaching_) return;
    detaching_ = true;
    local = std::move(local_);
    remote = std::move(remote_);
    remote_.clear();
  }
  if (local) local->detach();
  for (auto& [broker, part] : remote) part.consumer->detach();
  std::lock_guard lock(delivery_mutex_);
  stopped_ = true;
}

}  // namespace junction::cluster
