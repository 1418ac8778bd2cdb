#include "kernel/subscription.hpp"

#include <algorithm>
#include <chrono>

#include "junction/log.hpp"
#include "junction/partitioner.hpp"
#include "kernel/wall_clock.hpp"

namespace junction::kernel {
namespace {

const Logger& logger() {
  static const Logger instance{"delivery"};
  return instance;
}

// Compacting the journal into a snapshot every this many bytes keeps restart
// replay short without rewriting the snapshot on every flush.
constexpr std::uint64_t kSnapshotJournalBytes = 4u << 20;

std::uint32_t key_hash(const std::string& key) { return std::uint32_t(murmur2(key)); }

std::uint64_t record_bytes(const StoredRecord& stored) {
  const Record& r = stored.record;
  std::uint64_t bytes = (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
  for (const auto& header : r.headers) {
    bytes += header.key.size() + (header.value ? header.value->size() : 0);
  }
  return bytes;
}

Error not_held(std::int32_t partition, std::int64_t offset) {
  return make_error(Errc::invalid_argument,
                    "record " + std::to_string(partition) + "/" + std::to_string(offset) +
                        " is not held by this consumer (never delivered to it, already settled, "
                        "or redelivered after a timeout)");
}

}  // namespace

const StoredRecord* DecodedBatch::find(std::int64_t offset) const {
  // Batches without gaps (nearly all) index directly.
  const auto index = offset - base_offset;
  if (index >= 0 && std::size_t(index) < records.size() &&
      records[std::size_t(index)].offset == offset) {
    return &records[std::size_t(index)];
  }
  auto it = std::lower_bound(records.begin(), records.end(), offset,
                             [](const StoredRecord& r, std::int64_t o) { return r.offset < o; });
  return it != records.end() && it->offset == offset ? &*it : nullptr;
}

// The handle a transport holds. Its lifetime is the attachment's.
class Subscription::Member final : public Consumer {
 public:
  Member(std::shared_ptr<Subscription> subscription, std::uint32_t id, std::shared_ptr<Gate> gate)
      : subscription_(std::move(subscription)), id_(id), gate_(std::move(gate)) {}
  ~Member() override { detach(); }

  Result<void> ack(std::int32_t partition, std::int64_t offset) override {
    return subscription_->settle(id_, partition, offset, Settle::ack);
  }
  Result<void> ack_through(std::int32_t partition, std::int64_t offset) override {
    return subscription_->settle(id_, partition, offset, Settle::ack_through);
  }
  Result<void> nack(std::int32_t partition, std::int64_t offset) override {
    return subscription_->settle(id_, partition, offset, Settle::nack);
  }
  Result<void> reject(std::int32_t partition, std::int64_t offset) override {
    return subscription_->settle(id_, partition, offset, Settle::reject);
  }
  void set_max_unacked(std::uint32_t records, std::uint64_t bytes) override {
    subscription_->set_window(id_, records, bytes);
  }
  void detach() override {
    if (gate_->detached.exchange(true)) return;
    subscription_->detach(id_, *gate_);
  }

 private:
  std::shared_ptr<Subscription> subscription_;
  const std::uint32_t id_;
  std::shared_ptr<Gate> gate_;
};

Subscription::Subscription(DeliverySource& source, Dispatcher& dispatcher,
                           storage::SubscriptionMeta meta, const DeliveryConfig& config,
                           FlushPolicy flush, std::vector<storage::PartitionProgress> progress,
                           std::unique_ptr<storage::SubscriptionJournal> journal)
    : source_(source),
      dispatcher_(dispatcher),
      meta_(std::move(meta)),
      config_(config),
      flush_(flush),
      journal_(std::move(journal)) {
  partitions_.resize(progress.size());
  for (std::size_t p = 0; p < progress.size(); ++p) {
    auto& state = partitions_[p];
    state.floor = state.next_new = progress[p].ack_floor;
    // Offsets acked above the floor before a restart stay settled.
    for (const auto offset : progress[p].acked_above) {
      if (offset < state.floor) continue;
      const auto index = std::size_t(offset - state.floor);
      if (state.slots.size() <= index) state.slots.resize(index + 1);
      state.slots[index].state = SlotState::acked;
    }
  }
}

Subscription::~Subscription() {
  for (auto& partition : partitions_) {
    if (partition.wait) partition.wait->cancel();
  }
}

void Subscription::on_empty(std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  on_empty_ = std::move(callback);
}

Result<std::shared_ptr<Consumer>> Subscription::attach(const ConsumerOptions& options,
                                                       DeliveryCallback deliver) {
  if (options.max_unacked_records == 0) {
    return make_error(Errc::invalid_argument, "max_unacked_records must be at least 1");
  }
  auto gate = std::make_shared<Gate>();
  std::uint32_t id;
  {
    std::lock_guard lock(mutex_);
    if (closed_) {
      return make_error(Errc::unknown_topic, "subscription '" + meta_.name + "' was deleted");
    }
    id = next_consumer_id_++;
    ConsumerState& consumer = consumers_[id];
    consumer.id = id;
    consumer.options = options;
    consumer.deliver = std::move(deliver);
    consumer.gate = gate;
  }
  reschedule();
  return std::shared_ptr<Consumer>(std::make_shared<Member>(shared_from_this(), id, gate));
}

void Subscription::reschedule() {
  if (!closed_) dispatcher_.schedule(shared_from_this());
}

Subscription::Slot* Subscription::slot(std::int32_t partition, std::int64_t offset) {
  if (partition < 0 || std::size_t(partition) >= partitions_.size()) return nullptr;
  auto& state = partitions_[std::size_t(partition)];
  if (offset < state.floor || offset >= state.floor + std::int64_t(state.slots.size())) {
    return nullptr;
  }
  return &state.slots[std::size_t(offset - state.floor)];
}

bool Subscription::has_credit(const ConsumerState& consumer, std::uint64_t bytes) const {
  // A record larger than the whole byte window still flows, alone.
  return consumer.unacked_records < consumer.options.max_unacked_records &&
         (consumer.unacked_bytes == 0 ||
          consumer.unacked_bytes + bytes <= consumer.options.max_unacked_bytes);
}

Subscription::ConsumerState* Subscription::choose_consumer(const StoredRecord& record,
                                                           std::uint64_t bytes) {
  if (consumers_.empty()) return nullptr;
  auto it = consumers_.upper_bound(last_consumer_);
  if (meta_.key_shared && record.record.key) {
    const auto hash = key_hash(*record.record.key);
    if (auto owner = key_owners_.find(hash); owner != key_owners_.end()) {
      // The key's earlier records are still in flight there: only that
      // consumer may take this one, or per-key order would break.
      auto it = consumers_.find(owner->second.first);
      return it != consumers_.end() && has_credit(it->second, bytes) ? &it->second : nullptr;
    }
    // A free key goes to a consumer picked by its hash, so keys spread evenly.
    it = std::next(consumers_.begin(), std::ptrdiff_t(hash % consumers_.size()));
  }
  for (std::size_t i = 0; i < consumers_.size(); ++i, ++it) {
    if (it == consumers_.end()) it = consumers_.begin();
    if (has_credit(it->second, bytes)) {
      last_consumer_ = it->first;
      return &it->second;
    }
  }
  return nullptr;
}

void Subscription::release_credit(ConsumerState& consumer, const Slot& s) {
  consumer.unacked_records -= std::min<std::uint32_t>(consumer.unacked_records, 1);
  consumer.unacked_bytes -= std::min<std::uint64_t>(consumer.unacked_bytes, s.bytes);
}

void Subscription::key_released(const Slot& s) {
  if (!meta_.key_shared || !s.has_key) return;
  auto owner = key_owners_.find(s.key_hash);
  if (owner != key_owners_.end() && --owner->second.second == 0) key_owners_.erase(owner);
}

void Subscription::mark_acked(std::int32_t partition, std::int64_t offset, Slot& s) {
  s.state = SlotState::acked;
  if (journal_) journal_->record_ack(partition, offset);
}

void Subscription::advance_floor(std::int32_t partition) {
  auto& state = partitions_[std::size_t(partition)];
  while (!state.slots.empty() && state.slots.front().state == SlotState::acked) {
    state.slots.pop_front();
    ++state.floor;
  }
  state.next_new = std::max(state.next_new, state.floor);
}

void Subscription::return_to_pending(std::int32_t partition, std::int64_t offset, Slot& s,
                                     const char* reason, std::vector<DeadLetter>& dead,
                                     bool front) {
  key_released(s);
  if (s.attempts >= std::uint32_t(config_.max_attempts)) {
    s.state = SlotState::dead_lettering;
    dead.push_back(DeadLetter{partition, offset, "max_attempts", s.attempts, {}});
    return;
  }
  s.state = SlotState::pending;
  auto& queue = partitions_[std::size_t(partition)].redeliver;
  if (front) {
    queue.push_front(offset);
  } else {
    queue.push_back(offset);
  }
  logger().debug() << meta_.topic << "/" << partition << "@" << offset << " for redelivery ("
                   << reason << ", attempt " << s.attempts << ")";
}

void Subscription::skip_to(std::int32_t partition, std::int64_t log_start) {
  auto& state = partitions_[std::size_t(partition)];
  if (state.floor >= log_start) return;
  logger().warn() << "subscription '" << meta_.name << "' of " << meta_.topic << "/" << partition
                  << " lost unacknowledged records " << state.floor << ".." << log_start - 1
                  << " to retention; it moves on to offset " << log_start;
  while (state.floor < log_start) {
    if (!state.slots.empty()) {
      Slot& s = state.slots.front();
      if (s.state == SlotState::in_flight) {
        if (auto it = consumers_.find(s.consumer); it != consumers_.end()) {
          release_credit(it->second, s);
        }
        key_released(s);
      }
      state.slots.pop_front();
    }
    ++state.floor;
  }
  std::erase_if(state.redeliver, [&](std::int64_t o) { return o < log_start; });
  state.next_new = std::max(state.next_new, log_start);
  if (state.batch && state.batch->end_offset <= log_start) state.batch.reset();
  if (journal_) journal_->record_floor(partition, log_start);
}

const StoredRecord* Subscription::record_at(std::int32_t partition, std::int64_t offset,
                                            std::shared_ptr<const DecodedBatch>& holder,
                                            bool& missing) {
  missing = false;
  // `holder` usually covers the offset already: no reference counting per record.
  if (!holder || offset < holder->base_offset || offset >= holder->end_offset) {
    auto& state = partitions_[std::size_t(partition)];
    if (state.batch && offset >= state.batch->base_offset && offset < state.batch->end_offset) {
      holder = state.batch;
    } else {
      auto loaded = source_.decoded_batch(meta_.topic, partition, offset);
      if (!loaded) {
        holder.reset();
        missing = true;
        return nullptr;
      }
      holder = std::move(loaded.value());
      // Only the batch at the delivery front is worth keeping; redeliveries
      // reach back and would evict it.
      if (offset == state.next_new) state.batch = holder;
    }
  }
  const StoredRecord* record = holder->find(offset);
  if (!record) missing = true;
  return record;
}

void Subscription::fill_partition(std::int32_t partition,
                                  std::map<std::uint32_t, Outgoing>& outgoing,
                                  std::vector<DeadLetter>& dead) {
  auto& state = partitions_[std::size_t(partition)];
  auto offsets = source_.partition_offsets(meta_.topic, partition);
  if (!offsets) return;
  if (state.floor < offsets->log_start_offset) skip_to(partition, offsets->log_start_offset);
  const std::int64_t now = wall_clock_ms();
  std::shared_ptr<const DecodedBatch> holder;
  Outgoing* last_out = nullptr;
  std::uint32_t last_out_id = 0;

  for (;;) {
    std::int64_t offset = -1;
    bool redelivery = false;
    while (!state.redeliver.empty()) {
      const auto candidate = state.redeliver.front();
      const Slot* s = slot(partition, candidate);
      if (s && s->state == SlotState::pending) {
        offset = candidate;
        redelivery = true;
        break;
      }
      state.redeliver.pop_front();
    }
    if (!redelivery) {
      // Skip what a previous life already acknowledged.
      while (state.next_new < offsets->high_watermark) {
        const Slot* s = slot(partition, state.next_new);
        if (!s || s->state == SlotState::pending) break;
        ++state.next_new;
      }
      if (state.next_new >= offsets->high_watermark) {
        if (state.wait && state.wait_fired->load()) state.wait.reset();
        if (!state.wait) {
          std::weak_ptr<Subscription> weak = weak_from_this();
          auto fired = std::make_shared<std::atomic<bool>>(false);
          auto wait =
              source_.wait_for_new_data(meta_.topic, partition, state.next_new, [weak, fired] {
                fired->store(true);
                if (auto self = weak.lock()) self->reschedule();
              });
          if (wait) {
            state.wait = std::move(wait.value());
            state.wait_fired = std::move(fired);
          }
        }
        return;
      }
      if (state.next_new - state.floor >= std::int64_t(config_.max_unacked_window)) return;
      offset = state.next_new;
    }

    bool missing = false;
    const StoredRecord* record = record_at(partition, offset, holder, missing);
    if (missing) {
      if (redelivery) state.redeliver.pop_front();
      auto fresh = source_.partition_offsets(meta_.topic, partition);
      if (fresh && offset < fresh->log_start_offset) {
        skip_to(partition, fresh->log_start_offset);
        continue;
      }
      if (holder && holder->base_offset > offset && !redelivery) {
        // A gap in the log (e.g. a control batch): nothing to deliver there.
        const auto next = std::min(holder->base_offset, offsets->high_watermark);
        for (std::int64_t o = offset; o < next; ++o) {
          if (o >= state.floor + std::int64_t(state.slots.size())) {
            state.slots.resize(std::size_t(o - state.floor + 1));
          }
          state.slots[std::size_t(o - state.floor)].state = SlotState::acked;
        }
        state.next_new = next;
        advance_floor(partition);
        continue;
      }
      if (!holder) return;  // a read error: try again on the next round
      // An offset the batch does not hold (a control record): settled.
      if (Slot* s = slot(partition, offset)) s->state = SlotState::acked;
      if (!redelivery) ++state.next_new;
      advance_floor(partition);
      continue;
    }

    const std::uint64_t bytes = record_bytes(*record);
    ConsumerState* consumer = choose_consumer(*record, bytes);
    if (!consumer) return;

    if (offset >= state.floor + std::int64_t(state.slots.size())) {
      state.slots.resize(std::size_t(offset - state.floor + 1));
    }
    Slot& s = state.slots[std::size_t(offset - state.floor)];
    s.state = SlotState::in_flight;
    if (s.attempts < UINT16_MAX) ++s.attempts;
    s.consumer = consumer->id;
    s.round = round_;
    s.bytes = std::uint32_t(std::min<std::uint64_t>(bytes, UINT32_MAX));
    s.has_key = meta_.key_shared && record->record.key.has_value();
    if (s.has_key) {
      s.key_hash = key_hash(*record->record.key);
      auto& owner = key_owners_[s.key_hash];
      owner.first = consumer->id;
      ++owner.second;
    }
    if (redelivery) {
      state.redeliver.pop_front();
    } else {
      ++state.next_new;
    }
    ++consumer->unacked_records;
    consumer->unacked_bytes += s.bytes;

    // Consecutive records mostly go to the same consumer: skip the map then.
    if (!last_out || last_out_id != consumer->id) {
      last_out = &outgoing[consumer->id];
      last_out_id = consumer->id;
    }
    Outgoing& out = *last_out;
    if (!out.gate) {
      out.gate = consumer->gate;
      out.deliver = consumer->deliver;
      out.batch.topic = meta_.topic;
      // At most the consumer's free window arrives in one round: one allocation.
      out.batch.records.reserve(std::min<std::uint32_t>(
          consumer->options.max_unacked_records - consumer->unacked_records + 1, 4096));
    }
    out.batch.records.push_back(DeliveredRecord{partition, s.attempts, record});
    if (out.holders.empty() || out.holders.back() != holder) out.holders.push_back(holder);

    auto& deadlines = consumer->deadlines;
    if (!deadlines.empty() && deadlines.back().round == round_ &&
        deadlines.back().partition == partition) {
      deadlines.back().first = std::min(deadlines.back().first, offset);
      deadlines.back().last = std::max(deadlines.back().last, offset);
    } else {
      deadlines.push_back(
          DeliveredRange{now + config_.ack_timeout_ms, round_, partition, offset, offset});
    }
  }
}

void Subscription::dispatch() {
  if (dispatch_requests_.fetch_add(1) != 0) return;
  int handled;
  do {
    handled = dispatch_requests_.load();
    std::map<std::uint32_t, Outgoing> outgoing;
    std::vector<DeadLetter> dead;
    {
      std::lock_guard lock(mutex_);
      if (!closed_ && !consumers_.empty()) {
        ++round_;
        const std::size_t count = partitions_.size();
        for (std::size_t i = 0; i < count; ++i) {
          fill_partition(std::int32_t((next_partition_ + i) % count), outgoing, dead);
        }
        ++next_partition_;
      }
    }
    deliver_outgoing(outgoing);
    send_dead_letters(std::move(dead));
  } while (dispatch_requests_.fetch_sub(handled) != handled);
}

void Subscription::deliver_outgoing(std::map<std::uint32_t, Outgoing>& outgoing) {
  for (auto& [id, out] : outgoing) {
    Gate& gate = *out.gate;
    gate.runner.store(std::this_thread::get_id());
    gate.running.store(true);
    // A consumer detached since the round was built: its records were
    // returned to the subscription by detach().
    if (!gate.detached.load()) {
      if (out.holders.size() == 1) {
        out.batch.keep_alive = std::move(out.holders.front());
      } else {
        out.batch.keep_alive = std::make_shared<std::vector<std::shared_ptr<const DecodedBatch>>>(
            std::move(out.holders));
      }
      out.deliver(std::move(out.batch));
    }
    gate.running.store(false);
  }
}

Result<void> Subscription::settle(std::uint32_t consumer_id, std::int32_t partition,
                                  std::int64_t offset, Settle how) {
  std::vector<DeadLetter> dead;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return closed_error();
    auto consumer_it = consumers_.find(consumer_id);
    if (consumer_it == consumers_.end()) {
      return make_error(Errc::invalid_argument, "the consumer is detached");
    }
    ConsumerState& consumer = consumer_it->second;
    if (partition < 0 || std::size_t(partition) >= partitions_.size()) {
      return make_error(Errc::unknown_partition, "topic '" + meta_.topic + "' has no partition " +
                                                     std::to_string(partition));
    }
    const bool was_full = consumer.unacked_records >= consumer.options.max_unacked_records ||
                          consumer.unacked_bytes >= consumer.options.max_unacked_bytes / 2;
    if (how == Settle::ack_through) {
      auto& state = partitions_[std::size_t(partition)];
      const std::int64_t front = state.floor + std::int64_t(state.slots.size());
      const std::int64_t end = offset >= front ? front : offset + 1;
      for (std::int64_t o = state.floor; o < end; ++o) {
        Slot& s = state.slots[std::size_t(o - state.floor)];
        if (s.state != SlotState::in_flight || s.consumer != consumer_id) continue;
        release_credit(consumer, s);
        key_released(s);
        mark_acked(partition, o, s);
      }
      advance_floor(partition);
    } else {
      Slot* s = slot(partition, offset);
      if (!s || s->state != SlotState::in_flight || s->consumer != consumer_id) {
        return not_held(partition, offset);
      }
      release_credit(consumer, *s);
      switch (how) {
        case Settle::ack:
          key_released(*s);
          mark_acked(partition, offset, *s);
          advance_floor(partition);
          break;
        case Settle::nack:
          return_to_pending(partition, offset, *s, "nack", dead, /*front=*/true);
          wake = true;
          break;
        case Settle::reject:
          key_released(*s);
          s->state = SlotState::dead_lettering;
          dead.push_back(DeadLetter{partition, offset, "rejected", s->attempts, {}});
          break;
        case Settle::ack_through:
          break;
      }
    }
    // Waking the dispatcher on every ack would cost more than the ack; a
    // consumer's window refills once half of it is free.
    const auto& window = consumer.options;
    wake = wake || was_full || consumer.unacked_records <= window.max_unacked_records / 2;
  }
  if (journal_ && flush_ == FlushPolicy::always &&
      (how == Settle::ack || how == Settle::ack_through)) {
    if (auto flushed = journal_->flush(); !flushed) return flushed.error();
  }
  send_dead_letters(std::move(dead));
  if (wake) reschedule();
  return {};
}

void Subscription::send_dead_letters(std::vector<DeadLetter> dead) {
  if (dead.empty() || closed_) return;
  for (auto& letter : dead) {
    std::shared_ptr<const DecodedBatch> holder;
    bool missing = false;
    const StoredRecord* stored;
    {
      std::lock_guard lock(mutex_);
      stored = record_at(letter.partition, letter.offset, holder, missing);
    }
    if (!stored) {
      dead_lettered(letter.partition, letter.offset, letter.reason, true);  // gone meanwhile
      continue;
    }
    Record record = stored->record;
    const auto add = [&](const char* key, std::string value) {
      record.headers.push_back(Header{key, std::move(value)});
    };
    add("x-junction-dlq-reason", letter.reason);
    add("x-junction-dlq-topic", meta_.topic);
    add("x-junction-dlq-partition", std::to_string(letter.partition));
    add("x-junction-dlq-offset", std::to_string(letter.offset));
    add("x-junction-dlq-subscription", meta_.name);
    add("x-junction-dlq-attempts", std::to_string(letter.attempts));
    logger().info() << "dead-lettering " << meta_.topic << "/" << letter.partition << "@"
                    << letter.offset << " of subscription '" << meta_.name << "' (" << letter.reason
                    << ", " << letter.attempts << " deliveries)";
    std::weak_ptr<Subscription> weak = weak_from_this();
    const auto partition = letter.partition;
    const auto offset = letter.offset;
    const char* reason = letter.reason;
    source_.dead_letter(meta_.topic + config_.dead_letter_suffix, std::move(record),
                        [weak, partition, offset, reason](bool stored_ok) {
                          if (auto self = weak.lock()) {
                            self->dead_lettered(partition, offset, reason, stored_ok);
                          }
                        });
  }
}

void Subscription::dead_lettered(std::int32_t partition, std::int64_t offset, const char* reason,
                                 bool stored) {
  {
    std::lock_guard lock(mutex_);
    Slot* s = slot(partition, offset);
    if (!s || s->state != SlotState::dead_lettering) return;
    if (stored) {
      mark_acked(partition, offset, *s);
      advance_floor(partition);
    } else {
      // Keep it: a record is never dropped because its dead-letter topic
      // could not take it. Retried after an ack timeout, not at once, so a
      // broken dead-letter topic does not spin.
      logger().error() << "could not dead-letter " << meta_.topic << "/" << partition << "@"
                       << offset << "; it stays in subscription '" << meta_.name
                       << "' and is retried in " << config_.ack_timeout_ms << " ms";
      dead_letter_retries_.push_back(
          DeadLetterRetry{wall_clock_ms() + config_.ack_timeout_ms, partition, offset, reason});
      return;
    }
  }
  if (stored && journal_ && flush_ == FlushPolicy::always) (void)journal_->flush();
  reschedule();
}

void Subscription::expire_deliveries(std::int64_t now) {
  std::vector<DeadLetter> dead;
  bool expired = false;
  {
    std::lock_guard lock(mutex_);
    while (!dead_letter_retries_.empty() && dead_letter_retries_.front().due_ms <= now) {
      const auto retry = dead_letter_retries_.front();
      dead_letter_retries_.pop_front();
      Slot* s = slot(retry.partition, retry.offset);
      if (s && s->state == SlotState::dead_lettering) {
        dead.push_back(DeadLetter{retry.partition, retry.offset, retry.reason, s->attempts, {}});
      }
    }
    for (auto& [id, consumer] : consumers_) {
      auto& deadlines = consumer.deadlines;
      while (!deadlines.empty()) {
        const DeliveredRange range = deadlines.front();
        auto& state = partitions_[std::size_t(range.partition)];
        const bool done = range.last < state.floor;
        if (!done && range.deadline_ms > now) break;
        deadlines.pop_front();
        if (done) continue;
        for (std::int64_t o = std::max(range.first, state.floor); o <= range.last; ++o) {
          Slot* s = slot(range.partition, o);
          if (!s || s->state != SlotState::in_flight || s->consumer != id ||
              s->round != range.round) {
            continue;
          }
          release_credit(consumer, *s);
          return_to_pending(range.partition, o, *s, "ack timeout", dead, /*front=*/false);
          expired = true;
        }
      }
    }
  }
  send_dead_letters(std::move(dead));
  if (expired) reschedule();
}

void Subscription::set_window(std::uint32_t consumer_id, std::uint32_t records,
                              std::uint64_t bytes) {
  {
    std::lock_guard lock(mutex_);
    auto it = consumers_.find(consumer_id);
    if (closed_ || it == consumers_.end()) return;
    it->second.options.max_unacked_records = records;
    it->second.options.max_unacked_bytes = bytes;
  }
  reschedule();
}

void Subscription::detach(std::uint32_t consumer_id, Gate& gate) {
  // No callback starts after `detached` is set; wait for one that runs,
  // unless it is the one detaching.
  while (gate.running.load() && gate.runner.load() != std::this_thread::get_id()) {
    std::this_thread::yield();
  }
  std::vector<DeadLetter> dead;
  std::function<void()> empty_callback;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    auto it = consumers_.find(consumer_id);
    if (it == consumers_.end()) return;
    for (std::size_t p = 0; p < partitions_.size(); ++p) {
      auto& state = partitions_[p];
      // Back to the front of the queue in offset order, as delivered.
      std::vector<std::int64_t> held;
      for (std::size_t i = 0; i < state.slots.size(); ++i) {
        Slot& s = state.slots[i];
        if (s.state == SlotState::in_flight && s.consumer == consumer_id) {
          held.push_back(state.floor + std::int64_t(i));
        }
      }
      for (auto o = held.rbegin(); o != held.rend(); ++o) {
        return_to_pending(std::int32_t(p), *o, *slot(std::int32_t(p), *o), "consumer detached",
                          dead, /*front=*/true);
      }
    }
    consumers_.erase(it);
    if (consumers_.empty()) empty_callback = on_empty_;
  }
  send_dead_letters(std::move(dead));
  if (empty_callback) {
    empty_callback();
  } else {
    reschedule();
  }
}

void Subscription::close(bool forget) {
  std::vector<std::shared_ptr<Gate>> gates;
  std::vector<std::function<void(const Error&)>> closed_callbacks;
  std::vector<std::shared_ptr<DataWait>> waits;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (auto& [id, consumer] : consumers_) {
      gates.push_back(consumer.gate);
      if (forget && consumer.options.on_closed)
        closed_callbacks.push_back(consumer.options.on_closed);
    }
    for (auto& partition : partitions_) {
      if (partition.wait) waits.push_back(std::move(partition.wait));
    }
  }
  for (auto& wait : waits) wait->cancel();
  for (auto& gate : gates) {
    gate->detached = true;
    while (gate->running.load() && gate->runner.load() != std::this_thread::get_id()) {
      std::this_thread::yield();
    }
  }
  for (const auto& callback : closed_callbacks) callback(closed_error());
  if (!journal_) return;
  if (forget) {
    (void)journal_->remove();
  } else {
    persist();
  }
}

std::vector<storage::PartitionProgress> Subscription::progress_locked() const {
  std::vector<storage::PartitionProgress> progress(partitions_.size());
  for (std::size_t p = 0; p < partitions_.size(); ++p) {
    const auto& state = partitions_[p];
    progress[p].ack_floor = state.floor;
    for (std::size_t i = 0; i < state.slots.size(); ++i) {
      if (state.slots[i].state == SlotState::acked) {
        progress[p].acked_above.push_back(state.floor + std::int64_t(i));
      }
    }
  }
  return progress;
}

void Subscription::persist() {
  if (!journal_) return;
  if (journal_->journal_bytes() >= kSnapshotJournalBytes) {
    // Under the lock no ack can be recorded between taking the progress and
    // replacing the snapshot.
    std::lock_guard lock(mutex_);
    if (auto written = journal_->snapshot(progress_locked()); !written) {
      logger().error() << "snapshot of subscription '" << meta_.name
                       << "' failed: " << written.error().message;
    }
    return;
  }
  if (auto flushed = journal_->flush(); !flushed) {
    logger().error() << "journal of subscription '" << meta_.name
                     << "' failed: " << flushed.error().message;
  }
}

Error Subscription::closed_error() const {
  return make_error(Errc::unknown_topic,
                    "subscription '" + meta_.name + "' of topic '" + meta_.topic + "' was deleted");
}

SubscriptionInfo Subscription::info() const {
  std::lock_guard lock(mutex_);
  SubscriptionInfo info{meta_.topic,      meta_.name,        meta_.mode,
                        meta_.key_shared, consumers_.size(), {}};
  for (const auto& partition : partitions_) info.ack_floor.push_back(partition.floor);
  return info;
}

std::int64_t Subscription::ack_floor(std::int32_t partition) const {
  std::lock_guard lock(mutex_);
  if (partition < 0 || std::size_t(partition) >= partitions_.size()) return INT64_MAX;
  return partitions_[std::size_t(partition)].floor;
}

}  // namespace junction::kernel
