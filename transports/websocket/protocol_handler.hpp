#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "callback_gate.hpp"
#include "connection_executor.hpp"
#include "json/json_value.hpp"
#include "junction/kernel.hpp"
#include "outbox.hpp"
#include "publish_batch.hpp"

namespace junction::websocket {

// The JSON protocol of one connection (docs/transports/websocket.md): parses
// each text message, calls the kernel, and answers through the Outbox. Lives
// inside its connection and runs only on the connection's strand; kernel
// callbacks are posted back there.
class ProtocolHandler {
 public:
  ProtocolHandler(Kernel& kernel, ConnectionExecutor strand, std::shared_ptr<CallbackGate> gate,
                  Outbox& outbox);
  ProtocolHandler(const ProtocolHandler&) = delete;
  ProtocolHandler& operator=(const ProtocolHandler&) = delete;

  // The connection object: produce callbacks hold it so its strand work can
  // still answer; deliveries only look it up, so a closed one is dropped.
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  // `more_follows`: the connection has more input ready, so publishes are
  // held to be produced together with the next ones.
  void handle_message(std::string_view text, bool more_follows);
  // Produces the publishes held so far (the connection is about to wait).
  void flush_publishes();
  // Enough publishes await the kernel that the connection should stop reading.
  bool saturated() const;
  // Detaches every consumer: their unacked records go to other consumers.
  void close();

 private:
  struct Subscription {
    std::string topic;
    std::string group;
    DeliveryMode mode = DeliveryMode::broadcast;
    std::shared_ptr<Consumer> consumer;
  };

  void dispatch(std::string_view text);
  void publish(const JsonValue& request, const JsonValue* id);
  void produced(std::uint64_t sequence, Result<ProduceAck> result);
  void answer_produced();
  void answer_publishes(const ProducedBatch& batch);
  void subscribe(const JsonValue& request, const JsonValue* id);
  void settle(const JsonValue& request, const JsonValue* id, bool ack);
  void unsubscribe(const JsonValue& request, const JsonValue* id);

  void deliver(std::uint64_t subscription_id, DeliveryBatch batch);
  void subscription_closed(std::uint64_t subscription_id, const Error& error);
  Subscription* find(std::string_view topic, std::string_view group,
                     std::uint64_t* id_out = nullptr);

  void send_error(const JsonValue* id, std::string_view code, std::string_view message);
  // An error behind the held publishes, if any, so answers keep their order.
  void refuse(const JsonValue* id, std::string_view code, std::string_view message);

  Kernel& kernel_;
  ConnectionExecutor strand_;
  std::shared_ptr<CallbackGate> gate_;
  Outbox& outbox_;
  std::weak_ptr<void> owner_;
  std::map<std::uint64_t, Subscription> subscriptions_;
  std::uint64_t next_subscription_id_ = 1;
  PublishBatch held_;
  // Answered front first, so publishes are answered in the order they came.
  std::deque<ProducedBatch> produced_;
  // The sequence number of produced_.front().
  std::uint64_t first_produced_ = 0;
  // Publishes held or awaiting the kernel.
  std::size_t publishes_in_flight_ = 0;
  bool closed_ = false;
};

}  // namespace junction::websocket
