#include "kernel/subscription_registry.hpp"

#include <chrono>

#include "junction/log.hpp"
#include "kernel/wall_clock.hpp"
#include "storage/subscription_journal.hpp"

namespace junction::kernel {
namespace fs = std::filesystem;

namespace {

const Logger& logger() {
  static const Logger instance{"delivery"};
  return instance;
}

bool compatible(DeliveryMode existing, DeliveryMode wanted) {
  // Queue and multicast differ only in how many groups a topic has.
  const auto shared = [](DeliveryMode m) { return m != DeliveryMode::broadcast; };
  return shared(existing) == shared(wanted);
}

}  // namespace

SubscriptionRegistry::SubscriptionRegistry(Kernel& kernel, DeliverySource& source,
                                           const KernelOptions& options)
    : kernel_(kernel),
      source_(source),
      options_(options),
      root_(options.data_dir / "~subscriptions"),
      dispatcher_(options.delivery.dispatcher_threads),
      expiry_thread_([this] { run_expiry(); }) {}

SubscriptionRegistry::~SubscriptionRegistry() {
  {
    std::lock_guard lock(expiry_mutex_);
    stopping_ = true;
  }
  expiry_wakeup_.notify_all();
  expiry_thread_.join();
  for (const auto& subscription : all()) subscription->close(/*forget=*/false);
  if (groups_) (void)groups_->flush();
}

Result<void> SubscriptionRegistry::recover() {
  auto groups = storage::GroupOffsetStore::open(options_.data_dir / "~group-offsets");
  if (!groups) return groups.error();
  groups_ = std::move(groups.value());

  for (const auto& dir : storage::SubscriptionJournal::list(root_)) {
    auto journal = storage::SubscriptionJournal::open(dir, {}, {});
    if (!journal) {
      logger().error() << "cannot recover subscription in " << dir.string() << ": "
                       << journal.error().message;
      continue;
    }
    auto meta = (*journal)->meta();
    auto topic = kernel_.describe_topic(meta.topic);
    if (!topic || topic->partitions != meta.partitions) {
      logger().warn() << "dropping subscription '" << meta.name << "': its topic '" << meta.topic
                      << "' is gone or was recreated";
      (void)(*journal)->remove();
      continue;
    }
    auto progress = (*journal)->recovered();
    // After a machine crash the journal may know acks of records the log lost
    // (both are fsynced on the same tick, log first); offsets past the log end
    // will be reused by new records, so they must not count as acked.
    for (std::int32_t p = 0; p < meta.partitions; ++p) {
      auto offsets = kernel_.offsets(meta.topic, p);
      auto& partition = progress[std::size_t(p)];
      if (!offsets || partition.ack_floor <= offsets->high_watermark) {
        if (offsets)
          std::erase_if(partition.acked_above,
                        [&](std::int64_t o) { return o >= offsets->high_watermark; });
        continue;
      }
      logger().warn() << "subscription '" << meta.name << "' of " << meta.topic << "/" << p
                      << " had acked up to " << partition.ack_floor << " but the log ends at "
                      << offsets->high_watermark << "; resuming from the log end";
      partition.ack_floor = offsets->high_watermark;
      partition.acked_above.clear();
    }
    auto subscription = std::make_shared<Subscription>(
        source_, dispatcher_, meta, options_.delivery, topic->config.flush, std::move(progress),
        std::move(journal.value()));
    logger().info() << "recovered subscription '" << meta.name << "' of topic '" << meta.topic
                    << "'";
    named_.emplace(Key{meta.topic, meta.name}, std::move(subscription));
  }
  return {};
}

Result<std::vector<storage::PartitionProgress>> SubscriptionRegistry::start_progress(
    const TopicInfo& topic, const StartPosition& start) {
  std::vector<storage::PartitionProgress> progress(std::size_t(topic.partitions));
  for (std::int32_t p = 0; p < topic.partitions; ++p) {
    auto offsets = kernel_.offsets(topic.name, p);
    if (!offsets) return offsets.error();
    std::int64_t floor = offsets->high_watermark;
    switch (start.kind) {
      case StartPosition::Kind::earliest:
        floor = offsets->log_start_offset;
        break;
      case StartPosition::Kind::latest:
        break;
      case StartPosition::Kind::offset:
        floor = std::clamp(start.value, offsets->log_start_offset, offsets->high_watermark);
        break;
      case StartPosition::Kind::timestamp: {
        auto found = kernel_.offset_for_timestamp(topic.name, p, start.value);
        if (!found) return found.error();
        if (*found) floor = **found;
        break;
      }
    }
    progress[std::size_t(p)].ack_floor = floor;
  }
  return progress;
}

Result<std::shared_ptr<Consumer>> SubscriptionRegistry::subscribe(const SubscriptionSpec& spec,
                                                                  const ConsumerOptions& options,
                                                                  DeliveryCallback deliver) {
  if (spec.name.empty() && spec.mode != DeliveryMode::broadcast) {
    return make_error(Errc::invalid_argument,
                      std::string(to_string(spec.mode)) + " delivery needs a subscription name");
  }
  auto topic = kernel_.ensure_topic(spec.topic);
  if (!topic) return topic.error();
  const StartPosition start = spec.start.value_or(
      spec.mode == DeliveryMode::broadcast ? StartPosition::latest() : StartPosition::earliest());
  storage::SubscriptionMeta meta{spec.topic, spec.name, spec.mode, spec.key_shared,
                                 topic->partitions};

  if (spec.name.empty()) {
    auto progress = start_progress(*topic, start);
    if (!progress) return progress.error();
    auto subscription =
        std::make_shared<Subscription>(source_, dispatcher_, meta, options_.delivery,
                                       topic->config.flush, std::move(progress.value()), nullptr);
    {
      std::lock_guard lock(mutex_);
      private_.insert(subscription);
    }
    std::weak_ptr<Subscription> weak = subscription;
    subscription->on_empty([this, weak] {
      auto self = weak.lock();
      if (!self) return;
      {
        std::lock_guard lock(mutex_);
        private_.erase(self);
      }
      self->close(/*forget=*/true);
    });
    return subscription->attach(options, std::move(deliver));
  }

  const auto find_named = [&] {
    std::lock_guard lock(mutex_);
    auto it = named_.find(Key{spec.topic, spec.name});
    return it == named_.end() ? nullptr : it->second;
  };
  std::shared_ptr<Subscription> subscription = find_named();
  if (!subscription) {
    // Creation writes and fsyncs the journal: serialized on its own mutex so
    // lookups and deliveries of other subscriptions never wait for the disk.
    std::lock_guard creating(create_mutex_);
    subscription = find_named();
    if (!subscription) {
      auto progress = start_progress(*topic, start);
      if (!progress) return progress.error();
      const auto dir = root_ / spec.topic / storage::encode_folder_name(spec.name);
      auto journal = storage::SubscriptionJournal::open(dir, meta, *progress);
      if (!journal) return journal.error();
      subscription = std::make_shared<Subscription>(
          source_, dispatcher_, meta, options_.delivery, topic->config.flush,
          std::move(progress.value()), std::move(journal.value()));
      {
        std::lock_guard lock(mutex_);
        named_.emplace(Key{spec.topic, spec.name}, subscription);
      }
      logger().info() << "created " << to_string(spec.mode) << " subscription '" << spec.name
                      << "' of topic '" << spec.topic << "'";
    }
  }
  const auto& existing = subscription->meta();
  if (!compatible(existing.mode, spec.mode) || existing.key_shared != spec.key_shared) {
    return make_error(Errc::invalid_argument,
                      "subscription '" + spec.name + "' of topic '" + spec.topic + "' exists as " +
                          to_string(existing.mode) + (existing.key_shared ? " (key_shared)" : "") +
                          "; it cannot be joined as " + to_string(spec.mode) +
                          (spec.key_shared ? " (key_shared)" : ""));
  }
  // The topic may have been deleted while the subscription was made; its
  // deletion could not see the new subscription then.
  if (!kernel_.describe_topic(spec.topic)) {
    topic_deleted(spec.topic);
    return make_error(Errc::unknown_topic, "topic '" + spec.topic + "' was deleted");
  }
  return subscription->attach(options, std::move(deliver));
}

Result<void> SubscriptionRegistry::remove(std::string_view topic, std::string_view name) {
  std::shared_ptr<Subscription> subscription;
  {
    std::lock_guard lock(mutex_);
    auto it = named_.find(Key{std::string(topic), std::string(name)});
    if (it == named_.end()) {
      return make_error(
          Errc::invalid_argument,
          "topic '" + std::string(topic) + "' has no subscription '" + std::string(name) + "'");
    }
    subscription = std::move(it->second);
    named_.erase(it);
  }
  subscription->close(/*forget=*/true);
  logger().info() << "deleted subscription '" << name << "' of topic '" << topic << "'";
  return {};
}

std::vector<SubscriptionInfo> SubscriptionRegistry::list(std::string_view topic) const {
  std::vector<SubscriptionInfo> infos;
  for (const auto& subscription : all()) {
    if (subscription->meta().topic == topic) infos.push_back(subscription->info());
  }
  return infos;
}

void SubscriptionRegistry::topic_deleted(std::string_view topic) {
  std::vector<std::shared_ptr<Subscription>> gone;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(named_, [&](const auto& entry) {
      if (entry.first.first != topic) return false;
      gone.push_back(entry.second);
      return true;
    });
    std::erase_if(private_, [&](const auto& subscription) {
      if (subscription->meta().topic != topic) return false;
      gone.push_back(subscription);
      return true;
    });
  }
  for (auto& subscription : gone) subscription->close(/*forget=*/true);
  std::error_code ignored;
  fs::remove_all(root_ / std::string(topic), ignored);
  if (groups_) (void)groups_->delete_topic(topic);
}

std::int64_t SubscriptionRegistry::retention_floor(std::string_view topic,
                                                   std::int32_t partition) const {
  std::int64_t floor = INT64_MAX;
  std::lock_guard lock(mutex_);
  for (const auto& [key, subscription] : named_) {
    if (key.first == topic) floor = std::min(floor, subscription->ack_floor(partition));
  }
  return floor;
}

void SubscriptionRegistry::persist_all() {
  std::vector<std::shared_ptr<Subscription>> named;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, subscription] : named_) named.push_back(subscription);
  }
  for (const auto& subscription : named) subscription->persist();
  if (groups_) {
    if (auto flushed = groups_->flush(); !flushed) {
      logger().error() << "group offsets: " << flushed.error().message;
    }
  }
}

std::vector<std::shared_ptr<Subscription>> SubscriptionRegistry::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Subscription>> all(private_.begin(), private_.end());
  for (const auto& [key, subscription] : named_) all.push_back(subscription);
  return all;
}

void SubscriptionRegistry::run_expiry() {
  // Deadlines are checked a few times per timeout, at most every 100 ms.
  const auto tick = std::chrono::milliseconds(
      std::clamp<std::int64_t>(options_.delivery.ack_timeout_ms / 4, 10, 100));
  std::unique_lock lock(expiry_mutex_);
  while (!expiry_wakeup_.wait_for(lock, tick, [&] { return stopping_; })) {
    lock.unlock();
    const auto now = wall_clock_ms();
    for (const auto& subscription : all()) subscription->expire_deliveries(now);
    lock.lock();
  }
}

Result<void> SubscriptionRegistry::commit_offset(std::string_view group, std::string_view topic,
                                                 std::int32_t partition,
                                                 const CommittedOffset& offset) {
  auto info = kernel_.describe_topic(topic);
  if (!info) return info.error();
  if (partition < 0 || partition >= info->partitions) {
    return make_error(
        Errc::unknown_partition,
        "topic '" + std::string(topic) + "' has no partition " + std::to_string(partition));
  }
  return groups_->commit(group, topic, partition, offset,
                         info->config.flush == FlushPolicy::always);
}

Result<std::optional<CommittedOffset>> SubscriptionRegistry::committed_offset(
    std::string_view group, std::string_view topic, std::int32_t partition) const {
  return groups_->fetch(group, topic, partition);
}

std::vector<std::string> SubscriptionRegistry::list_groups() const { return groups_->groups(); }

Result<void> SubscriptionRegistry::delete_group(std::string_view group) {
  return groups_->delete_group(group, options_.topic_defaults.flush == FlushPolicy::always);
}

}  // namespace junction::kernel
