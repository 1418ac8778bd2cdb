#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <proton/receiver.hpp>
#include <unordered_map>
#include <vector>

#include "address.hpp"
#include "link_context.hpp"

namespace proton {
class delivery;
class message;
}  // namespace proton

namespace junction::amqp {

// A sender attached to the broker (the broker's receiver link): its messages
// are produced to the topic its target names. Messages that arrive together
// go to the kernel as one produce per partition; an unsettled message is
// accepted once the kernel acknowledges its produce (after the fsync under
// flush = "always"). Credit keeps at most max_in_flight_messages between the
// client and that acknowledgement. Runs on the connection's thread.
class IncomingLink : public std::enable_shared_from_this<IncomingLink> {
 public:
  // Opens `receiver` for the target it names, or refuses it with a condition
  // (then nullptr).
  static std::shared_ptr<IncomingLink> open(proton::receiver& receiver, LinkContext& context);

  IncomingLink(proton::receiver receiver, LinkContext& context, ProduceTarget target,
               std::size_t max_message_bytes);

  void on_message(proton::delivery& delivery, proton::message& message);
  // The link or its connection is closing: what arrived is still produced,
  // but nothing is settled or credited any more.
  void closed();

 private:
  // Messages waiting for the next produce to one partition.
  struct Batch {
    std::int32_t partition = 0;
    std::vector<Record> records;
    std::vector<proton::delivery> unsettled;
    std::size_t bytes = 0;
  };
  // A produce the kernel has not acknowledged yet.
  struct InFlight {
    std::vector<proton::delivery> unsettled;
    std::uint32_t messages = 0;
  };

  Result<std::int32_t> partition_for(const Record& record);
  Batch& batch_for(std::int32_t partition);
  void flush();
  void produce(Batch batch);
  void on_produced(std::uint64_t id, const Result<ProduceAck>& result);
  void refuse(proton::delivery& delivery, const proton::error_condition& condition);
  void top_up_credit();

  proton::receiver receiver_;
  LinkContext& context_;
  const ProduceTarget target_;
  const std::size_t max_message_bytes_;
  std::vector<Batch> batches_;
  // Unkeyed messages of one flush share a partition, so they make one batch.
  std::optional<std::int32_t> unkeyed_partition_;
  bool closed_ = false;
  std::unordered_map<std::uint64_t, InFlight> in_flight_produces_;
  std::uint64_t next_produce_id_ = 0;
  // Messages received whose produce is not acknowledged yet.
  std::uint32_t in_flight_messages_ = 0;
};

}  // namespace junction::amqp
