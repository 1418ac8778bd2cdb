#include "cluster/remote_consumer.hpp"

namespace junction::cluster {

RemoteConsumer::RemoteConsumer(std::shared_ptr<PeerClient> peer, const SubscriptionSpec& spec,
                               std::uint32_t window_records, std::uint64_t window_bytes,
                               DeliveryCallback deliver, std::function<void(const Error&)> ended)
    : peer_(std::move(peer)) {
  PeerClient::StreamEvents events;
  events.deliver = [state = state_, deliver = std::move(deliver)](Deliver message) {
    if (state->detached) return;
    auto held = std::make_shared<Deliver>(std::move(message));
    DeliveryBatch batch;
    batch.topic = held->topic;
    batch.records.reserve(held->records.size());
    for (const auto& record : held->records)
      batch.records.push_back({record.partition, record.attempt, &record.stored});
    batch.keep_alive = held;
    deliver(std::move(batch));
  };
  events.ended = [state = state_, ended = std::move(ended)](const Error& error) {
    if (!state->detached.exchange(true)) ended(error);
  };
  stream_ = peer_->subscribe(spec, window_records, window_bytes, std::move(events));
}

RemoteConsumer::~RemoteConsumer() { detach(); }

Result<void> RemoteConsumer::settle(SettleKind kind, std::int32_t partition, std::int64_t offset) {
  if (state_->detached) {
    return make_error(Errc::leader_not_available, "the subscription's stream from broker " +
                                                      std::to_string(broker()) + " has ended");
  }
  peer_->settle(kind, stream_, partition, offset);
  return {};
}

Result<void> RemoteConsumer::ack(std::int32_t partition, std::int64_t offset) {
  return settle(SettleKind::ack, partition, offset);
}
Result<void> RemoteConsumer::ack_through(std::int32_t partition, std::int64_t offset) {
  return settle(SettleKind::ack_through, partition, offset);
}
Result<void> RemoteConsumer::nack(std::int32_t partition, std::int64_t offset) {
  return settle(SettleKind::nack, partition, offset);
}
Result<void> RemoteConsumer::reject(std::int32_t partition, std::int64_t offset) {
  return settle(SettleKind::reject, partition, offset);
}

void RemoteConsumer::set_max_unacked(std::uint32_t records, std::uint64_t bytes) {
  if (!state_->detached) peer_->set_window(stream_, records, bytes);
}

void RemoteConsumer::detach() {
  if (state_->detached.exchange(true)) return;
  peer_->detach(stream_);
}

}  // namespace junction::cluster
