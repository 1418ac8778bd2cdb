#include "outgoing_link.hpp"

#include <proton/error_condition.hpp>
#include <proton/sender_options.hpp>
#include <proton/work_queue.hpp>

#include <algorithm>
#include <array>
#include <map>

#include "address.hpp"
#include "amqp_conditions.hpp"
#include "amqp_logger.hpp"
#include "connection_mailbox.hpp"
#include "link_context.hpp"
#include "message_mapping.hpp"
#include "proton_c_access.hpp"

namespace junction::amqp {
namespace {

// A delivery tag names the record it carries: partition, attempt, offset.
// The attempt keeps tags unique on the link when a record comes back to the
// same receiver after an ack timeout.
constexpr std::size_t kTagBytes = 16;
using Tag = std::array<char, kTagBytes>;

void put(char* at, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, value >>= 8) at[i] = char(value & 0xff);
}

std::uint64_t get(const char* at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = value << 8 | std::uint8_t(at[i]);
  return value;
}

Tag tag_for(const DeliveredRecord& delivered) {
  Tag tag;
  put(tag.data(), std::uint32_t(delivered.partition), 4);
  put(tag.data() + 4, std::uint32_t(delivered.attempt), 4);
  put(tag.data() + 8, std::uint64_t(delivered.record->offset), 8);
  return tag;
}

struct TaggedRecord {
  std::int32_t partition;
  std::int64_t offset;
};

std::optional<TaggedRecord> tagged_record(const proton::tracker& tracker) {
  const pn_delivery_tag_t tag =
      pn_delivery_tag(ProtonCAccess<proton::tracker, pn_delivery_t>::get(tracker));
  if (tag.size != kTagBytes) return std::nullopt;
  return TaggedRecord{std::int32_t(get(tag.start, 4)), std::int64_t(get(tag.start + 8, 8))};
}

// Bytes of records the kernel may hand one link beyond what it acknowledged;
// credit bounds the count, this bounds memory when records are large.
constexpr std::uint64_t kWindowBytes = 16u << 20;

}  // namespace

std::shared_ptr<OutgoingLink> OutgoingLink::open(proton::sender& sender, LinkContext& context) {
  auto spec = subscription_for(sender);
  if (!spec) {
    refuse_link(sender, condition_for(spec.error()));
    return nullptr;
  }
  // A receiver attaching with snd-settle-mode "settled" asks for at-most-once.
  const bool presettled = pn_link_remote_snd_settle_mode(c_link(sender)) == PN_SND_SETTLED;

  std::shared_ptr<OutgoingLink> link(new OutgoingLink(sender, presettled));
  std::weak_ptr<OutgoingLink> weak = link;
  auto mailbox = context.mailbox;
  ConsumerOptions options;
  // The kernel refuses an empty window at attach; the first update narrows
  // it to the credit, so at most one record waits for a client that grants
  // none.
  options.max_unacked_records = std::uint32_t(std::max(1, sender.credit()));
  options.max_unacked_bytes = kWindowBytes;
  options.on_closed = [weak, mailbox](const Error& error) {
    mailbox->post([weak, error] {
      if (auto self = weak.lock()) self->close_for(error);
    });
  };
  auto consumer = context.kernel.subscribe(*spec, options, [weak, mailbox](DeliveryBatch batch) {
    auto shared = std::make_shared<DeliveryBatch>(std::move(batch));
    // False: the connection is gone, and its closing gives the records back.
    mailbox->post([weak, shared] {
      if (auto self = weak.lock()) self->receive(shared);
    });
  });
  if (!consumer) {
    amqp_logger().info() << "receiver link '" << sender.name() << "' on '" << spec->topic
                         << "' refused: " << consumer.error().message;
    refuse_link(sender, condition_for(consumer.error()));
    return nullptr;
  }
  // Opened only now, so a refused link never looks attached to the client.
  // Deliveries posted meanwhile run after this handler returns.
  sender.open(proton::sender_options()
                  .delivery_mode(presettled ? proton::delivery_mode::AT_MOST_ONCE
                                            : proton::delivery_mode::AT_LEAST_ONCE)
                  .auto_settle(true));
  link->consumer_ = std::move(consumer.value());
  link->window_ = options.max_unacked_records;
  amqp_logger().debug() << "receiver link '" << sender.name() << "' attached to '" << spec->topic
                        << (spec->name.empty() ? "" : "::" + spec->name) << "' ("
                        << (presettled ? "at-most-once" : "at-least-once") << ")";
  return link;
}

OutgoingLink::OutgoingLink(proton::sender sender, bool presettled)
    : sender_(std::move(sender)), presettled_(presettled) {}

OutgoingLink::~OutgoingLink() { closed(); }

void OutgoingLink::closed() {
  if (!consumer_) return;
  // The kernel puts every record this consumer holds, sent or waiting, back
  // in front of the subscription, in offset order.
  consumer_->detach();
  consumer_.reset();
  waiting_.clear();
  waiting_records_ = 0;
  unsettled_ = 0;
}

void OutgoingLink::close_for(const Error& error) {
  if (!consumer_) return;
  amqp_logger().info() << "receiver link '" << sender_.name() << "' closed: " << error.message;
  closed();
  if (!sender_.closed()) sender_.close(condition_for(error));
}

void OutgoingLink::receive(std::shared_ptr<DeliveryBatch> batch) {
  if (!consumer_) return;
  asked_for_more_ = false;
  waiting_records_ += batch->records.size();
  waiting_.push_back(std::move(batch));
  send_waiting();
}

void OutgoingLink::on_sendable(proton::sender&) {
  if (!consumer_) return;
  send_waiting();
}

void OutgoingLink::on_drain_start(proton::sender&) {}

void OutgoingLink::send_waiting() {
  std::vector<std::pair<std::int32_t, std::int64_t>> sent_presettled;
  pn_link_t* link = c_link(sender_);
  while (sender_.credit() > 0 && !waiting_.empty()) {
    DeliveryBatch& batch = *waiting_.front();
    const DeliveredRecord& delivered = batch.records[next_in_front_];
    encode_record_message(batch.topic, delivered.partition, *delivered.record,
                          std::uint32_t(delivered.attempt - 1), encoded_);
    const Tag tag = tag_for(delivered);
    pn_delivery_t* delivery = pn_delivery(link, pn_dtag(tag.data(), tag.size()));
    pn_link_send(link, encoded_.data(), encoded_.size());
    pn_link_advance(link);
    if (presettled_) {
      pn_delivery_settle(delivery);
      sent_presettled.emplace_back(delivered.partition, delivered.record->offset);
    } else {
      ++unsettled_;
    }
    --waiting_records_;
    if (++next_in_front_ == batch.records.size()) {
      waiting_.pop_front();
      next_in_front_ = 0;
    }
  }
  // Drain: credit the client granted but we have nothing for goes back.
  if (waiting_.empty() && sender_.credit() > 0 && sender_.draining()) sender_.return_credit();
  if (!sent_presettled.empty()) ack_presettled(sent_presettled);
  update_window();
}

void OutgoingLink::ack_presettled(std::vector<std::pair<std::int32_t, std::int64_t>>& sent) {
  // At-most-once: a record is done once on the wire. With nothing left
  // waiting, this consumer holds no other record of these partitions, so one
  // cumulative ack per partition settles them all.
  if (waiting_.empty()) {
    std::map<std::int32_t, std::int64_t> highest;
    for (const auto& [partition, offset] : sent) {
      auto& top = highest.try_emplace(partition, offset).first->second;
      top = std::max(top, offset);
    }
    for (const auto& [partition, offset] : highest) (void)consumer_->ack_through(partition, offset);
  } else {
    for (const auto& [partition, offset] : sent) (void)consumer_->ack(partition, offset);
  }
  sent.clear();
}

void OutgoingLink::on_accept(proton::tracker& tracker) { settle(tracker, Outcome::accept); }

void OutgoingLink::on_reject(proton::tracker& tracker) { settle(tracker, Outcome::dead_letter); }

// Modified counts as released, also with undeliverable-here: the kernel has
// no per-consumer exclusion, so the record may come back to this link.
void OutgoingLink::on_release(proton::tracker& tracker) { settle(tracker, Outcome::redeliver); }

void OutgoingLink::on_settle(proton::tracker& tracker) {
  // Settled with no outcome: the receiver never said it processed the
  // message, so it is redelivered (released is the source's default outcome).
  if (tracker.state() == proton::transfer::NONE) settle(tracker, Outcome::redeliver);
}

void OutgoingLink::settle(proton::tracker& tracker, Outcome outcome) {
  if (!consumer_) return;
  const auto record = tagged_record(tracker);
  if (!record) return;
  if (unsettled_ > 0) --unsettled_;
  Result<void> settled = [&] {
    switch (outcome) {
      case Outcome::accept:
        return consumer_->ack(record->partition, record->offset);
      case Outcome::redeliver:
        return consumer_->nack(record->partition, record->offset);
      case Outcome::dead_letter:
        break;
    }
    return consumer_->reject(record->partition, record->offset);
  }();
  if (!settled) {
    // Usually an ack timeout gave the record to another consumer already.
    amqp_logger().debug() << "settling " << record->partition << "@" << record->offset
                          << " on link '" << sender_.name() << "': " << settled.error().message;
  }
  // A receiver in rcv-settle-mode "second" waits for us to settle first.
  if (!tracker.settled()) tracker.settle();
  // With credit left, the next flow, batch or send narrows the window anyway
  // (and sends cannot outrun the credit); a receiver that settles without
  // granting more would otherwise leave records stranded here.
  if (sender_.credit() == 0) schedule_window_update();
}

void OutgoingLink::schedule_window_update() {
  // Settlements arrive in bursts, usually with the credit that refills
  // them: narrow the window once after the burst, not once per delivery.
  if (window_update_scheduled_) return;
  window_update_scheduled_ = true;
  std::weak_ptr<OutgoingLink> weak = weak_from_this();
  const bool queued = sender_.work_queue().add([weak] {
    if (auto self = weak.lock()) {
      self->window_update_scheduled_ = false;
      self->update_window();
    }
  });
  if (!queued) window_update_scheduled_ = false;
}

void OutgoingLink::update_window() {
  if (!consumer_) return;
  const auto credit = std::uint32_t(std::max(0, sender_.credit()));
  const std::uint32_t window = unsettled_ + credit;
  // Settlements and the credit that replaces them often leave the window as
  // it was, and the kernel wakes by itself only once half of it is free. While
  // the credit exceeds what waits here the kernel has room: ask once per
  // batch, so deliveries keep pace with the receiver instead of coming in
  // half-window waves.
  const bool starved = credit > waiting_records_;
  if (window == window_ && (!starved || asked_for_more_)) return;
  window_ = window;
  asked_for_more_ = starved;
  consumer_->set_max_unacked(window, kWindowBytes);
}

}  // namespace junction::amqp
