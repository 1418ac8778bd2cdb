#include "storage/partition_log.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <limits>
#include <mutex>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "junction/log.hpp"
#include "junction/record_batch.hpp"
#include "storage/file_io.hpp"
#include "storage/segment.hpp"

namespace junction::storage {
namespace {

const Logger kLog{"storage"};

using SegmentPtr = std::shared_ptr<Segment>;

// Index entries hold positions and relative offsets as u32.
constexpr std::uint64_t kMaxRelative = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kDigits = 20;

std::optional<std::int64_t> parse_base_offset(std::string_view name) {
  if (name.size() < kDigits) return std::nullopt;
  std::int64_t base = 0;
  const auto [end, error] = std::from_chars(name.data(), name.data() + kDigits, base);
  if (error != std::errc() || end != name.data() + kDigits || base < 0) return std::nullopt;
  return base;
}

void unlink_leftover(const std::filesystem::path& path) {
  kLog.info() << "deleting leftover " << path.string();
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    const int error_number = errno;
    kLog.warn() << "cannot delete " << path.string() << ": "
                << std::system_category().message(error_number);
  }
}

// Base offsets of the .log files, sorted; deletes index files without a log
// (left by a deletion that a crash interrupted) and unfinished index writes.
Result<std::vector<std::int64_t>> list_segments(const std::filesystem::path& dir) {
  std::set<std::int64_t> logs;
  std::vector<std::pair<std::int64_t, std::filesystem::path>> indexes;
  std::error_code error;
  for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    const auto name = it->path().filename().string();
    const auto base = parse_base_offset(name);
    if (!base) continue;
    const auto extension = std::string_view(name).substr(kDigits);
    if (extension == ".log") {
      logs.insert(*base);
    } else if (extension == ".index" || extension == ".timeindex") {
      indexes.emplace_back(*base, it->path());
    } else if (extension == ".index.tmp" || extension == ".timeindex.tmp") {
      unlink_leftover(it->path());
    }
  }
  if (error) {
    return make_error(Errc::io_error, "cannot list " + dir.string() + ": " + error.message());
  }
  for (const auto& [base, path] : indexes) {
    if (!logs.contains(base)) unlink_leftover(path);
  }
  return std::vector<std::int64_t>(logs.begin(), logs.end());
}

}  // namespace

struct PartitionLog::State {
  std::filesystem::path dir;
  TopicConfig config;
  std::uint64_t max_segment_bytes = 0;

  // Serializes flush, retention and remove(), so that a flush never writes the
  // index files of a segment being deleted. Taken before `mutex`.
  std::mutex maintenance;
  mutable std::mutex mutex;
  // Sorted by base offset; back() is the active segment. Empty only after
  // remove().
  std::vector<SegmentPtr> segments;
  // Sealed segments whose data and index files are not durable yet.
  std::vector<SegmentPtr> unsynced;
  // Entries were created in `dir` (or `dir` itself in its parent) since the
  // last flush.
  bool directory_dirty = false;
  bool parent_dirty = false;
  std::int64_t start_offset = 0;
  std::int64_t end_offset = 0;
  std::int64_t flushed_offset = 0;
  std::uint64_t total_bytes = 0;
  bool removed = false;

  Error removed_error() const {
    return make_error(Errc::io_error, "partition log " + dir.string() + " was removed");
  }

  // Caller holds `mutex`.
  Result<void> roll() {
    auto next = Segment::create(dir, end_offset, config.index_interval_bytes);
    if (!next) return next.error();
    unsynced.push_back(segments.back());
    segments.push_back(std::move(next.value()));
    directory_dirty = true;
    return {};
  }

  // Caller holds `mutex`.
  bool expired(const Segment& segment, std::int64_t now_ms) const {
    if (config.retention_bytes >= 0 &&
        total_bytes - segment.size() >= std::uint64_t(config.retention_bytes)) {
      return true;
    }
    if (config.retention_ms < 0) return false;
    auto newest = segment.max_timestamp();
    if (newest < 0) {
      auto modified = segment.modified_ms();
      if (!modified) {
        kLog.warn() << "retention skips " << segment.log_path().string() << ": "
                    << modified.error().message;
        return false;
      }
      newest = *modified;
    }
    return now_ms - newest > config.retention_ms;
  }
};

PartitionLog::PartitionLog(std::unique_ptr<State> state) : state_(std::move(state)) {}

PartitionLog::~PartitionLog() {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->removed) return;
  }
  // A clean close leaves nothing for the next open to rebuild but the tail.
  if (auto flushed = flush(); !flushed) {
    kLog.error() << "closing " << state_->dir.string() << ": " << flushed.error().message;
  }
}

Result<std::unique_ptr<PartitionLog>> PartitionLog::open(const std::filesystem::path& dir,
                                                         const TopicConfig& config) {
  auto state = std::make_unique<State>();
  state->dir = dir;
  state->config = config;
  state->max_segment_bytes = std::min<std::uint64_t>(
      std::uint64_t(std::max<std::int64_t>(config.segment_bytes, 0)), kMaxRelative);

  std::error_code error;
  state->parent_dirty = std::filesystem::create_directories(dir, error);
  if (error)
    return make_error(Errc::io_error, "cannot create " + dir.string() + ": " + error.message());

  auto bases = list_segments(dir);
  if (!bases) return bases.error();
  for (std::size_t i = 0; i < bases->size(); ++i) {
    const auto base = (*bases)[i];
    auto segment = Segment::open(dir, base, config.index_interval_bytes);
    if (!segment) return segment.error();
    // The tail is where a crash tears writes, and it has no index files.
    const bool tail = i + 1 == bases->size();
    if (auto recovered = (*segment)->recover(!tail); !recovered) return recovered.error();
    if (!state->segments.empty() && state->segments.back()->next_offset() != base) {
      kLog.warn() << (*segment)->log_path().string() << " starts at offset " << base
                  << " but the segment before it ends at offset "
                  << state->segments.back()->next_offset();
    }
    if (!tail && !(*segment)->index_files_current()) state->unsynced.push_back(*segment);
    state->total_bytes += (*segment)->size();
    state->segments.push_back(std::move(segment.value()));
  }
  if (state->segments.empty()) {
    auto first = Segment::create(dir, 0, config.index_interval_bytes);
    if (!first) return first.error();
    state->segments.push_back(std::move(first.value()));
    state->directory_dirty = true;
  }
  state->start_offset = state->segments.front()->base_offset();
  state->end_offset = state->segments.back()->next_offset();
  // A crashed run may have left recovered data in the page cache only, so
  // nothing counts as flushed before the first flush of this run.
  state->flushed_offset = state->start_offset;
  return std::unique_ptr<PartitionLog>(new PartitionLog(std::move(state)));
}

Result<AppendResult> PartitionLog::append(std::string& batch, std::int64_t now_ms) {
  auto header = batch::parse_header(batch);
  if (!header) return header.error();
  if (header->total_size() != batch.size() || header->last_offset_delta < 0) {
    return make_error(Errc::corrupt_batch, "append takes exactly one whole batch");
  }

  auto& s = *state_;
  std::lock_guard lock(s.mutex);
  if (s.removed) return s.removed_error();
  auto* active = s.segments.back().get();
  if (!active->empty()) {
    const bool full = active->size() + batch.size() > s.max_segment_bytes;
    const bool old =
        active->first_append_ms() && now_ms - *active->first_append_ms() > s.config.segment_ms;
    const bool offsets_overflow = std::uint64_t(s.end_offset - active->base_offset() +
                                                header->last_offset_delta) > kMaxRelative;
    if (full || old || offsets_overflow) {
      if (auto rolled = s.roll(); !rolled) return rolled.error();
      active = s.segments.back().get();
    }
  }

  header->base_offset = s.end_offset;
  batch::set_base_offset(batch, s.end_offset);
  if (auto written = active->append(batch, *header, now_ms); !written) return written.error();
  s.end_offset = header->last_offset() + 1;
  s.total_bytes += batch.size();
  return AppendResult{header->base_offset, header->last_offset(), header->max_timestamp};
}

Result<ReadResult> PartitionLog::read(std::int64_t offset, std::size_t max_bytes) const {
  const auto& s = *state_;
  while (true) {
    ReadResult result;
    SegmentPtr segment;
    std::uint64_t from = 0;
    std::uint64_t end = 0;
    std::optional<std::int64_t> next_base;
    {
      std::lock_guard lock(s.mutex);
      if (s.removed) return s.removed_error();
      result.log_start_offset = s.start_offset;
      result.log_end_offset = s.end_offset;
      if (offset < s.start_offset || offset > s.end_offset) {
        return make_error(Errc::offset_out_of_range,
                          "offset " + std::to_string(offset) + " is outside [" +
                              std::to_string(s.start_offset) + ", " + std::to_string(s.end_offset) +
                              "] in " + s.dir.string());
      }
      if (offset == s.end_offset) return result;
      const auto after = std::upper_bound(
          s.segments.begin(), s.segments.end(), offset,
          [](std::int64_t value, const SegmentPtr& seg) { return value < seg->base_offset(); });
      segment = *std::prev(after);
      from = segment->position_for_offset(offset);
      // Only bytes appended before this point are complete batches.
      end = segment->size();
      if (after != s.segments.end()) next_base = (*after)->base_offset();
    }
    auto bytes = segment->read(offset, from, end, max_bytes);
    if (!bytes) return bytes.error();
    if (!bytes->empty() || !next_base) {
      result.bytes = std::move(bytes.value());
      return result;
    }
    // Offsets missing between two segments: serve the next batch after them,
    // as Kafka does.
    offset = *next_base;
  }
}

std::int64_t PartitionLog::log_start_offset() const {
  std::lock_guard lock(state_->mutex);
  return state_->start_offset;
}

std::int64_t PartitionLog::log_end_offset() const {
  std::lock_guard lock(state_->mutex);
  return state_->end_offset;
}

Result<std::optional<std::int64_t>> PartitionLog::offset_for_timestamp(
    std::int64_t timestamp_ms) const {
  struct Candidate {
    SegmentPtr segment;
    std::uint64_t from = 0;
    std::uint64_t end = 0;
  };
  std::vector<Candidate> candidates;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->removed) return state_->removed_error();
    for (const auto& segment : state_->segments) {
      // Timestamps need not grow with offsets, so any segment may hold the answer.
      if (segment->max_timestamp() >= timestamp_ms) {
        candidates.push_back(
            {segment, segment->position_for_timestamp(timestamp_ms), segment->size()});
      }
    }
  }
  for (const auto& candidate : candidates) {
    auto found = candidate.segment->find_timestamp(timestamp_ms, candidate.from, candidate.end);
    if (!found || *found) return found;
  }
  return std::optional<std::int64_t>();
}

Result<std::int64_t> PartitionLog::flush() {
  auto& s = *state_;
  std::lock_guard maintenance(s.maintenance);
  std::vector<SegmentPtr> sealed;
  SegmentPtr active;
  std::int64_t end = 0;
  bool directory = false;
  bool parent = false;
  {
    std::lock_guard lock(s.mutex);
    if (s.removed) return s.removed_error();
    sealed = std::exchange(s.unsynced, {});
    active = s.segments.back();
    end = s.end_offset;
    directory = std::exchange(s.directory_dirty, false) || !sealed.empty();
    parent = std::exchange(s.parent_dirty, false);
  }

  // Appends go on meanwhile; the sync covers at least what preceded `end`.
  auto synced = [&]() -> Result<void> {
    for (const auto& segment : sealed) {
      if (auto done = segment->sync(); !done) return done;
      if (auto done = segment->write_index_files(); !done) return done;
    }
    if (auto done = active->sync(); !done) return done;
    if (directory) {
      if (auto done = sync_directory(s.dir); !done) return done;
    }
    if (parent) {
      if (auto done = sync_parent_directory(s.dir); !done) return done;
    }
    return {};
  }();

  std::lock_guard lock(s.mutex);
  if (!synced) {
    s.unsynced.insert(s.unsynced.begin(), sealed.begin(), sealed.end());
    s.directory_dirty |= directory;
    s.parent_dirty |= parent;
    return synced.error();
  }
  s.flushed_offset = std::max(s.flushed_offset, end);
  return end;
}

std::int64_t PartitionLog::flushed_offset() const {
  std::lock_guard lock(state_->mutex);
  return state_->flushed_offset;
}

std::size_t PartitionLog::enforce_retention(std::int64_t now_ms, std::int64_t keep_from_offset) {
  auto& s = *state_;
  std::lock_guard maintenance(s.maintenance);
  std::vector<SegmentPtr> deleted;
  {
    std::lock_guard lock(s.mutex);
    if (s.removed) return 0;
    while (true) {
      const auto oldest = s.segments.front();
      const bool active = s.segments.size() == 1;
      if ((active && oldest->empty()) || !s.expired(*oldest, now_ms)) break;
      const std::int64_t segment_end = active ? s.end_offset : s.segments[1]->base_offset();
      if (segment_end > keep_from_offset) break;
      // An idle partition's data must expire too: seal the active segment
      // first, as Kafka does.
      if (active) {
        if (auto rolled = s.roll(); !rolled) {
          kLog.error() << "retention cannot roll " << s.dir.string() << ": "
                       << rolled.error().message;
          break;
        }
      }
      s.total_bytes -= oldest->size();
      std::erase(s.unsynced, oldest);
      s.segments.erase(s.segments.begin());
      deleted.push_back(oldest);
    }
    s.start_offset = s.segments.front()->base_offset();
  }
  // Readers holding a segment keep reading through its open descriptor.
  for (const auto& segment : deleted) segment->remove_files();
  return deleted.size();
}

std::uint64_t PartitionLog::size_bytes() const {
  std::lock_guard lock(state_->mutex);
  return state_->total_bytes;
}

std::size_t PartitionLog::segment_count() const {
  std::lock_guard lock(state_->mutex);
  return state_->segments.size();
}

// The caller holds the maintenance lock.
void PartitionLog::forget_segments() {
  auto& s = *state_;
  std::lock_guard lock(s.mutex);
  s.removed = true;
  s.segments.clear();
  s.unsynced.clear();
  s.total_bytes = 0;
}

void PartitionLog::discard() {
  std::lock_guard maintenance(state_->maintenance);
  forget_segments();
}

Result<void> PartitionLog::remove() {
  auto& s = *state_;
  std::lock_guard maintenance(s.maintenance);
  forget_segments();
  std::error_code error;
  std::filesystem::remove_all(s.dir, error);
  if (error)
    return make_error(Errc::io_error, "cannot delete " + s.dir.string() + ": " + error.message());
  return {};
}

}  // namespace junction::storage
