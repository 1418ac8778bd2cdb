#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "junction/result.hpp"
#include "junction/topic.hpp"

namespace junction::storage {

struct AppendResult {
  std::int64_t base_offset = 0;
  std::int64_t last_offset = 0;
  std::int64_t max_timestamp = 0;
};

struct ReadResult {
  std::string bytes;  // whole batches
  std::int64_t log_start_offset = 0;
  std::int64_t log_end_offset = 0;
};

// One partition's durable log: a folder of segments named by base offset
// (`<20-digit base offset>.log`, `.index`, `.timeindex`), as Kafka lays them
// out. Thread-safe: appends serialize on one mutex; reads copy a snapshot of
// the segment list under it and read the file outside it.
class PartitionLog {
 public:
  // Opens (creating the folder if needed) and recovers: the tail segment is
  // scanned, and a torn or corrupt tail is truncated after the last complete,
  // CRC-valid batch, with a log line.
  static Result<std::unique_ptr<PartitionLog>> open(const std::filesystem::path& dir,
                                                    const TopicConfig& config);
  ~PartitionLog();

  // Appends one batch that batch::validate already accepted. Rewrites its
  // BaseOffset in place to the log end offset (no re-encoding), rolls the
  // segment first if it is full or older than segment_ms.
  Result<AppendResult> append(std::string& batch, std::int64_t now_ms);

  // Whole batches from the one containing `offset`, up to max_bytes but at
  // least one batch. offset == end gives empty bytes; outside
  // [start, end] is offset_out_of_range.
  Result<ReadResult> read(std::int64_t offset, std::size_t max_bytes) const;

  std::int64_t log_start_offset() const;
  std::int64_t log_end_offset() const;
  // First offset whose batch max timestamp is >= timestamp_ms, refined to the
  // record; nullopt if none.
  Result<std::optional<std::int64_t>> offset_for_timestamp(std::int64_t timestamp_ms) const;

  // fsyncs the data written so far; returns the end offset it covers.
  Result<std::int64_t> flush();
  std::int64_t flushed_offset() const;

  // Deletes whole segments older than retention_ms or beyond retention_bytes;
  // never the active segment, nor one holding offsets >= keep_from_offset
  // (what a subscription still needs). Returns how many were deleted.
  std::size_t enforce_retention(std::int64_t now_ms, std::int64_t keep_from_offset = INT64_MAX);

  std::uint64_t size_bytes() const;
  std::size_t segment_count() const;

  // Closes and deletes every file and the folder.
  Result<void> remove();
  // Closes the files without a final flush, leaving them where they are (the
  // owner moved or deletes the folder itself).
  void discard();

 private:
  struct State;
  explicit PartitionLog(std::unique_ptr<State> state);
  // Drops every segment and marks the log removed: appends and reads fail
  // from then on.
  void forget_segments();
  std::unique_ptr<State> state_;
};

}  // namespace junction::storage
