#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The two sparse indexes of a segment, kept in memory and stored as files of
// fixed-size BIG-ENDIAN entries (Kafka's byte order, so files stay portable
// between hosts). Offsets are relative to the segment's base offset, which the
// segment's file name gives; positions are byte positions in its .log file.
//
// An entry is added at an "index point": the first batch that starts at least
// index_interval_bytes after the previous index point (never the batch at
// position 0, whose position is implied).
namespace junction::storage {

struct OffsetEntry {
  std::uint32_t relative_offset = 0;  // base offset of the batch at `position`
  std::uint32_t position = 0;
};

// `.index`: relative offset u32 + position u32.
class OffsetIndex {
 public:
  static constexpr std::size_t kEntrySize = 8;

  void append(std::uint32_t relative_offset, std::uint32_t position) {
    entries_.push_back({relative_offset, position});
  }
  // The last entry whose batch starts at or before `relative_offset`; the
  // batch holding that offset starts there or after it.
  OffsetEntry floor(std::uint32_t relative_offset) const noexcept;
  const std::vector<OffsetEntry>& entries() const noexcept { return entries_; }
  void clear() noexcept { entries_.clear(); }

  std::string serialize() const;
  // Loads a file's bytes; false when they cannot index a log of `log_size`
  // bytes (torn size, entries out of order or past the end).
  bool parse(std::string_view bytes, std::uint64_t log_size);

 private:
  std::vector<OffsetEntry> entries_;
};

struct TimeEntry {
  // The largest timestamp of every batch up to and including the batch that
  // starts at relative_offset.
  std::int64_t timestamp = 0;
  std::uint32_t relative_offset = 0;
};

// `.timeindex`: timestamp i64 + relative offset u32. Entries are added at index
// points only, when the running max timestamp grew, so timestamps are strictly
// increasing and every entry's offset is also an offset-index entry.
class TimeIndex {
 public:
  static constexpr std::size_t kEntrySize = 12;

  void append(std::int64_t timestamp, std::uint32_t relative_offset) {
    entries_.push_back({timestamp, relative_offset});
  }
  // Where a search for the first record with a timestamp >= `timestamp` may
  // start: the relative offset of the last entry below it (every record up to
  // that batch is older), nullopt when the search starts at the segment start.
  std::optional<std::uint32_t> start_for(std::int64_t timestamp) const noexcept;
  const std::vector<TimeEntry>& entries() const noexcept { return entries_; }
  void clear() noexcept { entries_.clear(); }

  std::string serialize() const;
  // False unless the bytes hold whole entries with increasing timestamps, each
  // pointing at an entry of `offsets`.
  bool parse(std::string_view bytes, const OffsetIndex& offsets);

 private:
  std::vector<TimeEntry> entries_;
};

}  // namespace junction::storage
