#pragma once

#include <proton/binary.hpp>
#include <proton/message.hpp>
#include <proton/sender.hpp>
#include <proton/tracker.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "junction/kernel.hpp"
#include "junction/subscription.hpp"

namespace junction::amqp {

class ConnectionMailbox;

// A link on which the broker sends: the client's receiver, attached to one
// kernel subscription. Lives on its connection's thread; kernel threads reach
// it only through the connection's mailbox, one post per delivery batch.
//
// Flow control: the kernel's window for the consumer is kept at
// (unsettled deliveries + link credit), so what the kernel hands over beyond
// what is already on the wire never exceeds the credit; those records wait in
// `waiting_` until the client grants credit. Nothing is sent without credit.
class OutgoingLink : public std::enable_shared_from_this<OutgoingLink> {
 public:
  // Answers the client's attach: opens `sender` on the subscription `spec`
  // names, or opens and at once closes it with a condition (then null).
  static std::shared_ptr<OutgoingLink> attach(Kernel& kernel, proton::sender sender,
                                              const SubscriptionSpec& spec,
                                              std::shared_ptr<ConnectionMailbox> mailbox);
  ~OutgoingLink();
  OutgoingLink(const OutgoingLink&) = delete;
  OutgoingLink& operator=(const OutgoingLink&) = delete;

  // The client granted credit or asked to drain.
  void on_sendable();
  // The client's outcome of one delivery (accepted, rejected, released,
  // modified), or a settlement without one.
  void on_outcome(proton::tracker& tracker);
  void on_settled_without_outcome(proton::tracker& tracker);
  // The link or its connection is gone: whatever it held goes back to the
  // subscription (other consumers get it). Idempotent.
  void detach();

 private:
  enum class Outcome { accept, redeliver, dead_letter };

  OutgoingLink(proton::sender sender, bool presettled, std::shared_ptr<ConnectionMailbox> mailbox);
  void receive(std::shared_ptr<DeliveryBatch> batch);
  void send_waiting();
  void settle(const proton::tracker& tracker, Outcome outcome);
  void ack_presettled(std::vector<std::pair<std::int32_t, std::int64_t>>& sent);
  void update_window();
  void schedule_window_update();
  void close_for(const Error& error);

  proton::sender sender_;
  const bool presettled_;
  std::shared_ptr<ConnectionMailbox> mailbox_;
  std::shared_ptr<Consumer> consumer_;

  // Delivered by the kernel, not yet sent: whole batches, the first one
  // partly sent up to `next_in_front_`.
  std::deque<std::shared_ptr<DeliveryBatch>> waiting_;
  std::size_t next_in_front_ = 0;
  std::uint32_t unsettled_ = 0;
  std::uint32_t window_ = 0;
  bool window_update_scheduled_ = false;

  // Reused for every delivery: no allocation per message once warm.
  proton::message message_;
  proton::binary tag_;
};

}  // namespace junction::amqp
