#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "junction/record.hpp"
#include "junction/result.hpp"

namespace junction {

// How records of a topic reach its consumers (DESIGN.md "Delivery modes").
enum class DeliveryMode {
  broadcast,  // every consumer gets every record from its own start position
  queue,      // a named subscription; each record goes to exactly one consumer
  multicast,  // several named groups; one copy per group, shared out inside it
};

const char* to_string(DeliveryMode mode) noexcept;

struct StartPosition {
  enum class Kind { earliest, latest, offset, timestamp };
  Kind kind = Kind::latest;
  std::int64_t value = 0;  // the offset or the timestamp (ms)

  static StartPosition earliest() { return {Kind::earliest, 0}; }
  static StartPosition latest() { return {Kind::latest, 0}; }
  static StartPosition at_offset(std::int64_t offset) { return {Kind::offset, offset}; }
  static StartPosition at_timestamp(std::int64_t ms) { return {Kind::timestamp, ms}; }
};

struct SubscriptionSpec {
  std::string topic;
  // Empty: a private broadcast subscriber, gone when it detaches. Named
  // subscriptions are durable: their progress survives detaches and restarts.
  std::string name;
  DeliveryMode mode = DeliveryMode::broadcast;
  // Used when the subscription is created. Default: earliest for queue and
  // multicast (a queue holds what came before its first consumer), latest
  // for broadcast.
  std::optional<StartPosition> start;
  // Keeps every record of one key on one consumer at a time (Pulsar's
  // Key_Shared), so per-key order holds in a shared subscription.
  bool key_shared = false;
};

struct ConsumerOptions {
  // Flow control: the most delivered-but-unacknowledged records and bytes
  // this consumer may hold. The kernel buffers nothing beyond it.
  std::uint32_t max_unacked_records = 1000;
  std::uint64_t max_unacked_bytes = 16u << 20;
  // Called once if the subscription ends under the consumer (its topic or
  // the subscription was deleted), so a transport can close the link. Runs on
  // the deleting thread; must not block.
  std::function<void(const Error&)> on_closed;
};

struct DeliveredRecord {
  std::int32_t partition = 0;
  std::int32_t attempt = 1;  // 1 on first delivery, +1 per redelivery
  const StoredRecord* record = nullptr;
};

// One call of a consumer's callback. `records` point into data that lives as
// long as `keep_alive` (and the batch) is held.
struct DeliveryBatch {
  std::string topic;
  std::vector<DeliveredRecord> records;
  std::shared_ptr<const void> keep_alive;
};

// Runs on a kernel dispatcher thread, never under a kernel lock. It must not
// block: a transport re-posts the batch to its own executor.
using DeliveryCallback = std::function<void(DeliveryBatch)>;

// An attached consumer. Destroying it detaches it. Drop it before the kernel
// goes (a transport's stop() does).
class Consumer {
 public:
  virtual ~Consumer() = default;

  // Done with the record: it is never delivered to this subscription again.
  virtual Result<void> ack(std::int32_t partition, std::int64_t offset) = 0;
  // Cumulative: acks every record of `partition` delivered to this consumer
  // at or below `offset` (cheap for broadcast subscribers and batch clients).
  virtual Result<void> ack_through(std::int32_t partition, std::int64_t offset) = 0;
  // Redeliver now, to any consumer (counts as an attempt).
  virtual Result<void> nack(std::int32_t partition, std::int64_t offset) = 0;
  // Dead-letter now, whatever the attempt count (AMQP "rejected").
  virtual Result<void> reject(std::int32_t partition, std::int64_t offset) = 0;
  // Changes the flow-control window (e.g. AMQP link credit).
  virtual void set_max_unacked(std::uint32_t records, std::uint64_t bytes) = 0;
  // Stops deliveries; unacked records go back to the other consumers. After
  // it returns, the callback is not running and will not run again.
  virtual void detach() = 0;
};

struct CommittedOffset {
  std::int64_t offset = -1;
  std::string metadata;
};

struct SubscriptionInfo {
  std::string topic;
  std::string name;
  DeliveryMode mode = DeliveryMode::queue;
  bool key_shared = false;
  std::size_t consumers = 0;
  // Per partition: the lowest offset not yet acknowledged.
  std::vector<std::int64_t> ack_floor;
};

}  // namespace junction
