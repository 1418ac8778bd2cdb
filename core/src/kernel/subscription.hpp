#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "junction/kernel.hpp"
#include "junction/subscription.hpp"
#include "kernel/dispatcher.hpp"
#include "kernel/local_kernel_options.hpp"
#include "storage/subscription_journal.hpp"

namespace junction::kernel {

// Records of one stored batch, decoded once and shared by every reader.
struct DecodedBatch {
  std::int64_t base_offset = 0;
  std::int64_t end_offset = 0;  // last offset + 1
  std::vector<StoredRecord> records;

  // The record at `offset`, or null (compacted away, or a control batch).
  const StoredRecord* find(std::int64_t offset) const;
};

// What a subscription needs from the kernel.
class DeliverySource {
 public:
  virtual ~DeliverySource() = default;
  // The decoded batch holding `offset`, or the first after it.
  virtual Result<std::shared_ptr<const DecodedBatch>> decoded_batch(const std::string& topic,
                                                                    std::int32_t partition,
                                                                    std::int64_t offset) = 0;
  virtual Result<PartitionOffsets> partition_offsets(const std::string& topic,
                                                     std::int32_t partition) = 0;
  virtual Result<std::shared_ptr<DataWait>> wait_for_new_data(const std::string& topic,
                                                              std::int32_t partition,
                                                              std::int64_t offset,
                                                              std::function<void()> wake) = 0;
  // Appends `record` to the dead-letter topic; `done(true)` once stored.
  virtual void dead_letter(const std::string& topic, Record record,
                           std::function<void(bool stored)> done) = 0;
};

// One subscription of a topic: its consumers, what each holds, and the
// progress of every partition. Named subscriptions keep that progress in a
// journal; a private broadcast subscription has none and ends with its
// consumer. All state is guarded by one mutex, never held while calling a
// consumer's callback or producing; it is held while reading the kernel's
// partitions (offsets, decoded batches, waits), which never call back into a
// subscription but through the dispatcher's queue.
class Subscription final : public Dispatchable, public std::enable_shared_from_this<Subscription> {
 public:
  Subscription(DeliverySource& source, Dispatcher& dispatcher, storage::SubscriptionMeta meta,
               const DeliveryConfig& config, FlushPolicy flush,
               std::vector<storage::PartitionProgress> progress,
               std::unique_ptr<storage::SubscriptionJournal> journal);
  ~Subscription() override;

  Result<std::shared_ptr<Consumer>> attach(const ConsumerOptions& options,
                                           DeliveryCallback deliver);
  void dispatch() override;
  // Returns timed-out deliveries to the subscription.
  void expire_deliveries(std::int64_t now_ms);
  // Detaches every consumer; the journal is removed when `forget` is set.
  void close(bool forget);

  const storage::SubscriptionMeta& meta() const { return meta_; }
  bool is_private() const { return meta_.name.empty(); }
  SubscriptionInfo info() const;
  // The lowest unacked offset of a partition (what retention must keep).
  std::int64_t ack_floor(std::int32_t partition) const;
  // Writes the journal's buffer; compacts it into a snapshot when large.
  void persist();
  // Set by the registry to drop a private subscription once it is empty.
  void on_empty(std::function<void()> callback);

 private:
  class Member;
  friend class Member;
  // Shared by a consumer handle and the subscription: lets detach() wait for
  // a callback that is running, without the subscription owning the handle.
  struct Gate {
    std::atomic<bool> detached{false};
    std::atomic<bool> running{false};
    std::atomic<std::thread::id> runner{};
  };

  enum class SlotState : std::uint8_t { pending, in_flight, acked, dead_lettering };
  // One offset between the floor and the delivery front.
  struct Slot {
    SlotState state = SlotState::pending;
    bool has_key = false;
    std::uint16_t attempts = 0;
    std::uint32_t consumer = 0;
    std::uint32_t round = 0;  // the dispatch round of its current delivery
    std::uint32_t bytes = 0;
    std::uint32_t key_hash = 0;
  };
  // What one consumer got from one partition in one round: one deadline.
  struct DeliveredRange {
    std::int64_t deadline_ms;
    std::uint32_t round;
    std::int32_t partition;
    std::int64_t first;
    std::int64_t last;
  };
  struct PartitionState {
    std::int64_t floor = 0;     // slots[0] is this offset; all below are acked
    std::int64_t next_new = 0;  // the next offset not yet delivered in this life
    std::deque<Slot> slots;     // [floor, floor + slots.size())
    std::deque<std::int64_t> redeliver;
    std::shared_ptr<const DecodedBatch> batch;  // the batch around next_new
    std::shared_ptr<DataWait> wait;
    std::shared_ptr<std::atomic<bool>> wait_fired;
  };
  struct ConsumerState {
    std::uint32_t id = 0;
    ConsumerOptions options;
    DeliveryCallback deliver;
    std::shared_ptr<Gate> gate;
    std::uint32_t unacked_records = 0;
    std::uint64_t unacked_bytes = 0;
    std::deque<DeliveredRange> deadlines;
  };
  struct Outgoing {
    std::shared_ptr<Gate> gate;
    DeliveryCallback deliver;
    DeliveryBatch batch;
    std::vector<std::shared_ptr<const DecodedBatch>> holders;
  };
  struct DeadLetter {
    std::int32_t partition;
    std::int64_t offset;
    const char* reason;
    std::uint16_t attempts;
    Record record;
  };
  struct DeadLetterRetry {
    std::int64_t due_ms;
    std::int32_t partition;
    std::int64_t offset;
    const char* reason;
  };
  enum class Settle { ack, ack_through, nack, reject };

  Slot* slot(std::int32_t partition, std::int64_t offset);
  bool has_credit(const ConsumerState& consumer, std::uint64_t bytes) const;
  ConsumerState* choose_consumer(const StoredRecord& record, std::uint64_t bytes);
  void release_credit(ConsumerState& consumer, const Slot& s);
  void mark_acked(std::int32_t partition, std::int64_t offset, Slot& s);
  void return_to_pending(std::int32_t partition, std::int64_t offset, Slot& s, const char* reason,
                         std::vector<DeadLetter>& dead, bool front);
  void advance_floor(std::int32_t partition);
  void skip_to(std::int32_t partition, std::int64_t log_start);
  const StoredRecord* record_at(std::int32_t partition, std::int64_t offset,
                                std::shared_ptr<const DecodedBatch>& holder, bool& missing);
  void fill_partition(std::int32_t partition, std::map<std::uint32_t, Outgoing>& outgoing,
                      std::vector<DeadLetter>& dead);
  void deliver_outgoing(std::map<std::uint32_t, Outgoing>& outgoing);
  void send_dead_letters(std::vector<DeadLetter> dead);
  void dead_lettered(std::int32_t partition, std::int64_t offset, const char* reason, bool stored);
  void key_released(const Slot& s);
  Result<void> settle(std::uint32_t consumer, std::int32_t partition, std::int64_t offset,
                      Settle how);
  void detach(std::uint32_t consumer, Gate& gate);
  void set_window(std::uint32_t consumer, std::uint32_t records, std::uint64_t bytes);
  std::vector<storage::PartitionProgress> progress_locked() const;
  void reschedule();
  Error closed_error() const;

  DeliverySource& source_;
  Dispatcher& dispatcher_;
  const storage::SubscriptionMeta meta_;
  const DeliveryConfig config_;
  const FlushPolicy flush_;
  std::unique_ptr<storage::SubscriptionJournal> journal_;

  mutable std::mutex mutex_;
  std::vector<PartitionState> partitions_;
  std::map<std::uint32_t, ConsumerState> consumers_;
  std::uint32_t next_consumer_id_ = 1;
  std::uint32_t round_ = 0;
  std::size_t next_partition_ = 0;
  std::uint32_t last_consumer_ = 0;  // round robin among consumers
  // key_shared: key hash -> (owning consumer, its records of the key in flight).
  std::unordered_map<std::uint32_t, std::pair<std::uint32_t, std::uint32_t>> key_owners_;
  std::deque<DeadLetterRetry> dead_letter_retries_;
  std::function<void()> on_empty_;
  std::atomic<bool> closed_{false};
  // dispatch() runs on one thread at a time; requests made while it runs
  // make it go round again.
  std::atomic<int> dispatch_requests_{0};
};

}  // namespace junction::kernel
