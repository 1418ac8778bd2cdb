#include "storage/group_offset_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <iterator>
#include <mutex>
#include <system_error>
#include <utility>

#include "junction/crc32c.hpp"
#include "junction/log.hpp"
#include "storage/file_io.hpp"

namespace junction::storage {
namespace fs = std::filesystem;
namespace {

const Logger kLog{"storage"};

// File: magic and version, then entries, little-endian: CRC-32C of the rest,
// body length, body (kind, then the kind's fields).
constexpr std::string_view kMagic = "JGRP";
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderSize = 8;
constexpr std::size_t kEntryHeaderSize = 8;
enum class EntryKind : std::uint8_t { commit = 1, delete_group = 2, delete_topic = 3 };

// Rewritten when it holds more than this many entries per live offset and is
// big enough for the rewrite to pay.
constexpr std::uint64_t kStaleRatio = 4;
constexpr std::uint64_t kCompactionMinBytes = 1 << 20;

// A decoded entry; deletions fill `group` or `topic` only.
struct Entry {
  EntryKind kind = EntryKind::commit;
  std::string_view group;
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string_view metadata;
};

std::string encode(const Entry& entry) {
  std::string bytes(kEntryHeaderSize, '\0');
  append_le(bytes, std::uint8_t(entry.kind));
  switch (entry.kind) {
    case EntryKind::commit:
      append_text(bytes, entry.group);
      append_text(bytes, entry.topic);
      append_le(bytes, entry.partition);
      append_le(bytes, entry.offset);
      append_text(bytes, entry.metadata);
      break;
    case EntryKind::delete_group:
      append_text(bytes, entry.group);
      break;
    case EntryKind::delete_topic:
      append_text(bytes, entry.topic);
      break;
  }
  store_le(bytes.data() + 4, std::uint32_t(bytes.size() - kEntryHeaderSize));
  store_le(bytes.data(), crc32c(std::string_view(bytes).substr(4)));
  return bytes;
}

std::optional<Entry> decode(std::string_view body) {
  LeReader in(body);
  std::uint8_t kind = 0;
  if (!in.get(kind)) return std::nullopt;
  Entry entry;
  entry.kind = EntryKind(kind);
  bool complete = false;
  switch (entry.kind) {
    case EntryKind::commit:
      complete = in.get_text(entry.group) && in.get_text(entry.topic) && in.get(entry.partition) &&
                 in.get(entry.offset) && in.get_text(entry.metadata);
      break;
    case EntryKind::delete_group:
      complete = in.get_text(entry.group);
      break;
    case EntryKind::delete_topic:
      complete = in.get_text(entry.topic);
      break;
  }
  if (!complete || !in.done()) return std::nullopt;
  return entry;
}

std::string file_header() {
  std::string header(kMagic);
  append_le(header, kVersion);
  return header;
}

}  // namespace

struct GroupOffsetStore::State {
  using Offsets = std::map<std::pair<std::string, std::int32_t>, CommittedOffset>;

  explicit State(const fs::path& file) : path(file) {}
  ~State() {
    if (fd >= 0) ::close(fd);
  }

  const fs::path path;

  mutable std::mutex mutex;
  // Signalled when a sync ends.
  std::condition_variable sync_done;
  int fd = -1;
  std::map<std::string, Offsets, std::less<>> groups;
  std::uint64_t live = 0;
  std::uint64_t entries = 0;
  std::uint64_t file_size = 0;
  // Entries are numbered in write order; those up to `synced` are durable.
  std::uint64_t appended = 0;
  std::uint64_t synced = 0;
  // One thread at a time syncs or rewrites the file.
  bool syncing = false;
  // A failed fdatasync may have dropped dirty pages, and a later one would
  // succeed without storing them: only a rewrite from memory is sure.
  bool rewrite_needed = false;

  bool compaction_due() const {
    return entries > kStaleRatio * live && file_size > kCompactionMinBytes;
  }

  void apply(const Entry& entry) {
    switch (entry.kind) {
      case EntryKind::commit: {
        auto group = groups.find(entry.group);
        if (group == groups.end()) {
          group = groups.emplace(std::string(entry.group), Offsets{}).first;
        }
        const auto stored = group->second.insert_or_assign(
            {std::string(entry.topic), entry.partition},
            CommittedOffset{entry.offset, std::string(entry.metadata)});
        if (stored.second) ++live;
        break;
      }
      case EntryKind::delete_group:
        if (auto group = groups.find(entry.group); group != groups.end()) {
          live -= group->second.size();
          groups.erase(group);
        }
        break;
      case EntryKind::delete_topic:
        for (auto group = groups.begin(); group != groups.end();) {
          live -= std::erase_if(
              group->second, [&](const auto& offset) { return offset.first.first == entry.topic; });
          group = group->second.empty() ? groups.erase(group) : std::next(group);
        }
        break;
    }
  }

  bool holds_topic(std::string_view topic) const {
    return std::any_of(groups.begin(), groups.end(), [&](const auto& group) {
      return std::any_of(group.second.begin(), group.second.end(),
                         [&](const auto& offset) { return offset.first.first == topic; });
    });
  }

  // Caller holds `mutex`.
  Result<void> append(const Entry& entry) {
    const auto bytes = encode(entry);
    if (auto written = write_all_at(fd, bytes, file_size, path); !written) {
      // A partial entry left past the end would hide every later one from
      // the replay.
      [[maybe_unused]] const int ignored = ::ftruncate(fd, off_t(file_size));
      return written;
    }
    file_size += bytes.size();
    ++entries;
    ++appended;
    apply(entry);
    return {};
  }

  Result<void> load() {
    auto bytes = read_all(fd, path);
    if (!bytes) return bytes.error();
    const std::string_view file = *bytes;
    if (file.size() < kHeaderSize || file.substr(0, kHeaderSize) != file_header()) {
      return make_error(Errc::io_error, path.string() + " is not a group offset file of version " +
                                            std::to_string(kVersion));
    }
    std::size_t at = kHeaderSize;
    while (file.size() - at >= kEntryHeaderSize) {
      const auto length = load_le<std::uint32_t>(file.data() + at + 4);
      if (length > file.size() - at - kEntryHeaderSize) break;
      const auto checked = file.substr(at + 4, 4 + std::size_t(length));
      if (load_le<std::uint32_t>(file.data() + at) != crc32c(checked)) break;
      const auto entry = decode(checked.substr(4));
      if (!entry) break;
      apply(*entry);
      ++entries;
      at += kEntryHeaderSize + length;
    }
    if (at < file.size()) {
      if (::ftruncate(fd, off_t(at)) != 0) return io_error("cannot truncate", path, errno);
      kLog.warn() << "cut " << path.string() << " at position " << at << ": dropped "
                  << file.size() - at << " bytes of a torn or corrupt tail";
    }
    file_size = at;
    return {};
  }

  // Replaces the file with one holding only the live offsets (the first file
  // too, when none exists). Caller holds `mutex` and the sync turn.
  Result<void> rewrite() {
    std::string bytes = file_header();
    for (const auto& [group, offsets] : groups) {
      for (const auto& [key, offset] : offsets) {
        bytes += encode(
            {EntryKind::commit, group, key.first, key.second, offset.offset, offset.metadata});
      }
    }
    const auto fresh = replace_file(path, bytes);
    if (!fresh) return fresh.error();
    if (fd >= 0) ::close(fd);
    fd = *fresh;
    file_size = bytes.size();
    entries = live;
    if (auto durable = sync_parent_directory(path); !durable) {
      rewrite_needed = true;
      return durable;
    }
    rewrite_needed = false;
    synced = appended;
    return {};
  }

  // Group commit: the caller whose turn comes syncs every entry written so
  // far, for the callers waiting behind it too. A due compaction takes the
  // place of the fdatasync.
  Result<void> sync_through(std::unique_lock<std::mutex>& lock, std::uint64_t target) {
    while (synced < target) {
      if (syncing) {
        sync_done.wait(lock);
        continue;
      }
      syncing = true;
      const auto upto = appended;
      Result<void> done;
      if (rewrite_needed || compaction_due()) {
        done = rewrite();
      } else {
        const int file = fd;
        lock.unlock();
        done = sync_data(file, path);
        lock.lock();
        if (!done) rewrite_needed = true;
      }
      syncing = false;
      sync_done.notify_all();
      if (!done) return done;
      synced = std::max(synced, upto);
    }
    return {};
  }
};

GroupOffsetStore::GroupOffsetStore(std::unique_ptr<State> state) : state_(std::move(state)) {}

GroupOffsetStore::~GroupOffsetStore() = default;

Result<std::unique_ptr<GroupOffsetStore>> GroupOffsetStore::open(const fs::path& file) {
  auto state = std::make_unique<State>(file);
  if (const auto parent = file.parent_path(); !parent.empty()) {
    std::error_code error;
    fs::create_directories(parent, error);
    if (error) {
      return make_error(Errc::io_error,
                        "cannot create " + parent.string() + ": " + error.message());
    }
  }
  state->fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (state->fd < 0) {
    if (errno != ENOENT) return io_error("cannot open", file, errno);
    if (auto created = state->rewrite(); !created) return created.error();
  } else {
    if (auto loaded = state->load(); !loaded) return loaded.error();
    if (state->compaction_due()) {
      if (auto compacted = state->rewrite(); !compacted) return compacted.error();
    }
  }
  return std::unique_ptr<GroupOffsetStore>(new GroupOffsetStore(std::move(state)));
}

Result<void> GroupOffsetStore::commit(std::string_view group, std::string_view topic,
                                      std::int32_t partition, const CommittedOffset& offset,
                                      bool durable) {
  auto& s = *state_;
  std::unique_lock lock(s.mutex);
  if (auto appended =
          s.append({EntryKind::commit, group, topic, partition, offset.offset, offset.metadata});
      !appended) {
    return appended;
  }
  if (!durable) return {};
  return s.sync_through(lock, s.appended);
}

std::optional<CommittedOffset> GroupOffsetStore::fetch(std::string_view group,
                                                       std::string_view topic,
                                                       std::int32_t partition) const {
  const auto& s = *state_;
  std::lock_guard lock(s.mutex);
  const auto offsets = s.groups.find(group);
  if (offsets == s.groups.end()) return std::nullopt;
  const auto found = offsets->second.find({std::string(topic), partition});
  if (found == offsets->second.end()) return std::nullopt;
  return found->second;
}

std::map<std::pair<std::string, std::int32_t>, CommittedOffset> GroupOffsetStore::fetch_all(
    std::string_view group) const {
  const auto& s = *state_;
  std::lock_guard lock(s.mutex);
  const auto offsets = s.groups.find(group);
  if (offsets == s.groups.end()) return {};
  return offsets->second;
}

std::vector<std::string> GroupOffsetStore::groups() const {
  const auto& s = *state_;
  std::lock_guard lock(s.mutex);
  std::vector<std::string> names;
  names.reserve(s.groups.size());
  for (const auto& [name, offsets] : s.groups) names.push_back(name);
  return names;
}

Result<void> GroupOffsetStore::delete_group(std::string_view group, bool durable) {
  auto& s = *state_;
  std::unique_lock lock(s.mutex);
  if (!s.groups.contains(group)) return {};
  Entry entry;
  entry.kind = EntryKind::delete_group;
  entry.group = group;
  if (auto appended = s.append(entry); !appended) return appended;
  if (!durable) return {};
  return s.sync_through(lock, s.appended);
}

Result<void> GroupOffsetStore::delete_topic(std::string_view topic) {
  auto& s = *state_;
  std::lock_guard lock(s.mutex);
  if (!s.holds_topic(topic)) return {};
  Entry entry;
  entry.kind = EntryKind::delete_topic;
  entry.topic = topic;
  return s.append(entry);
}

Result<void> GroupOffsetStore::flush() {
  auto& s = *state_;
  std::unique_lock lock(s.mutex);
  return s.sync_through(lock, s.appended);
}

}  // namespace junction::storage
