#include "kernel/local_kernel.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>

#include "junction/log.hpp"
#include "junction/partitioner.hpp"
#include "junction/record_batch.hpp"
#include "kernel/dead_letter_store.hpp"
#include "kernel/wall_clock.hpp"

namespace junction::kernel {
namespace fs = std::filesystem;

namespace {

const Logger& logger() {
  static const Logger instance{"kernel"};
  return instance;
}

// Deleted topics are renamed to a name no topic can have, then removed once
// no reader holds them; a crash in between leaves them for the next start.
constexpr std::string_view kDeletedMarker = "~deleted-";
constexpr std::int32_t kMaxPartitions = 10'000;

Error no_such_partition(std::string_view topic, std::int32_t partition) {
  return make_error(Errc::unknown_partition, "topic '" + std::string(topic) +
                                                 "' has no partition " + std::to_string(partition));
}

}  // namespace

struct LocalKernel::Partition {
  std::shared_ptr<storage::PartitionLog> log;
  PartitionWaits waits;
  // The latest decoded batches, shared by every subscription reading near
  // the tail, so N subscribers decode a batch once.
  std::mutex decoded_mutex;
  std::deque<std::shared_ptr<const DecodedBatch>> decoded;
};

struct LocalKernel::Topic {
  TopicInfo info;
  fs::path dir;
  std::vector<std::unique_ptr<Partition>> partitions;
  std::atomic<std::uint32_t> next_partition{0};
  std::atomic<bool> deleted{false};

  ~Topic() {
    if (!deleted) return;
    // The logs are gone with the topic: close them without a final flush.
    for (auto& partition : partitions) partition->log->discard();
    partitions.clear();
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

Result<std::unique_ptr<LocalKernel>> LocalKernel::open(KernelOptions options) {
  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  if (ec) {
    return make_error(Errc::io_error,
                      "cannot create data_dir " + options.data_dir.string() + ": " + ec.message());
  }
  // '~' cannot start a topic name, so no topic folder can collide with it.
  const auto lock_path = options.data_dir / "~lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(Errc::io_error,
                      "cannot open " + lock_path.string() + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return make_error(Errc::io_error, "data_dir " + options.data_dir.string() +
                                          " is in use by another junctiond process");
  }
  std::unique_ptr<LocalKernel> kernel(new LocalKernel(std::move(options), fd));
  if (auto recovered = kernel->recover_topics(); !recovered) return recovered.error();
  DeliverySource& source = *kernel;
  auto subscriptions = std::make_unique<SubscriptionRegistry>(*kernel, source, kernel->options_);
  if (auto recovered = subscriptions->recover(); !recovered) return recovered.error();
  {
    std::unique_lock lock(kernel->topics_mutex_);
    kernel->subscriptions_ = std::move(subscriptions);
  }
  return kernel;
}

LocalKernel::LocalKernel(KernelOptions options, int lock_fd)
    : options_(std::move(options)), lock_fd_(lock_fd) {
  const auto tick = std::chrono::milliseconds(std::max<std::int64_t>(
      1,
      std::min(options_.topic_defaults.flush_interval_ms, options_.retention_check_interval_ms)));
  flusher_ = std::make_unique<Flusher>(tick, [this] { periodic_work(); });
}

LocalKernel::~LocalKernel() {
  flusher_.reset();
  subscriptions_.reset();
  flush_all();
  ::close(lock_fd_);
}

Result<void> LocalKernel::recover_topics() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.data_dir, ec)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    if (name.find(kDeletedMarker) != std::string::npos) {
      fs::remove_all(entry.path(), ec);
      continue;
    }
    if (name.starts_with('~')) continue;  // the kernel's own state
    if (!validate_topic_name(name)) {
      logger().warn() << "ignoring folder " << entry.path() << " in data_dir: not a topic name";
      continue;
    }
    std::int32_t partition_count = 0;
    for (const auto& sub : fs::directory_iterator(entry.path(), ec)) {
      const std::string part = sub.path().filename().string();
      if (!sub.is_directory() || part.empty() ||
          !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          part.size() > 6) {
        continue;
      }
      partition_count = std::max(partition_count, std::stoi(part) + 1);
    }
    if (partition_count == 0) continue;
    if (partition_count > kMaxPartitions) {
      logger().error() << "not loading topic '" << name << "': partition folders go up to "
                       << partition_count - 1 << ", beyond the limit of " << kMaxPartitions;
      continue;
    }

    auto topic = std::make_shared<Topic>();
    topic->info.name = name;
    topic->info.partitions = partition_count;
    topic->info.config = options_.topic_defaults;
    topic->info.config.partitions = partition_count;
    topic->dir = entry.path();
    bool opened = true;
    for (std::int32_t p = 0; p < partition_count && opened; ++p) {
      auto log = storage::PartitionLog::open(topic->dir / std::to_string(p), topic->info.config);
      if (!log) {
        // One damaged topic must not keep the broker from serving the others.
        logger().error() << "not loading topic '" << name << "': " << log.error().message;
        opened = false;
        break;
      }
      auto partition = std::make_unique<Partition>();
      partition->log = std::move(log.value());
      topic->partitions.push_back(std::move(partition));
    }
    if (!opened) continue;
    if (options_.coordinator) {
      auto registered = options_.coordinator->create_topic(name, partition_count);
      if (!registered && registered.error().code != Errc::topic_exists) return registered.error();
    }
    logger().info() << "recovered topic '" << name << "' with " << partition_count
                    << " partition(s)";
    topics_.emplace(name, std::move(topic));
  }
  if (ec) return make_error(Errc::io_error, "cannot list data_dir: " + ec.message());
  return {};
}

Result<TopicInfo> LocalKernel::create_topic(std::string_view name, std::int32_t partitions) {
  if (auto valid = validate_topic_name(name); !valid) return valid.error();
  if (partitions == 0) partitions = options_.topic_defaults.partitions;
  if (partitions < 1 || partitions > kMaxPartitions) {
    return make_error(Errc::invalid_argument,
                      "partition count must be between 1 and " + std::to_string(kMaxPartitions));
  }
  // Creation does file I/O, so it is serialized on its own mutex; readers only
  // wait for the final insert.
  std::lock_guard creating(create_mutex_);
  if (find_topic(name)) {
    return make_error(Errc::topic_exists, "topic '" + std::string(name) + "' already exists");
  }
  if (options_.coordinator) {
    auto registered = options_.coordinator->create_topic(name, partitions);
    if (!registered && registered.error().code != Errc::topic_exists) return registered.error();
  }

  const auto dir = options_.data_dir / std::string(name);
  std::error_code exists_error;
  if (fs::exists(dir, exists_error)) {
    return make_error(Errc::invalid_argument, "data_dir already holds a folder named '" +
                                                  std::string(name) +
                                                  "' that is not a topic; move it away first");
  }
  auto topic = std::make_shared<Topic>();
  topic->info.name = std::string(name);
  topic->info.partitions = partitions;
  topic->info.config = options_.topic_defaults;
  topic->info.config.partitions = partitions;
  topic->dir = dir;
  for (std::int32_t p = 0; p < partitions; ++p) {
    auto log = storage::PartitionLog::open(topic->dir / std::to_string(p), topic->info.config);
    if (!log) {
      topic->deleted = true;  // removes the folder this call created
      return log.error();
    }
    auto partition = std::make_unique<Partition>();
    partition->log = std::move(log.value());
    topic->partitions.push_back(std::move(partition));
  }
  TopicInfo info = topic->info;
  {
    std::unique_lock lock(topics_mutex_);
    topics_.emplace(info.name, std::move(topic));
  }
  logger().info() << "created topic '" << info.name << "' with " << info.partitions
                  << " partition(s)";
  return info;
}

Result<void> LocalKernel::delete_topic(std::string_view name) {
  std::shared_ptr<Topic> topic;
  {
    std::unique_lock lock(topics_mutex_);
    auto it = topics_.find(name);
    if (it == topics_.end()) {
      return make_error(Errc::unknown_topic, "topic '" + std::string(name) + "' does not exist");
    }
    topic = std::move(it->second);
    topics_.erase(it);
  }
  if (options_.coordinator) {
    if (auto removed = options_.coordinator->delete_topic(name); !removed) {
      logger().warn() << "coordinator could not delete topic '" << name
                      << "': " << removed.error().message;
    }
  }
  // Move the folder aside at once so the name can be reused; files go when
  // the last reader lets go of the topic.
  const auto aside = options_.data_dir / (std::string(name) + std::string(kDeletedMarker) +
                                          std::to_string(wall_clock_ms()));
  std::error_code ec;
  fs::rename(topic->dir, aside, ec);
  if (!ec) topic->dir = aside;
  topic->deleted = true;
  for (auto& partition : topic->partitions) partition->waits.wake_all();
  subscriptions_->topic_deleted(name);
  logger().info() << "deleted topic '" << name << "'";
  return {};
}

Result<std::shared_ptr<LocalKernel::Topic>> LocalKernel::find_topic(std::string_view name) const {
  std::shared_lock lock(topics_mutex_);
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    return make_error(Errc::unknown_topic, "topic '" + std::string(name) + "' does not exist");
  }
  return it->second;
}

Result<std::shared_ptr<LocalKernel::Topic>> LocalKernel::find_or_create_topic(
    std::string_view name) {
  if (auto topic = find_topic(name); topic || !options_.auto_create_topics) return topic;
  auto created = create_topic(name, 0);
  if (!created && created.error().code != Errc::topic_exists) return created.error();
  return find_topic(name);
}

Result<LocalKernel::Partition*> LocalKernel::find_partition(const Topic& topic,
                                                            std::int32_t partition) const {
  if (partition < 0 || partition >= std::int32_t(topic.partitions.size())) {
    return no_such_partition(topic.info.name, partition);
  }
  return topic.partitions[std::size_t(partition)].get();
}

Result<TopicInfo> LocalKernel::describe_topic(std::string_view name) const {
  auto topic = find_topic(name);
  if (!topic) return topic.error();
  return (*topic)->info;
}

Result<TopicInfo> LocalKernel::ensure_topic(std::string_view name) {
  auto topic = find_or_create_topic(name);
  if (!topic) return topic.error();
  return (*topic)->info;
}

std::vector<TopicInfo> LocalKernel::list_topics() const {
  std::shared_lock lock(topics_mutex_);
  std::vector<TopicInfo> infos;
  infos.reserve(topics_.size());
  for (const auto& [name, topic] : topics_) infos.push_back(topic->info);
  return infos;
}

Result<std::int32_t> LocalKernel::choose_partition(std::string_view name,
                                                   const std::optional<std::string>& key) {
  auto topic = find_or_create_topic(name);
  if (!topic) return topic.error();
  return partition_of(**topic, key);
}

std::int32_t LocalKernel::partition_of(Topic& topic, const std::optional<std::string>& key) {
  const auto count = topic.info.partitions;
  if (key) return partition_for_key(*key, count);
  return std::int32_t(topic.next_partition.fetch_add(1, std::memory_order_relaxed) %
                      std::uint32_t(count));
}

void LocalKernel::produce(std::string_view name, std::int32_t partition,
                          std::vector<Record> records, ProduceCallback done) {
  if (records.empty()) {
    return done(make_error(Errc::invalid_argument, "produce needs at least one record"));
  }
  auto topic = find_or_create_topic(name);
  if (!topic) return done(topic.error());
  if (partition == kAnyPartition) partition = partition_of(**topic, records.front().key);
  const auto now = wall_clock_ms();
  batch::EncodeOptions encode_options;
  encode_options.default_timestamp_ms = now;
  auto encoded = batch::encode(records, encode_options);
  if (!encoded) return done(encoded.error());
  append(*topic, partition, std::move(encoded.value()), now, std::move(done));
}

void LocalKernel::produce_batch(std::string_view name, std::int32_t partition, std::string batch,
                                ProduceCallback done) {
  auto topic = find_or_create_topic(name);
  if (!topic) return done(topic.error());
  if (partition == kAnyPartition) {
    return done(make_error(Errc::invalid_argument, "an encoded batch needs an explicit partition"));
  }
  auto header = batch::validate(batch);
  if (!header) return done(header.error());
  if (header->total_size() != batch.size()) {
    return done(make_error(Errc::corrupt_batch, "a produce must carry exactly one record batch"));
  }
  if (header->record_count < 1 || header->last_offset_delta != header->record_count - 1) {
    return done(make_error(Errc::corrupt_batch, "record count " +
                                                    std::to_string(header->record_count) +
                                                    " does not match last offset delta " +
                                                    std::to_string(header->last_offset_delta)));
  }
  append(*topic, partition, std::move(batch), wall_clock_ms(), std::move(done));
}

void LocalKernel::append(const std::shared_ptr<Topic>& topic, std::int32_t partition_index,
                         std::string batch, std::int64_t now, ProduceCallback done) {
  auto partition = find_partition(*topic, partition_index);
  if (!partition) return done(partition.error());
  const auto& config = topic->info.config;
  if (batch.size() > std::size_t(config.max_message_bytes)) {
    return done(make_error(Errc::record_too_large, "batch of " + std::to_string(batch.size()) +
                                                       " bytes is over max_message_bytes (" +
                                                       std::to_string(config.max_message_bytes) +
                                                       ")"));
  }
  if (topic->deleted) {
    return done(make_error(Errc::unknown_topic, "topic '" + topic->info.name + "' was deleted"));
  }
  auto appended = (*partition)->log->append(batch, now);
  if (!appended) {
    logger().error() << "append to " << topic->info.name << "/" << partition_index
                     << " failed: " << appended.error().message;
    return done(appended.error());
  }
  (*partition)->waits.notify(appended->last_offset + 1);

  const ProduceAck ack{partition_index, appended->base_offset, appended->last_offset, now};
  if (config.flush != FlushPolicy::always) return done(ack);
  flusher_->request_sync((*partition)->log, appended->last_offset + 1,
                         [ack, done = std::move(done)](Result<void> synced) {
                           if (!synced) return done(synced.error());
                           done(ack);
                         });
}

Result<FetchResult> LocalKernel::fetch(std::string_view name, std::int32_t partition,
                                       std::int64_t offset, std::size_t max_bytes) const {
  auto topic = find_topic(name);
  if (!topic) return topic.error();
  auto found = find_partition(**topic, partition);
  if (!found) return found.error();
  auto read = (*found)->log->read(offset, max_bytes);
  if (!read) return read.error();
  return FetchResult{std::move(read->bytes), {read->log_start_offset, read->log_end_offset}};
}

Result<PartitionOffsets> LocalKernel::offsets(std::string_view name, std::int32_t partition) const {
  auto topic = find_topic(name);
  if (!topic) return topic.error();
  auto found = find_partition(**topic, partition);
  if (!found) return found.error();
  const auto& log = *(*found)->log;
  return PartitionOffsets{log.log_start_offset(), log.log_end_offset()};
}

Result<std::optional<std::int64_t>> LocalKernel::offset_for_timestamp(
    std::string_view name, std::int32_t partition, std::int64_t timestamp_ms) const {
  auto topic = find_topic(name);
  if (!topic) return topic.error();
  auto found = find_partition(**topic, partition);
  if (!found) return found.error();
  return (*found)->log->offset_for_timestamp(timestamp_ms);
}

Result<std::shared_ptr<DataWait>> LocalKernel::wait_for_data(std::string_view name,
                                                             std::int32_t partition,
                                                             std::int64_t offset,
                                                             Clock::time_point deadline,
                                                             std::function<void(bool)> wake) {
  auto topic = find_topic(name);
  if (!topic) return topic.error();
  auto found = find_partition(**topic, partition);
  if (!found) return found.error();
  auto wait = std::make_shared<PendingWait>(offset, deadline, std::move(wake));
  // Registered before the high watermark is read, so an append racing with
  // this call either sees the wait or is seen by the check below.
  (*found)->waits.add(wait);
  deadlines_.schedule(wait);
  if ((*found)->log->log_end_offset() > offset) wait->fire(true);
  return std::shared_ptr<DataWait>(std::move(wait));
}

void LocalKernel::flush_all() {
  std::vector<std::shared_ptr<Topic>> topics;
  {
    std::shared_lock lock(topics_mutex_);
    for (const auto& [name, topic] : topics_) topics.push_back(topic);
  }
  for (const auto& topic : topics) {
    for (const auto& partition : topic->partitions) {
      auto& log = *partition->log;
      if (log.flushed_offset() >= log.log_end_offset()) continue;
      if (auto flushed = log.flush(); !flushed) {
        logger().error() << "fsync of " << topic->info.name
                         << " failed: " << flushed.error().message;
      }
    }
  }
}

void LocalKernel::enforce_retention() {
  std::vector<std::shared_ptr<Topic>> topics;
  {
    std::shared_lock lock(topics_mutex_);
    for (const auto& [name, topic] : topics_) topics.push_back(topic);
  }
  const auto now = wall_clock_ms();
  for (const auto& topic : topics) {
    for (std::size_t p = 0; p < topic->partitions.size(); ++p) {
      const auto keep_from =
          options_.respect_subscriptions && subscriptions_
              ? subscriptions_->retention_floor(topic->info.name, std::int32_t(p))
              : INT64_MAX;
      const auto deleted = topic->partitions[p]->log->enforce_retention(now, keep_from);
      if (deleted > 0) {
        logger().info() << "retention deleted " << deleted << " segment(s) of " << topic->info.name
                        << "/" << p;
      }
    }
  }
}

void LocalKernel::periodic_work() {
  flush_all();
  {
    std::shared_lock lock(topics_mutex_);
    if (!subscriptions_) return;
  }
  subscriptions_->persist_all();
  const auto now = wall_clock_ms();
  if (now - last_retention_ms_.load() >= options_.retention_check_interval_ms) {
    last_retention_ms_ = now;
    enforce_retention();
  }
}

Result<std::shared_ptr<Consumer>> LocalKernel::subscribe(const SubscriptionSpec& spec,
                                                         const ConsumerOptions& options,
                                                         DeliveryCallback deliver) {
  return subscriptions_->subscribe(spec, options, std::move(deliver));
}

Result<void> LocalKernel::delete_subscription(std::string_view topic, std::string_view name) {
  return subscriptions_->remove(topic, name);
}

std::vector<SubscriptionInfo> LocalKernel::list_subscriptions(std::string_view topic) const {
  return subscriptions_->list(topic);
}

Result<void> LocalKernel::commit_offset(std::string_view group, std::string_view topic,
                                        std::int32_t partition, CommittedOffset offset) {
  return subscriptions_->commit_offset(group, topic, partition, offset);
}

Result<std::optional<CommittedOffset>> LocalKernel::committed_offset(std::string_view group,
                                                                     std::string_view topic,
                                                                     std::int32_t partition) const {
  return subscriptions_->committed_offset(group, topic, partition);
}

std::vector<std::string> LocalKernel::list_groups() const { return subscriptions_->list_groups(); }

Result<void> LocalKernel::delete_group(std::string_view group) {
  return subscriptions_->delete_group(group);
}

Result<PartitionLeader> LocalKernel::partition_leader(std::string_view name,
                                                      std::int32_t partition) const {
  auto topic = find_topic(name);
  if (!topic) return topic.error();
  if (auto found = find_partition(**topic, partition); !found) return found.error();
  return PartitionLeader{options_.broker_id, 0, true};
}

Result<std::shared_ptr<const DecodedBatch>> LocalKernel::decoded_batch(const std::string& name,
                                                                       std::int32_t partition,
                                                                       std::int64_t offset) {
  auto topic = find_topic(name);
  if (!topic) return topic.error();
  auto found = find_partition(**topic, partition);
  if (!found) return found.error();
  Partition& part = **found;
  {
    std::lock_guard lock(part.decoded_mutex);
    for (auto it = part.decoded.rbegin(); it != part.decoded.rend(); ++it) {
      if ((*it)->base_offset <= offset && offset < (*it)->end_offset) return *it;
    }
  }
  // One byte asks for exactly the batch holding the offset.
  auto read = part.log->read(offset, 1);
  if (!read) return read.error();
  if (read->bytes.empty()) {
    return make_error(Errc::offset_out_of_range,
                      "offset " + std::to_string(offset) + " is not in the log yet");
  }
  auto header = batch::parse_header(read->bytes);
  if (!header) return header.error();
  auto records = batch::decode(read->bytes);
  if (!records) return records.error();
  auto decoded = std::make_shared<DecodedBatch>();
  decoded->base_offset = header->base_offset;
  decoded->end_offset = header->last_offset() + 1;
  decoded->records = std::move(records.value());

  constexpr std::size_t kCachedBatches = 32;
  std::lock_guard lock(part.decoded_mutex);
  part.decoded.push_back(decoded);
  if (part.decoded.size() > kCachedBatches) part.decoded.pop_front();
  return std::shared_ptr<const DecodedBatch>(std::move(decoded));
}

Result<PartitionOffsets> LocalKernel::partition_offsets(const std::string& topic,
                                                        std::int32_t partition) {
  return offsets(topic, partition);
}

Result<std::shared_ptr<DataWait>> LocalKernel::wait_for_new_data(const std::string& topic,
                                                                 std::int32_t partition,
                                                                 std::int64_t offset,
                                                                 std::function<void()> wake) {
  // The deadline only bounds how long a forgotten wait lives; the
  // subscription registers a new one when it fires empty.
  return wait_for_data(topic, partition, offset, Clock::now() + std::chrono::seconds(30),
                       [wake = std::move(wake)](bool) { wake(); });
}

void LocalKernel::route_dead_letters(DeadLetterRoute route) {
  std::lock_guard lock(dead_letter_mutex_);
  dead_letter_route_ = std::move(route);
}

void LocalKernel::dead_letter(const std::string& topic, Record record,
                              std::function<void(bool stored)> done) {
  DeadLetterRoute route;
  {
    std::lock_guard lock(dead_letter_mutex_);
    route = dead_letter_route_;
  }
  if (route) return route(topic, std::move(record), std::move(done));
  store_dead_letter(*this, topic, std::move(record), std::move(done));
}

}  // namespace junction::kernel
