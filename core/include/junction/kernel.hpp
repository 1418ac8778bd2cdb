#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "junction/record.hpp"
#include "junction/result.hpp"
#include "junction/subscription.hpp"
#include "junction/topic.hpp"

namespace junction {

inline constexpr std::int32_t kAnyPartition = -1;

struct ProduceAck {
  std::int32_t partition = 0;
  std::int64_t base_offset = 0;
  std::int64_t last_offset = 0;
  // The broker's time at append; what LogAppendTime topics store.
  std::int64_t append_time_ms = 0;
};

// Runs once per produce, when the append is acknowledged by the flush policy:
// at once after the append ("interval"), or after the fsync that covers it
// ("always"; then on the kernel's flusher thread). Never under a kernel lock;
// a transport re-posts it to its own executor.
using ProduceCallback = std::function<void(Result<ProduceAck>)>;

struct PartitionOffsets {
  std::int64_t log_start_offset = 0;  // earliest retained offset
  std::int64_t high_watermark = 0;    // offset the next record will get
};

struct FetchResult {
  // Whole stored batches, byte for byte. The first may start before the
  // requested offset; readers skip records below it, as Kafka consumers do.
  std::string batches;
  PartitionOffsets offsets;
};

// Who leads a partition. In a cluster each partition lives on one broker.
struct PartitionLeader {
  std::int32_t broker_id = -1;  // -1: no live broker leads it now
  std::int32_t leader_epoch = 0;
  bool local = false;  // this broker leads it
};

// A pending wait_for_data. Dropping the handle does not cancel the wait.
class DataWait {
 public:
  virtual ~DataWait() = default;
  // After cancel() returns the callback has finished or will never start, so
  // its captures may be destroyed. It may be called from inside the callback.
  virtual void cancel() = 0;
};

// What every transport uses to reach the data. Thread-safe; no call blocks on
// I/O except fetch's read of stored bytes.
class Kernel {
 public:
  virtual ~Kernel() = default;

  // partitions == 0 takes [topics] default_partitions.
  virtual Result<TopicInfo> create_topic(std::string_view name, std::int32_t partitions = 0) = 0;
  virtual Result<void> delete_topic(std::string_view name) = 0;
  virtual Result<TopicInfo> describe_topic(std::string_view name) const = 0;
  // describe_topic, or create it with the defaults when auto_create is on.
  virtual Result<TopicInfo> ensure_topic(std::string_view name) = 0;
  virtual std::vector<TopicInfo> list_topics() const = 0;

  // The partition a record with this key goes to when the producer names none:
  // Kafka's murmur2 for a key, round robin otherwise.
  virtual Result<std::int32_t> choose_partition(std::string_view topic,
                                                const std::optional<std::string>& key) = 0;

  // Appends `records` to one partition (kAnyPartition: choose_partition of the
  // first record's key). Records without a timestamp get the append time.
  virtual void produce(std::string_view topic, std::int32_t partition, std::vector<Record> records,
                       ProduceCallback done) = 0;
  // Appends an already-encoded RecordBatch v2 (from a Kafka producer) after
  // checking its CRC and size; offsets are assigned without re-encoding.
  virtual void produce_batch(std::string_view topic, std::int32_t partition, std::string batch,
                             ProduceCallback done) = 0;

  // Stored batches from `offset`, at most `max_bytes` unless the first batch
  // alone is larger (then exactly that batch, so a reader always progresses).
  // offset == high watermark gives an empty result; beyond it or below the log
  // start, offset_out_of_range.
  virtual Result<FetchResult> fetch(std::string_view topic, std::int32_t partition,
                                    std::int64_t offset, std::size_t max_bytes) const = 0;
  virtual Result<PartitionOffsets> offsets(std::string_view topic,
                                           std::int32_t partition) const = 0;
  // The first offset whose record timestamp is >= timestamp_ms; nullopt if none.
  virtual Result<std::optional<std::int64_t>> offset_for_timestamp(
      std::string_view topic, std::int32_t partition, std::int64_t timestamp_ms) const = 0;

  // Calls `wake(true)` once the partition's high watermark passes `offset`, or
  // `wake(false)` at the deadline, whichever comes first, exactly once unless
  // cancelled. Same threading rules as ProduceCallback.
  virtual Result<std::shared_ptr<DataWait>> wait_for_data(
      std::string_view topic, std::int32_t partition, std::int64_t offset,
      std::chrono::steady_clock::time_point deadline, std::function<void(bool)> wake) = 0;

  // Attaches a consumer to a subscription, creating the subscription if it
  // does not exist (the topic too, under auto_create). Deliveries start at
  // once, up to the consumer's window.
  virtual Result<std::shared_ptr<Consumer>> subscribe(const SubscriptionSpec& spec,
                                                      const ConsumerOptions& options,
                                                      DeliveryCallback deliver) = 0;
  // Detaches every consumer and frees the subscription's durable state.
  virtual Result<void> delete_subscription(std::string_view topic, std::string_view name) = 0;
  virtual std::vector<SubscriptionInfo> list_subscriptions(std::string_view topic) const = 0;

  // Kafka consumer groups' committed offsets, kept durably by the kernel.
  virtual Result<void> commit_offset(std::string_view group, std::string_view topic,
                                     std::int32_t partition, CommittedOffset offset) = 0;
  virtual Result<std::optional<CommittedOffset>> committed_offset(std::string_view group,
                                                                  std::string_view topic,
                                                                  std::int32_t partition) const = 0;
  virtual std::vector<std::string> list_groups() const = 0;
  virtual Result<void> delete_group(std::string_view group) = 0;

  // The cluster. A single broker leads everything. In a cluster, produce and
  // subscribe reach a partition's leader from any broker, while fetch,
  // offsets, offset_for_timestamp and wait_for_data serve only partitions led
  // here (not_leader otherwise), so a Kafka client can be told to move.
  virtual std::int32_t broker_id() const = 0;
  virtual Result<PartitionLeader> partition_leader(std::string_view topic,
                                                   std::int32_t partition) const = 0;
  // The broker that keeps a Kafka-style group's membership and committed
  // offsets (leader_not_available while it is down).
  virtual Result<std::int32_t> group_coordinator(std::string_view group) const = 0;

  // Blocking conveniences over the callback API, for tools and tests.
  Result<ProduceAck> produce_and_wait(std::string_view topic, std::int32_t partition,
                                      std::vector<Record> records);
  Result<ProduceAck> produce_batch_and_wait(std::string_view topic, std::int32_t partition,
                                            std::string batch);
};

}  // namespace junction
