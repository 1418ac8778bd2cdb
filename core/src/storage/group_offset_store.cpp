#include "storage/group_offset_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <iterator>
#include <mutex>
#include <system_error>
#include <type_traits>
#include <utility>

#include "junction/crc32c.hpp"
#include "junction/log.hpp"
#include "storage/segment.hpp"

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

template <class T>
void store_le(char* out, T value) {
  using Bits = std::make_unsigned_t<T>;
  auto bits = Bits(value);
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out[i] = char(bits & 0xffu);
    bits = Bits(bits >> 8);
  }
}

template <class T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  store_le(bytes, value);
  out.append(bytes, sizeof bytes);
}

template <class T>
T load_le(const char* in) {
  using Bits = std::make_unsigned_t<T>;
  Bits bits = 0;
  for (std::size_t i = sizeof(T); i-- > 0;) {
    bits = Bits((bits << 8) | static_cast<unsigned char>(in[i]));
  }
  return T(bits);
}

void put_text(std::string& out, std::string_view text) {
  put(out, std::uint32_t(text.size()));
  out += text;
}

// Bounds-checked little-endian reads; each get fails once the bytes run out.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}

  template <class T>
  bool get(T& value) {
    if (rest_.size() < sizeof(T)) return false;
    value = load_le<T>(rest_.data());
    rest_.remove_prefix(sizeof(T));
    return true;
  }

  bool get_text(std::string_view& text) {
    std::uint32_t size = 0;
    if (!get(size) || rest_.size() < size) return false;
    text = rest_.substr(0, size);
    rest_.remove_prefix(size);
    return true;
  }

  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

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
  put(bytes, std::uint8_t(entry.kind));
  switch (entry.kind) {
    case EntryKind::commit:
      put_text(bytes, entry.group);
      put_text(bytes, entry.topic);
      put(bytes, entry.partition);
      put(bytes, entry.offset);
      put_text(bytes, entry.metadata);
      break;
    case EntryKind::delete_group:
      put_text(bytes, entry.group);
      break;
    case EntryKind::delete_topic:
      put_text(bytes, entry.topic);
      break;
  }
  store_le(bytes.data() + 4, std::uint32_t(bytes.size() - kEntryHeaderSize));
  store_le(bytes.data(), crc32c(std::string_view(bytes).substr(4)));
  return bytes;
}

std::optional<Entry> decode(std::string_view body) {
  Reader in(body);
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
  put(header, kVersion);
  return header;
}

Result<void> write_all(int fd, std::string_view bytes, std::uint64_t position,
                       const fs::path& path) {
  while (!bytes.empty()) {
    const auto written = ::pwrite(fd, bytes.data(), bytes.size(), off_t(position));
    if (written < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write", path, errno);
    }
    if (written == 0) return io_error("cannot write", path, EIO);
    bytes.remove_prefix(std::size_t(written));
    position += std::uint64_t(written);
  }
  return {};
}

Result<std::string> read_all(int fd, const fs::path& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return io_error("cannot stat", path, errno);
  std::string bytes(std::size_t(info.st_size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto got = ::pread(fd, bytes.data() + done, bytes.size() - done, off_t(done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read", path, errno);
    }
    if (got == 0) break;
    done += std::size_t(got);
  }
  bytes.resize(done);
  return bytes;
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
    if (auto written = write_all(fd, bytes, file_size, path); !written) {
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
    auto temporary = path;
    temporary += ".tmp";
    const int fresh = ::open(temporary.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fresh < 0) return io_error("cannot create", temporary, errno);
    auto replaced = write_all(fresh, bytes, 0, temporary);
    if (replaced && ::fdatasync(fresh) != 0) replaced = io_error("cannot fsync", temporary, errno);
    if (replaced && ::rename(temporary.c_str(), path.c_str()) != 0) {
      replaced = io_error("cannot rename", temporary, errno);
    }
    if (!replaced) {
      ::close(fresh);
      return replaced;
    }
    if (fd >= 0) ::close(fd);
    fd = fresh;
    file_size = bytes.size();
    entries = live;
    const auto parent = path.parent_path();
    if (auto durable = sync_directory(parent.empty() ? fs::path(".") : parent); !durable) {
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
        if (::fdatasync(file) != 0) done = io_error("cannot fsync", path, errno);
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
