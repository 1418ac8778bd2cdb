#pragma once

#include <proton/sender.hpp>
#include <proton/tracker.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "junction/kernel.hpp"
#include "junction/subscription.hpp"

namespace junction::amqp {

struct LinkContext;

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
  // Answers the client's attach: opens `sender` on the subscription its
  // source names, or refuses it with a condition (then null).
  static std::shared_ptr<OutgoingLink> open(proton::sender& sender, LinkContext& context);
  ~OutgoingLink();
  OutgoingLink(const OutgoingLink&) = delete;
  OutgoingLink& operator=(const OutgoingLink&) = delete;

  // The client granted credit, or asked to drain (on_sendable follows
  // on_drain_start and does the draining).
  void on_sendable(proton::sender& sender);
  void on_drain_start(proton::sender& sender);
  void on_accept(proton::tracker& tracker);
  void on_reject(proton::tracker& tracker);
  // Released or modified.
  void on_release(proton::tracker& tracker);
  void on_settle(proton::tracker& tracker);
  // The link or its connection is gone: whatever it held goes back to the
  // subscription (other consumers get it). Idempotent.
  void closed();

 private:
  enum class Outcome { accept, redeliver, dead_letter };

  OutgoingLink(proton::sender sender, bool presettled);
  void receive(std::shared_ptr<DeliveryBatch> batch);
  void send_waiting();
  void settle(proton::tracker& tracker, Outcome outcome);
  void ack_presettled(std::vector<std::pair<std::int32_t, std::int64_t>>& sent);
  void update_window();
  void schedule_window_update();
  void close_for(const Error& error);

  proton::sender sender_;
  const bool presettled_;
  std::shared_ptr<Consumer> consumer_;

  // Delivered by the kernel, not yet sent: whole batches, the first one
  // partly sent up to `next_in_front_`.
  std::deque<std::shared_ptr<DeliveryBatch>> waiting_;
  std::size_t next_in_front_ = 0;
  std::size_t waiting_records_ = 0;
  std::uint32_t unsettled_ = 0;
  std::uint32_t window_ = 0;
  bool window_update_scheduled_ = false;
  bool asked_for_more_ = false;

  // Reused for every delivery: no allocation per message once warm.
  std::string encoded_;
};

}  // namespace junction::amqp
