#include "incoming_link.hpp"

#include <proton/delivery.h>
#include <proton/disposition.h>
#include <proton/link.h>

#include <algorithm>
#include <proton/delivery.hpp>
#include <proton/error_condition.hpp>
#include <proton/message.hpp>
#include <proton/receiver_options.hpp>
#include <proton/target.hpp>
#include <proton/work_queue.hpp>

#include "amqp_conditions.hpp"
#include "amqp_logger.hpp"
#include "message_mapping.hpp"
#include "proton_c_access.hpp"

namespace junction::amqp {
namespace {

// Room a record takes in a RecordBatch v2 beyond its payload (length, attributes,
// deltas, key/value lengths), and per header; generous, so a full batch never
// exceeds the topic's limit.
constexpr std::size_t kRecordOverhead = 40;
constexpr std::size_t kHeaderOverhead = 10;
constexpr std::size_t kBatchOverhead = 61 + 64;

std::size_t encoded_bytes(const Record& record) {
  return record_payload_bytes(record) + kRecordOverhead + record.headers.size() * kHeaderOverhead;
}

}  // namespace

std::shared_ptr<IncomingLink> IncomingLink::open(proton::receiver& receiver, LinkContext& context) {
  pn_link_t* link = c_link(receiver);
  auto address = receiver.target().address();
  auto target = parse_target_address(address);
  if (!target) {
    refuse_link(receiver, condition_for(target.error()));
    return nullptr;
  }
  auto topic = context.kernel.ensure_topic(target->topic);
  if (!topic) {
    refuse_link(receiver, condition_for(topic.error()));
    return nullptr;
  }
  if (target->partition != kAnyPartition && target->partition >= topic->partitions) {
    refuse_link(receiver,
                proton::error_condition(kNotFound, "topic \"" + target->topic + "\" has " +
                                                       std::to_string(topic->partitions) +
                                                       " partitions; there is no partition " +
                                                       std::to_string(target->partition)));
    return nullptr;
  }
  std::size_t max_bytes = static_cast<std::size_t>(topic->config.max_message_bytes);
  if (context.config.max_message_bytes > 0) {
    max_bytes = std::min(max_bytes, static_cast<std::size_t>(context.config.max_message_bytes));
  }
  pn_link_set_max_message_size(link, max_bytes);
  receiver.open(proton::receiver_options().auto_accept(false).credit_window(0));
  auto opened = std::make_shared<IncomingLink>(receiver, context, std::move(*target), max_bytes);
  opened->top_up_credit();
  return opened;
}

IncomingLink::IncomingLink(proton::receiver receiver, LinkContext& context, ProduceTarget target,
                           std::size_t max_message_bytes)
    : receiver_(std::move(receiver)),
      context_(context),
      target_(std::move(target)),
      max_message_bytes_(max_message_bytes) {}

void IncomingLink::on_message(proton::delivery& delivery, proton::message& message) {
  Record record;
  if (auto mapped = message_to_record(message, record); !mapped) {
    return refuse(delivery, condition_for(mapped.error()));
  }
  const std::size_t bytes = encoded_bytes(record);
  if (bytes + kBatchOverhead > max_message_bytes_) {
    return refuse(delivery,
                  proton::error_condition(kMessageSizeExceeded,
                                          "a message of about " + std::to_string(bytes) +
                                              " bytes is over the limit of " +
                                              std::to_string(max_message_bytes_) + " bytes"));
  }
  auto partition = partition_for(record);
  if (!partition) return refuse(delivery, condition_for(partition.error()));

  Batch* batch = &batch_for(*partition);
  if (!batch->records.empty() && batch->bytes + bytes + kBatchOverhead > max_message_bytes_) {
    produce(std::move(*batch));
    *batch = Batch{*partition, {}, {}, 0};
  }
  batch->records.push_back(std::move(record));
  batch->bytes += bytes;
  // A pre-settled message is at-most-once: nothing to answer.
  if (delivery.settled()) {
    delivery.settle();
  } else {
    batch->unsettled.push_back(delivery);
  }
  ++in_flight_messages_;
  // Deliveries read from the socket with this one are queued behind it:
  // they join the batch, which goes to the kernel after the last of them.
  if (pn_link_queued(c_link(receiver_)) == 0) flush();
}

Result<std::int32_t> IncomingLink::partition_for(const Record& record) {
  if (target_.partition != kAnyPartition) return target_.partition;
  if (record.key) return context_.kernel.choose_partition(target_.topic, record.key);
  if (!unkeyed_partition_) {
    auto chosen = context_.kernel.choose_partition(target_.topic, std::nullopt);
    if (!chosen) return chosen.error();
    unkeyed_partition_ = *chosen;
  }
  return *unkeyed_partition_;
}

IncomingLink::Batch& IncomingLink::batch_for(std::int32_t partition) {
  for (auto& batch : batches_) {
    if (batch.partition == partition) return batch;
  }
  batches_.push_back(Batch{partition, {}, {}, 0});
  return batches_.back();
}

void IncomingLink::flush() {
  unkeyed_partition_.reset();
  auto batches = std::move(batches_);
  batches_.clear();
  for (auto& batch : batches) {
    if (!batch.records.empty()) produce(std::move(batch));
  }
}

void IncomingLink::produce(Batch batch) {
  const auto id = next_produce_id_++;
  in_flight_produces_.emplace(
      id, InFlight{std::move(batch.unsettled), static_cast<std::uint32_t>(batch.records.size())});
  context_.callbacks.started();
  context_.kernel.produce(target_.topic, batch.partition, std::move(batch.records),
                          [mailbox = context_.mailbox, weak = weak_from_this(), id,
                           &callbacks = context_.callbacks](Result<ProduceAck> result) {
                            mailbox->post([weak, id, result = std::move(result)] {
                              if (auto self = weak.lock()) self->on_produced(id, result);
                            });
                            callbacks.finished();
                          });
}

void IncomingLink::on_produced(std::uint64_t id, const Result<ProduceAck>& result) {
  auto found = in_flight_produces_.find(id);
  if (found == in_flight_produces_.end()) return;
  if (!result) {
    amqp_logger().warn() << "produce to " << target_.topic << " failed: " << result.error().message;
  }
  if (!closed_) {
    for (auto& delivery : found->second.unsettled) {
      if (result) {
        delivery.accept();
      } else {
        refuse(delivery, condition_for(result.error()));
      }
    }
  }
  in_flight_messages_ -= found->second.messages;
  in_flight_produces_.erase(found);
  top_up_credit();
}

// A rejected outcome carrying the reason; the C API is the only way to set
// the condition of a disposition.
void IncomingLink::refuse(proton::delivery& delivery, const proton::error_condition& condition) {
  if (!delivery.settled()) {
    pn_delivery_t* raw = c_delivery(delivery);
    pn_condition_t* reason = pn_disposition_condition(pn_delivery_local(raw));
    pn_condition_set_name(reason, condition.name().c_str());
    pn_condition_set_description(reason, condition.description().c_str());
    pn_delivery_update(raw, PN_REJECTED);
  }
  delivery.settle();
  top_up_credit();
}

// Credit plus messages in flight never exceed the window; credit is given in
// steps of a quarter window to keep flow frames few.
void IncomingLink::top_up_credit() {
  if (closed_) return;
  const auto window = context_.config.max_in_flight_messages;
  const auto credit = static_cast<std::uint32_t>(std::max(receiver_.credit(), 0));
  const auto granted = in_flight_messages_ + credit;
  if (granted >= window) return;
  const auto room = window - granted;
  if (room >= std::max<std::uint32_t>(1, window / 4) || in_flight_messages_ == 0) {
    receiver_.add_credit(static_cast<int>(room));
  }
}

void IncomingLink::closed() {
  if (closed_) return;
  flush();
  closed_ = true;
  for (auto& [id, produce] : in_flight_produces_) produce.unsettled.clear();
}

}  // namespace junction::amqp
