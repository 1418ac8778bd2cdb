#include "storage/subscription_journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <system_error>
#include <utility>

#include "junction/crc32c.hpp"
#include "junction/log.hpp"
#include "storage/file_io.hpp"

namespace junction::storage {
namespace fs = std::filesystem;
namespace {

const Logger kLog{"storage"};

// Snapshot: magic, version, CRC-32C of the content, content; little-endian.
// The journal's layout belongs to the same version.
constexpr std::string_view kMagic = "JSUB";
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kSnapshotHeaderSize = 12;

// A journal entry: CRC-32C of the rest, kind, partition, offset or floor. A
// fixed size keeps record_ack to one small append and makes a torn tail plain.
constexpr std::size_t kEntrySize = 17;
enum class EntryKind : std::uint8_t { ack = 1, floor = 2 };

// Well below the 255 bytes file systems allow in one name.
constexpr std::size_t kMaxFolderName = 200;
constexpr std::size_t kHashDigits = 16;

// Creates `dir` and the missing folders above it, and makes their entries
// durable in their parents.
Result<void> create_directories_durably(const fs::path& dir) {
  std::vector<fs::path> missing;
  std::error_code error;
  for (auto at = dir; !at.empty() && !fs::exists(at, error) && !error; at = at.parent_path()) {
    missing.push_back(at);
  }
  fs::create_directories(dir, error);
  if (error) {
    return make_error(Errc::io_error, "cannot create " + dir.string() + ": " + error.message());
  }
  for (const auto& created : missing) {
    if (auto synced = sync_parent_directory(created); !synced) return synced;
  }
  return {};
}

// Sorted, without duplicates, all above the floor: the form a snapshot stores.
PartitionProgress normalized(PartitionProgress progress) {
  auto& above = progress.acked_above;
  std::sort(above.begin(), above.end());
  above.erase(std::unique(above.begin(), above.end()), above.end());
  auto first = std::lower_bound(above.begin(), above.end(), progress.ack_floor);
  while (first != above.end() && *first == progress.ack_floor) {
    ++first;
    ++progress.ack_floor;
  }
  above.erase(above.begin(), first);
  return progress;
}

std::string encode_snapshot(const SubscriptionMeta& meta,
                            const std::vector<PartitionProgress>& progress) {
  std::size_t size = kSnapshotHeaderSize + 14 + meta.topic.size() + meta.name.size();
  for (const auto& partition : progress) size += 12 + 8 * partition.acked_above.size();
  std::string bytes(kSnapshotHeaderSize, '\0');
  bytes.reserve(size);
  append_text(bytes, meta.topic);
  append_text(bytes, meta.name);
  append_le(bytes, std::uint8_t(meta.mode));
  append_le(bytes, std::uint8_t(meta.key_shared));
  append_le(bytes, meta.partitions);
  for (const auto& partition : progress) {
    append_le(bytes, partition.ack_floor);
    append_le(bytes, std::uint32_t(partition.acked_above.size()));
    for (const auto offset : partition.acked_above) append_le(bytes, offset);
  }
  std::memcpy(bytes.data(), kMagic.data(), kMagic.size());
  store_le(bytes.data() + 4, kVersion);
  store_le(bytes.data() + 8, crc32c(std::string_view(bytes).substr(kSnapshotHeaderSize)));
  return bytes;
}

struct Snapshot {
  SubscriptionMeta meta;
  std::vector<PartitionProgress> progress;
};

Result<Snapshot> decode_snapshot(std::string_view bytes, const fs::path& path) {
  const auto corrupt = [&](std::string_view why) {
    return make_error(Errc::io_error,
                      "corrupt subscription snapshot " + path.string() + ": " + std::string(why));
  };
  if (bytes.size() < kSnapshotHeaderSize || bytes.substr(0, kMagic.size()) != kMagic) {
    return corrupt("not a snapshot file");
  }
  const auto version = load_le<std::uint32_t>(bytes.data() + 4);
  if (version != kVersion) return corrupt("unsupported version " + std::to_string(version));
  const auto content = bytes.substr(kSnapshotHeaderSize);
  if (load_le<std::uint32_t>(bytes.data() + 8) != crc32c(content)) return corrupt("bad CRC");

  LeReader in(content);
  Snapshot snapshot;
  auto& meta = snapshot.meta;
  std::uint8_t mode = 0;
  std::uint8_t key_shared = 0;
  if (!in.get_text(meta.topic) || !in.get_text(meta.name) || !in.get(mode) || !in.get(key_shared) ||
      !in.get(meta.partitions)) {
    return corrupt("truncated");
  }
  if (mode > std::uint8_t(DeliveryMode::multicast) || key_shared > 1 || meta.partitions < 0 ||
      std::size_t(meta.partitions) > in.remaining() / 12) {
    return corrupt("impossible values");
  }
  meta.mode = DeliveryMode(mode);
  meta.key_shared = key_shared == 1;
  snapshot.progress.resize(std::size_t(meta.partitions));
  for (auto& partition : snapshot.progress) {
    std::uint32_t count = 0;
    if (!in.get(partition.ack_floor) || !in.get(count)) return corrupt("truncated");
    if (count > in.remaining() / 8) return corrupt("truncated");
    partition.acked_above.resize(count);
    auto previous = partition.ack_floor - 1;
    for (auto& offset : partition.acked_above) {
      in.get(offset);
      if (offset <= previous) return corrupt("acknowledged offsets out of order");
      previous = offset;
    }
  }
  if (in.remaining() != 0) return corrupt("trailing bytes");
  return snapshot;
}

// One partition's progress while the journal is replayed over the snapshot.
class Replayed {
 public:
  explicit Replayed(const PartitionProgress& progress)
      : floor_(progress.ack_floor),
        above_(progress.acked_above.begin(), progress.acked_above.end()) {
    settle();
  }

  void ack(std::int64_t offset) {
    if (offset < floor_) return;
    above_.insert(offset);
    settle();
  }

  void raise_floor(std::int64_t floor) {
    floor_ = std::max(floor_, floor);
    above_.erase(above_.begin(), above_.lower_bound(floor_));
    settle();
  }

  PartitionProgress progress() const { return {floor_, {above_.begin(), above_.end()}}; }

 private:
  void settle() {
    while (!above_.empty() && *above_.begin() == floor_) {
      above_.erase(above_.begin());
      ++floor_;
    }
  }

  std::int64_t floor_;
  std::set<std::int64_t> above_;
};

// Applies the journal's entries in order and returns the length of its valid
// prefix: replay stops at the first entry that is cut short, fails its CRC or
// names something that cannot exist.
std::size_t replay(std::string_view journal, std::vector<Replayed>& partitions) {
  std::size_t at = 0;
  for (; journal.size() - at >= kEntrySize; at += kEntrySize) {
    const char* entry = journal.data() + at;
    if (load_le<std::uint32_t>(entry) != crc32c({entry + 4, kEntrySize - 4})) break;
    const auto kind = EntryKind(static_cast<unsigned char>(entry[4]));
    const auto partition = load_le<std::int32_t>(entry + 5);
    const auto value = load_le<std::int64_t>(entry + 9);
    if (partition < 0 || std::size_t(partition) >= partitions.size()) break;
    if (kind == EntryKind::ack) {
      partitions[std::size_t(partition)].ack(value);
    } else if (kind == EntryKind::floor) {
      partitions[std::size_t(partition)].raise_floor(value);
    } else {
      break;
    }
  }
  return at;
}

bool safe_in_folder_name(unsigned char byte) {
  return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
         (byte >= '0' && byte <= '9') || byte == '.' || byte == '_' || byte == '-';
}

}  // namespace

std::string encode_folder_name(std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  // No percent-encoding ends in a lone '%', so "%" cannot clash.
  if (name.empty()) return "%";
  if (name == ".") return "%2E";
  if (name == "..") return "%2E%2E";
  std::string encoded;
  encoded.reserve(name.size());
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (safe_in_folder_name(byte)) {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kHex[byte >> 4];
      encoded += kHex[byte & 0xf];
    }
  }
  if (encoded.size() <= kMaxFolderName) return encoded;
  // FNV-1a of the whole name; '~' is always encoded otherwise, so a hashed
  // name never equals a plain one.
  std::uint64_t hash = 0xcbf29ce484222325u;
  for (const char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3u;
  encoded.resize(kMaxFolderName - kHashDigits - 1);
  encoded += '~';
  for (int shift = 60; shift >= 0; shift -= 4) encoded += kHex[(hash >> shift) & 0xf];
  return encoded;
}

struct SubscriptionJournal::State {
  explicit State(const fs::path& folder)
      : dir(folder), snapshot_path(folder / "snapshot"), journal_path(folder / "journal") {}
  ~State() {
    if (journal_fd >= 0) ::close(journal_fd);
  }

  const fs::path dir;
  const fs::path snapshot_path;
  const fs::path journal_path;
  SubscriptionMeta meta;
  std::vector<PartitionProgress> recovered;
  int journal_fd = -1;

  mutable std::mutex mutex;
  // Signalled when a journal write or a snapshot ends.
  std::condition_variable io_done;
  // One writer at a time, a flush leader or snapshot(), owns `writing` and the
  // journal file; the others wait.
  bool io_running = false;
  // While a snapshot() waits its turn, no flush leader starts: a leader could
  // write entries recorded after the snapshot began into the journal that the
  // snapshot then empties.
  int snapshots_waiting = 0;
  std::string buffer;
  std::string writing;
  // Entries are numbered in recording order; those up to `durable` are in the
  // synced journal or covered by the synced snapshot.
  std::uint64_t recorded = 0;
  std::uint64_t durable = 0;
  std::uint64_t journal_size = 0;
  bool removed = false;

  Error removed_error() const {
    return make_error(Errc::io_error, "subscription journal " + dir.string() + " was removed");
  }

  void record(EntryKind kind, std::int32_t partition, std::int64_t value) {
    assert(partition >= 0 && partition < meta.partitions);
    char entry[kEntrySize];
    entry[4] = char(kind);
    store_le(entry + 5, partition);
    store_le(entry + 9, value);
    store_le(entry, crc32c({entry + 4, kEntrySize - 4}));
    std::lock_guard lock(mutex);
    if (removed) return;
    buffer.append(entry, kEntrySize);
    ++recorded;
  }

  Result<void> create(const SubscriptionMeta& wanted,
                      const std::vector<PartitionProgress>& initial) {
    if (wanted.partitions < 0 || initial.size() != std::size_t(wanted.partitions)) {
      return make_error(Errc::invalid_argument,
                        "subscription '" + wanted.name + "' of topic '" + wanted.topic + "' has " +
                            std::to_string(wanted.partitions) + " partitions but " +
                            std::to_string(initial.size()) + " initial floors");
    }
    meta = wanted;
    for (const auto& partition : initial) recovered.push_back(normalized(partition));
    if (auto created = create_directories_durably(dir); !created) return created;
    if (auto written = write_file_atomically(snapshot_path, encode_snapshot(meta, recovered));
        !written) {
      return written;
    }
    return open_journal();
  }

  Result<void> recover(const SubscriptionMeta& wanted) {
    auto bytes = read_file(snapshot_path);
    if (!bytes) return bytes.error();
    auto snapshot = decode_snapshot(*bytes, snapshot_path);
    if (!snapshot) return snapshot.error();
    if (!wanted.name.empty() &&
        (wanted.name != snapshot->meta.name || wanted.topic != snapshot->meta.topic)) {
      return make_error(Errc::invalid_argument,
                        dir.string() + " holds subscription '" + snapshot->meta.name +
                            "' of topic '" + snapshot->meta.topic + "', not '" + wanted.name +
                            "' of topic '" + wanted.topic + "'");
    }
    meta = std::move(snapshot->meta);
    if (auto opened = open_journal(); !opened) return opened;
    auto journal = read_all(journal_fd, journal_path);
    if (!journal) return journal.error();

    std::vector<Replayed> partitions(snapshot->progress.begin(), snapshot->progress.end());
    const auto valid = replay(*journal, partitions);
    if (valid < journal->size()) {
      if (::ftruncate(journal_fd, off_t(valid)) != 0) {
        return io_error("cannot truncate", journal_path, errno);
      }
      kLog.warn() << "cut " << journal_path.string() << " at position " << valid << ": dropped "
                  << journal->size() - valid << " bytes of a torn or corrupt tail";
    }
    journal_size = valid;
    for (const auto& partition : partitions) recovered.push_back(partition.progress());
    return {};
  }

  // The snapshot is in place before the journal exists, so a folder with a
  // journal always has its snapshot.
  Result<void> open_journal() {
    journal_fd = ::open(journal_path.c_str(), O_RDWR | O_CLOEXEC);
    if (journal_fd >= 0) return {};
    if (errno != ENOENT) return io_error("cannot open", journal_path, errno);
    journal_fd = ::open(journal_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (journal_fd < 0) return io_error("cannot create", journal_path, errno);
    // Synced entries would be lost with an entry of the journal that is not
    // durable in its folder (this also makes a new snapshot's rename durable).
    return sync_directory(dir);
  }
};

SubscriptionJournal::SubscriptionJournal(std::unique_ptr<State> state) : state_(std::move(state)) {}

SubscriptionJournal::~SubscriptionJournal() = default;

Result<std::unique_ptr<SubscriptionJournal>> SubscriptionJournal::open(
    const fs::path& dir, const SubscriptionMeta& meta,
    const std::vector<PartitionProgress>& initial) {
  auto state = std::make_unique<State>(dir);
  std::error_code error;
  const bool has_snapshot = fs::exists(state->snapshot_path, error);
  const bool has_journal = !error && fs::exists(state->journal_path, error);
  if (error) {
    return make_error(Errc::io_error, "cannot inspect " + dir.string() + ": " + error.message());
  }
  // Neither file: the folder is new, or a crash stopped its creation before
  // the snapshot was in place, so nothing was ever recorded in it.
  auto ready = has_snapshot || has_journal ? state->recover(meta) : state->create(meta, initial);
  if (!ready) return ready.error();
  return std::unique_ptr<SubscriptionJournal>(new SubscriptionJournal(std::move(state)));
}

std::vector<fs::path> SubscriptionJournal::list(const fs::path& root) {
  const auto subfolders = [](const fs::path& dir) {
    std::vector<fs::path> found;
    std::error_code error;
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
      std::error_code ignored;
      if (it->is_directory(ignored)) found.push_back(it->path());
    }
    if (error && error != std::errc::no_such_file_or_directory) {
      kLog.warn() << "cannot list " << dir.string() << ": " << error.message();
    }
    return found;
  };
  std::vector<fs::path> folders;
  for (const auto& topic : subfolders(root)) {
    for (const auto& folder : subfolders(topic)) {
      std::error_code ignored;
      if (fs::is_regular_file(folder / "snapshot", ignored)) folders.push_back(folder);
    }
  }
  std::sort(folders.begin(), folders.end());
  return folders;
}

const SubscriptionMeta& SubscriptionJournal::meta() const { return state_->meta; }

const std::vector<PartitionProgress>& SubscriptionJournal::recovered() const {
  return state_->recovered;
}

void SubscriptionJournal::record_ack(std::int32_t partition, std::int64_t offset) {
  state_->record(EntryKind::ack, partition, offset);
}

void SubscriptionJournal::record_floor(std::int32_t partition, std::int64_t floor) {
  state_->record(EntryKind::floor, partition, floor);
}

Result<void> SubscriptionJournal::flush() {
  auto& s = *state_;
  std::unique_lock lock(s.mutex);
  const auto mine = s.recorded;
  while (true) {
    if (s.removed) return s.removed_error();
    if (s.durable >= mine) return {};
    if (s.io_running || s.snapshots_waiting > 0) {
      s.io_done.wait(lock);
      continue;
    }
    // The leader stores everything buffered so far, for its followers too.
    s.io_running = true;
    const auto upto = s.recorded;
    const auto position = s.journal_size;
    s.writing.swap(s.buffer);
    lock.unlock();
    auto written = write_all_at(s.journal_fd, s.writing, position, s.journal_path);
    if (written) written = sync_data(s.journal_fd, s.journal_path);
    if (!written) {
      // After a failed fdatasync the kernel may have dropped the pages, so a
      // later fdatasync alone would prove nothing: cut what landed, and the
      // entries go back to the buffer to be written again.
      [[maybe_unused]] const int ignored = ::ftruncate(s.journal_fd, off_t(position));
    }
    lock.lock();
    if (written) {
      s.journal_size = position + s.writing.size();
      s.durable = upto;
    } else {
      s.buffer.insert(0, s.writing);
    }
    s.writing.clear();
    s.io_running = false;
    s.io_done.notify_all();
    if (!written) return written;
  }
}

Result<void> SubscriptionJournal::record_ack_durably(std::int32_t partition, std::int64_t offset) {
  record_ack(partition, offset);
  return flush();
}

Result<void> SubscriptionJournal::snapshot(const std::vector<PartitionProgress>& progress) {
  auto& s = *state_;
  if (progress.size() != std::size_t(s.meta.partitions)) {
    return make_error(Errc::invalid_argument, "snapshot of " + s.dir.string() + " needs " +
                                                  std::to_string(s.meta.partitions) +
                                                  " partitions, not " +
                                                  std::to_string(progress.size()));
  }
  std::unique_lock lock(s.mutex);
  // `progress` covers the entries recorded so far, and only those.
  const auto covered = s.recorded;
  ++s.snapshots_waiting;
  lock.unlock();
  std::vector<PartitionProgress> stored;
  stored.reserve(progress.size());
  for (const auto& partition : progress) stored.push_back(normalized(partition));
  const auto bytes = encode_snapshot(s.meta, stored);

  lock.lock();
  s.io_done.wait(lock, [&] { return !s.io_running; });
  --s.snapshots_waiting;
  if (s.removed) return s.removed_error();
  s.io_running = true;
  // The buffer holds the newest entries; those up to `covered` are dropped.
  const auto buffered = s.buffer.size() / kEntrySize;
  const auto dropped = std::size_t(covered - (s.recorded - buffered)) * kEntrySize;
  if (dropped == s.buffer.size()) {
    s.writing.swap(s.buffer);
  } else {
    s.writing.assign(s.buffer, 0, dropped);
    s.buffer.erase(0, dropped);
  }
  lock.unlock();
  auto replaced = write_file_atomically(s.snapshot_path, bytes);
  // Emptying the journal before the new snapshot is durable could leave the
  // old snapshot with no journal after a crash.
  if (replaced) replaced = sync_directory(s.dir);
  // The truncation itself need not be synced: entries the old journal still
  // shows after a crash only repeat what the snapshot holds.
  if (replaced && ::ftruncate(s.journal_fd, 0) != 0) {
    replaced = io_error("cannot truncate", s.journal_path, errno);
  }
  lock.lock();
  if (replaced) {
    s.journal_size = 0;
    s.durable = std::max(s.durable, covered);
  } else {
    s.buffer.insert(0, s.writing);
  }
  s.writing.clear();
  s.io_running = false;
  s.io_done.notify_all();
  return replaced;
}

std::uint64_t SubscriptionJournal::journal_bytes() const {
  std::lock_guard lock(state_->mutex);
  return state_->journal_size + state_->buffer.size();
}

Result<void> SubscriptionJournal::remove() {
  auto& s = *state_;
  {
    std::unique_lock lock(s.mutex);
    s.io_done.wait(lock, [&] { return !s.io_running; });
    if (s.removed) return s.removed_error();
    s.removed = true;
    s.buffer = {};
    s.io_done.notify_all();
  }
  std::error_code error;
  fs::remove_all(s.dir, error);
  if (error) {
    return make_error(Errc::io_error, "cannot delete " + s.dir.string() + ": " + error.message());
  }
  return sync_parent_directory(s.dir);
}

}  // namespace junction::storage
