#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "junction/result.hpp"
#include "junction/subscription.hpp"

namespace junction::storage {

// What a durable subscription is, written once at creation.
struct SubscriptionMeta {
  std::string topic;
  std::string name;
  DeliveryMode mode = DeliveryMode::queue;
  bool key_shared = false;
  std::int32_t partitions = 0;
};

// Progress in one partition: everything below ack_floor is acknowledged, and
// so is each offset in acked_above (sorted, all >= ack_floor).
struct PartitionProgress {
  std::int64_t ack_floor = 0;
  std::vector<std::int64_t> acked_above;

  bool operator==(const PartitionProgress&) const = default;
};

// The folder name of a subscription: every byte outside [a-zA-Z0-9._-]
// percent-encoded, never "", "." or "..", and at most 200 bytes (a long name
// keeps its first bytes and gets a hash). The real name lives in the snapshot.
std::string encode_folder_name(std::string_view name);

// The durable progress of one named subscription, in its own folder:
// `snapshot` (meta + every partition's progress, replaced atomically) and
// `journal` (acks and floor moves since the snapshot, each entry CRC-checked so
// a torn tail is dropped on open). Thread-safe. Destroying it drops what is
// buffered: flush() or snapshot() first.
class SubscriptionJournal {
 public:
  // Creates the folder with `meta` and `initial` floors (or finishes a
  // creation that a crash cut short), or, when it exists, recovers: snapshot,
  // then the journal replayed on top. `initial` is then unused, and a `meta`
  // with a name must match the stored topic and name. A corrupt or missing
  // snapshot is an error; a torn or corrupt journal tail is cut with a log line.
  static Result<std::unique_ptr<SubscriptionJournal>> open(
      const std::filesystem::path& dir, const SubscriptionMeta& meta,
      const std::vector<PartitionProgress>& initial);
  // Lists the subscription folders under `root` (`<topic>/<name>/`).
  static std::vector<std::filesystem::path> list(const std::filesystem::path& root);
  ~SubscriptionJournal();

  const SubscriptionMeta& meta() const;
  // What open() recovered (for a new journal: `initial`).
  const std::vector<PartitionProgress>& recovered() const;

  // Buffered in memory until flush(): cheap enough for every ack.
  // `partition` is below meta().partitions.
  void record_ack(std::int32_t partition, std::int64_t offset);
  // The floor moved without acks (retention deleted unacked records, or the
  // subscription was reset): offsets below `floor` count as acknowledged.
  void record_floor(std::int32_t partition, std::int64_t floor);
  // Writes what is buffered and fdatasyncs it. Concurrent callers share one
  // fsync (group commit): each returns once its own entries are durable.
  Result<void> flush();
  // record_ack + flush, for flush = "always".
  Result<void> record_ack_durably(std::int32_t partition, std::int64_t offset);

  // Replaces the snapshot with `progress` (tmp file, fsync, rename, folder
  // fsync) and empties the journal. Entries recorded concurrently are kept.
  Result<void> snapshot(const std::vector<PartitionProgress>& progress);
  // The journal file's size plus what is buffered for it.
  std::uint64_t journal_bytes() const;

  // Deletes the folder; later calls are no-ops returning errors.
  Result<void> remove();

 private:
  struct State;
  explicit SubscriptionJournal(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace junction::storage
