#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "junction/record_batch.hpp"
#include "junction/result.hpp"
#include "storage/offset_index.hpp"

namespace junction::storage {

// `<dir>/<base offset as 20 digits><extension>`.
std::filesystem::path segment_file(const std::filesystem::path& dir, std::int64_t base_offset,
                                   std::string_view extension);

// One segment of a partition log: a .log file of whole batches whose offsets
// follow each other from the base offset, plus its two sparse indexes.
//
// Concurrency: the mutable state (size, offsets, timestamps, in-memory
// indexes) belongs to the owning PartitionLog and is read and written only
// under its mutex. Bytes below a size observed under that mutex never change
// again, so read() and find_timestamp() run without it, given that size.
//
// Index files exist only for sealed segments. They are written whole, synced
// and renamed into place after the log itself was synced, so an index file
// that exists is complete and matches its log; the active segment's indexes
// live in memory and are rebuilt by the recovery scan.
class Segment {
 public:
  struct Located {
    std::uint64_t position = 0;
    batch::Header header;
  };

  // A new, empty segment; fails if its .log file exists.
  static Result<std::shared_ptr<Segment>> create(const std::filesystem::path& dir,
                                                 std::int64_t base_offset,
                                                 std::int64_t index_interval_bytes);
  // An existing segment, unread until recover().
  static Result<std::shared_ptr<Segment>> open(const std::filesystem::path& dir,
                                               std::int64_t base_offset,
                                               std::int64_t index_interval_bytes);
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  ~Segment();

  // Loads the state. With trust_index_files, index files that are sane and
  // agree with the batch headers after their last entry are used as they are.
  // Otherwise every batch is CRC-checked from the start, the file is cut
  // before the first incomplete, corrupt or out-of-sequence batch (with a log
  // line) and the indexes are rebuilt in memory; stale index files are
  // deleted.
  Result<void> recover(bool trust_index_files);
  bool index_files_current() const noexcept { return index_files_current_; }

  // Writes `batch` (whose BaseOffset is next_offset()) at the end with one
  // pwrite and indexes it.
  Result<void> append(std::span<const char> batch, const batch::Header& header,
                      std::int64_t now_ms);

  std::int64_t base_offset() const noexcept { return base_offset_; }
  std::int64_t next_offset() const noexcept { return next_offset_; }
  std::uint64_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // kNoTimestamp when no batch carries a timestamp.
  std::int64_t max_timestamp() const noexcept { return max_timestamp_; }
  // When the first batch was appended (its timestamp after a recovery).
  std::optional<std::int64_t> first_append_ms() const noexcept { return first_append_ms_; }
  Result<std::int64_t> modified_ms() const;
  const std::filesystem::path& log_path() const noexcept { return log_path_; }

  // Where the batch holding `offset` starts, or a position before it.
  std::uint64_t position_for_offset(std::int64_t offset) const noexcept;
  // A position before the first batch holding a record at or after `timestamp_ms`.
  std::uint64_t position_for_timestamp(std::int64_t timestamp_ms) const noexcept;

  // Whole batches from the one holding `offset`, at least one and otherwise up
  // to max_bytes, read from `from` (a position_for_offset) to `end`; empty if
  // no batch there reaches `offset`.
  Result<std::string> read(std::int64_t offset, std::uint64_t from, std::uint64_t end,
                           std::size_t max_bytes) const;
  // The first offset in [from, end) whose record timestamp is >= timestamp_ms.
  Result<std::optional<std::int64_t>> find_timestamp(std::int64_t timestamp_ms, std::uint64_t from,
                                                     std::uint64_t end) const;

  Result<void> sync() const;
  // Stores the indexes of a sealed segment; call after sync().
  Result<void> write_index_files();
  // Unlinks the files; open descriptors keep working for current readers.
  void remove_files() const;

 private:
  Segment(const std::filesystem::path& dir, std::int64_t base_offset,
          std::int64_t index_interval_bytes, int fd);

  void reset() noexcept;
  void record(const batch::Header& header, std::uint64_t position);
  std::uint64_t replay(std::string_view file, std::uint64_t position, bool verify_crc);
  bool load_index_files(std::string_view file);
  void remove_index_files() const;
  template <class Match>
  Result<std::optional<Located>> find_batch(std::uint64_t position, std::uint64_t end,
                                            Match match) const;

  const std::int64_t base_offset_;
  const std::uint64_t index_interval_;
  const std::filesystem::path log_path_;
  const std::filesystem::path index_path_;
  const std::filesystem::path time_index_path_;
  const int fd_;

  std::uint64_t size_ = 0;
  std::int64_t next_offset_;
  std::int64_t max_timestamp_ = kNoTimestamp;
  std::optional<std::int64_t> first_append_ms_;
  std::uint64_t bytes_since_index_ = 0;
  OffsetIndex offsets_;
  TimeIndex times_;
  bool index_files_current_ = false;
};

}  // namespace junction::storage
