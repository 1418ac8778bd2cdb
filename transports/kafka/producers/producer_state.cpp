#include "producers/producer_state.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace junction::kafka {
namespace {

using SteadyClock = std::chrono::steady_clock;

// As many batches per producer as Kafka keeps, which is also how many a
// client may have in flight on one partition with idempotence on.
constexpr std::size_t kRememberedBatches = 5;
// Kafka's producer.id.expiration.ms default: producers idle this long are
// forgotten, so the table does not grow with every client that ever came.
constexpr auto kProducerExpiry = std::chrono::hours(24);
constexpr std::size_t kFirstPruneAt = 1024;

constexpr std::int32_t kMaxSequence = std::numeric_limits<std::int32_t>::max();

// How much of a partition's tail is read to rebuild its producers after a
// restart: a client retries only its last few batches, which sit near the end.
constexpr std::int64_t kRecoveryRecords = 100'000;
constexpr std::size_t kRecoveryBytes = 64 << 20;
constexpr std::size_t kRecoveryFetchBytes = 1 << 20;

// Sequences wrap from INT32_MAX to 0, as in Kafka.
std::int32_t sequence_plus(std::int32_t sequence, std::int32_t delta) {
  return static_cast<std::int32_t>((static_cast<std::int64_t>(sequence) + delta) %
                                   (static_cast<std::int64_t>(kMaxSequence) + 1));
}

AppendOutcome failure(ErrorCode error, std::string message) {
  AppendOutcome outcome;
  outcome.error = error;
  outcome.message = std::move(message);
  return outcome;
}

// One reserved batch, from the moment it is handed to the kernel until the
// kernel's answer and for as long as it is remembered for duplicates.
struct PendingAppend {
  std::mutex mutex;
  bool in_kernel_call = true;  // produce_batch has not returned yet
  bool settled = false;
  AppendOutcome outcome;
  std::vector<AppendCallback> waiters;

  // Runs `done` with the outcome, now or when it is known.
  void when_settled(AppendCallback done) {
    std::unique_lock lock(mutex);
    if (!settled) {
      waiters.push_back(std::move(done));
      return;
    }
    auto known = outcome;
    lock.unlock();
    done(known);
  }
};

struct SequenceRange {
  std::int32_t first = 0;
  std::int32_t last = 0;
  std::shared_ptr<PendingAppend> append;
};

struct ProducerEntry {
  std::int16_t epoch = 0;
  std::deque<SequenceRange> batches;  // oldest first
  SteadyClock::time_point last_used;
};

}  // namespace

AppendOutcome to_append_outcome(const Result<ProduceAck>& result) {
  if (!result) return failure(to_error_code(result.error().code), result.error().message);
  AppendOutcome outcome;
  outcome.ack = result.value();
  return outcome;
}

struct ProducerStateTable::PartitionProducers {
  // Held across the sequence check and the kernel append, so that the order
  // of sequences and the order of offsets agree.
  std::mutex mutex;
  std::unordered_map<std::int64_t, ProducerEntry> producers;
  std::size_t prune_at = kFirstPruneAt;

  void prune_idle(SteadyClock::time_point now) {
    if (producers.size() < prune_at) return;
    std::erase_if(producers, [now](const auto& item) {
      return now - item.second.last_used > kProducerExpiry;
    });
    prune_at = std::max(kFirstPruneAt, producers.size() * 2);
  }

  // Remembers a batch found in the log as already appended.
  void remember_stored(const batch::Header& header, std::int32_t partition,
                       SteadyClock::time_point now) {
    auto& producer = producers[header.producer_id];
    if (producer.batches.empty() || header.producer_epoch > producer.epoch) {
      producer.epoch = header.producer_epoch;
      producer.batches.clear();
    } else if (header.producer_epoch < producer.epoch) {
      return;
    }
    auto append = std::make_shared<PendingAppend>();
    append->in_kernel_call = false;
    append->settled = true;
    append->outcome.ack =
        ProduceAck{partition, header.base_offset, header.last_offset(), header.max_timestamp};
    producer.batches.push_back(SequenceRange{
        header.base_sequence, sequence_plus(header.base_sequence, header.last_offset_delta),
        std::move(append)});
    if (producer.batches.size() > kRememberedBatches) producer.batches.pop_front();
    producer.last_used = now;
  }

  // Drops a reservation whose append failed, so the client's retry is
  // appended rather than taken for a duplicate. Caller holds `mutex`.
  void forget(std::int64_t producer_id, const PendingAppend* append) {
    auto found = producers.find(producer_id);
    if (found == producers.end()) return;
    std::erase_if(found->second.batches,
                  [append](const SequenceRange& range) { return range.append.get() == append; });
  }
};

std::shared_ptr<ProducerStateTable::PartitionProducers> ProducerStateTable::partition_producers(
    std::string_view topic, std::int32_t partition) {
  std::lock_guard lock(mutex_);
  auto topic_entry = partitions_.find(topic);
  if (topic_entry == partitions_.end()) {
    topic_entry =
        partitions_.emplace(std::string(topic), decltype(partitions_)::mapped_type{}).first;
  }
  auto& slot = topic_entry->second[partition];
  if (!slot) {
    slot = std::make_shared<PartitionProducers>();
    recover_from_log(*slot, topic, partition);
  }
  return slot;
}

void ProducerStateTable::recover_from_log(PartitionProducers& state, std::string_view topic,
                                          std::int32_t partition) const {
  auto offsets = kernel_.offsets(topic, partition);
  if (!offsets) return;
  const auto end = offsets->high_watermark;
  auto next = std::max(offsets->log_start_offset, end - kRecoveryRecords);
  PartitionProducers found;
  const auto now = SteadyClock::now();
  std::size_t scanned = 0;
  while (next < end) {
    auto fetched = kernel_.fetch(topic, partition, next, kRecoveryFetchBytes);
    if (!fetched || fetched->batches.empty()) return;
    std::string_view bytes = fetched->batches;
    while (!bytes.empty()) {
      auto header = batch::parse_header(bytes);
      if (!header || header->total_size() > bytes.size()) return;
      if (header->producer_id >= 0 && header->base_sequence >= 0 && !header->is_control()) {
        found.remember_stored(*header, partition, now);
      }
      next = std::max(next, header->last_offset() + 1);
      bytes.remove_prefix(header->total_size());
    }
    // Only the whole tail is worth having: a producer seen partway would be
    // told its latest retry is out of order.
    scanned += fetched->batches.size();
    if (scanned > kRecoveryBytes) return;
  }
  state.producers = std::move(found.producers);
}

void ProducerStateTable::append(std::string_view topic, std::int32_t partition,
                                const batch::Header& header, std::string batch,
                                AppendCallback done) {
  const auto producer_id = header.producer_id;
  const auto epoch = header.producer_epoch;
  const auto first = header.base_sequence;
  if (first < 0) {
    return done(failure(ErrorCode::invalid_record, "idempotent batch from producer " +
                                                       std::to_string(producer_id) +
                                                       " has no sequence number"));
  }
  const auto last = sequence_plus(first, header.last_offset_delta);

  auto state = partition_producers(topic, partition);
  std::unique_lock lock(state->mutex);
  const auto now = SteadyClock::now();
  state->prune_idle(now);

  auto [entry, unknown] = state->producers.try_emplace(producer_id);
  ProducerEntry& producer = entry->second;
  if (unknown) {
    producer.epoch = epoch;
  } else if (epoch < producer.epoch) {
    lock.unlock();
    return done(failure(ErrorCode::invalid_producer_epoch,
                        "producer epoch " + std::to_string(epoch) + " is older than " +
                            std::to_string(producer.epoch)));
  } else if (epoch > producer.epoch) {
    if (first != 0) {
      lock.unlock();
      return done(
          failure(ErrorCode::out_of_order_sequence_number,
                  "a new producer epoch must start at sequence 0, not " + std::to_string(first)));
    }
    producer.epoch = epoch;
    producer.batches.clear();
  } else {
    for (const auto& range : producer.batches) {
      if (range.first == first && range.last == last) {
        auto original = range.append;
        lock.unlock();
        return original->when_settled(std::move(done));
      }
    }
    if (!producer.batches.empty()) {
      const auto expected = sequence_plus(producer.batches.back().last, 1);
      if (first != expected) {
        lock.unlock();
        return done(failure(ErrorCode::out_of_order_sequence_number,
                            "sequence " + std::to_string(first) + " from producer " +
                                std::to_string(producer_id) + ", expected " +
                                std::to_string(expected)));
      }
    }
  }

  auto append = std::make_shared<PendingAppend>();
  append->waiters.push_back(std::move(done));
  producer.batches.push_back(SequenceRange{first, last, append});
  if (producer.batches.size() > kRememberedBatches) producer.batches.pop_front();
  producer.last_used = now;

  kernel_.produce_batch(
      topic, partition, std::move(batch), [state, producer_id, append](Result<ProduceAck> result) {
        auto outcome = to_append_outcome(result);
        std::vector<AppendCallback> waiters;
        bool forget_here = false;
        {
          std::lock_guard append_lock(append->mutex);
          append->settled = true;
          append->outcome = outcome;
          waiters.swap(append->waiters);
          // While produce_batch is still running its caller holds the
          // partition's mutex and forgets a failure itself.
          forget_here = !append->in_kernel_call && outcome.error != ErrorCode::none;
        }
        if (forget_here) {
          std::lock_guard partition_lock(state->mutex);
          state->forget(producer_id, append.get());
        }
        for (auto& waiter : waiters) waiter(outcome);
      });

  bool failed_at_once = false;
  {
    std::lock_guard append_lock(append->mutex);
    append->in_kernel_call = false;
    failed_at_once = append->settled && append->outcome.error != ErrorCode::none;
  }
  if (failed_at_once) state->forget(producer_id, append.get());
}

}  // namespace junction::kafka
