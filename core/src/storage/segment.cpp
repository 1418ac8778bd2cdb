#include "storage/segment.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <limits>
#include <system_error>
#include <utility>

#include "junction/log.hpp"
#include "storage/file_io.hpp"

namespace junction::storage {
namespace {

const Logger kLog{"storage"};

constexpr std::uint64_t kMaxRelative = std::numeric_limits<std::uint32_t>::max();
// Header scans read this much at a time: with the default 4 KiB index interval
// one read usually covers the whole way from an index entry to the target.
constexpr std::size_t kScanChunk = 8192;

Error corrupt_at(const std::filesystem::path& path, std::uint64_t position) {
  return make_error(Errc::corrupt_batch, "corrupt batch in " + path.string() + " at position " +
                                             std::to_string(position));
}

// Whole-file contents, or nullopt when the file cannot be read.
std::optional<std::string> read_small_file(const std::filesystem::path& path) {
  auto bytes = read_file(path);
  if (!bytes) return std::nullopt;
  return std::move(*bytes);
}

// A read-only view of a whole file for the recovery scan, which touches every
// byte once: mapping it saves copying it through a buffer.
class Mapping {
 public:
  static Result<Mapping> map(int fd, std::uint64_t size, const std::filesystem::path& path) {
    if (size == 0) return Mapping{};
    void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) return io_error("cannot map", path, errno);
    ::madvise(data, size, MADV_SEQUENTIAL);
    Mapping mapping;
    mapping.data_ = static_cast<const char*>(data);
    mapping.size_ = size;
    return mapping;
  }
  Mapping() = default;
  Mapping(Mapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  Mapping& operator=(Mapping&&) = delete;
  ~Mapping() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  std::string_view bytes() const noexcept { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace

std::filesystem::path segment_file(const std::filesystem::path& dir, std::int64_t base_offset,
                                   std::string_view extension) {
  char name[32];
  std::snprintf(name, sizeof name, "%020lld", static_cast<long long>(base_offset));
  auto path = dir / name;
  path += extension;
  return path;
}

Segment::Segment(const std::filesystem::path& dir, std::int64_t base_offset,
                 std::int64_t index_interval_bytes, int fd)
    : base_offset_(base_offset),
      index_interval_(std::uint64_t(std::max<std::int64_t>(index_interval_bytes, 0))),
      log_path_(segment_file(dir, base_offset, ".log")),
      index_path_(segment_file(dir, base_offset, ".index")),
      time_index_path_(segment_file(dir, base_offset, ".timeindex")),
      fd_(fd),
      next_offset_(base_offset) {}

Segment::~Segment() { ::close(fd_); }

Result<std::shared_ptr<Segment>> Segment::create(const std::filesystem::path& dir,
                                                 std::int64_t base_offset,
                                                 std::int64_t index_interval_bytes) {
  const auto path = segment_file(dir, base_offset, ".log");
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot create", path, errno);
  return std::shared_ptr<Segment>(new Segment(dir, base_offset, index_interval_bytes, fd));
}

Result<std::shared_ptr<Segment>> Segment::open(const std::filesystem::path& dir,
                                               std::int64_t base_offset,
                                               std::int64_t index_interval_bytes) {
  const auto path = segment_file(dir, base_offset, ".log");
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path, errno);
  return std::shared_ptr<Segment>(new Segment(dir, base_offset, index_interval_bytes, fd));
}

void Segment::reset() noexcept {
  size_ = 0;
  next_offset_ = base_offset_;
  max_timestamp_ = kNoTimestamp;
  first_append_ms_.reset();
  bytes_since_index_ = 0;
  offsets_.clear();
  times_.clear();
}

void Segment::record(const batch::Header& header, std::uint64_t position) {
  const auto relative = std::uint32_t(header.base_offset - base_offset_);
  const auto max_timestamp = std::max(max_timestamp_, header.max_timestamp);
  // Zero bytes since the last index point means this batch is the segment's
  // first (position 0 needs no entry) or one whose entry already exists.
  if (bytes_since_index_ != 0 && bytes_since_index_ >= index_interval_) {
    offsets_.append(relative, std::uint32_t(position));
    const auto indexed_max =
        times_.entries().empty() ? kNoTimestamp : times_.entries().back().timestamp;
    if (max_timestamp > indexed_max) times_.append(max_timestamp, relative);
    bytes_since_index_ = 0;
  }
  bytes_since_index_ += header.total_size();
  max_timestamp_ = max_timestamp;
  next_offset_ = header.last_offset() + 1;
  size_ = position + header.total_size();
}

std::uint64_t Segment::replay(std::string_view file, std::uint64_t position, bool verify_crc) {
  while (position < file.size()) {
    const auto rest = file.substr(position);
    auto header = verify_crc ? batch::validate(rest) : batch::parse_header(rest);
    // Offsets are assigned consecutively, so a batch out of sequence is
    // corrupt: BaseOffset lies outside the CRC.
    if (!header || header->total_size() > rest.size() || header->base_offset != next_offset_ ||
        header->last_offset_delta < 0 ||
        std::uint64_t(header->last_offset() - base_offset_) > kMaxRelative ||
        position > kMaxRelative) {
      break;
    }
    if (position == 0 && header->max_timestamp >= 0) first_append_ms_ = header->max_timestamp;
    record(*header, position);
    position += header->total_size();
  }
  return position;
}

bool Segment::load_index_files(std::string_view file) {
  reset();
  const auto offsets = read_small_file(index_path_);
  const auto times = read_small_file(time_index_path_);
  if (!offsets || !times || !offsets_.parse(*offsets, file.size()) ||
      !times_.parse(*times, offsets_)) {
    return false;
  }
  // Resume as if every batch up to the last index point had just been
  // appended, then walk the headers of the few batches after it: that finds the
  // end offset and the max timestamp, and checks the index against the log.
  const auto last = offsets_.entries().empty() ? OffsetEntry{} : offsets_.entries().back();
  next_offset_ = base_offset_ + last.relative_offset;
  size_ = last.position;
  if (!times_.entries().empty()) max_timestamp_ = times_.entries().back().timestamp;
  return replay(file, last.position, false) == file.size();
}

Result<void> Segment::recover(bool trust_index_files) {
  struct stat info {};
  if (::fstat(fd_, &info) != 0) return io_error("cannot stat", log_path_, errno);
  const auto file_size = std::uint64_t(info.st_size);
  auto mapping = Mapping::map(fd_, file_size, log_path_);
  if (!mapping) return mapping.error();
  const auto file = mapping->bytes();

  if (trust_index_files) {
    if (load_index_files(file)) {
      index_files_current_ = true;
      return {};
    }
    kLog.info() << "rebuilding the indexes of " << log_path_.string();
  }

  reset();
  const auto valid = replay(file, 0, true);
  if (valid < file_size) {
    if (::ftruncate(fd_, off_t(valid)) != 0) return io_error("cannot truncate", log_path_, errno);
    kLog.warn() << "truncated " << log_path_.string() << " at offset " << next_offset_
                << " (position " << valid << "): dropped " << file_size - valid
                << " bytes of incomplete or corrupt batches";
  }
  remove_index_files();
  index_files_current_ = false;
  return {};
}

Result<void> Segment::append(std::span<const char> batch, const batch::Header& header,
                             std::int64_t now_ms) {
  if (auto written = write_all_at(fd_, {batch.data(), batch.size()}, size_, log_path_); !written) {
    // A partial batch left past the end could outlive a shorter next batch
    // written over it; cutting it keeps the file a sequence of whole batches.
    [[maybe_unused]] const int ignored = ::ftruncate(fd_, off_t(size_));
    return written;
  }
  if (!first_append_ms_) first_append_ms_ = now_ms;
  record(header, size_);
  return {};
}

Result<std::int64_t> Segment::modified_ms() const {
  struct stat info {};
  if (::fstat(fd_, &info) != 0) return io_error("cannot stat", log_path_, errno);
  return std::int64_t(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1'000'000;
}

std::uint64_t Segment::position_for_offset(std::int64_t offset) const noexcept {
  if (offset <= base_offset_) return 0;
  const auto relative = std::uint64_t(offset - base_offset_);
  return offsets_.floor(std::uint32_t(std::min(relative, kMaxRelative))).position;
}

std::uint64_t Segment::position_for_timestamp(std::int64_t timestamp_ms) const noexcept {
  const auto start = times_.start_for(timestamp_ms);
  return start ? offsets_.floor(*start).position : 0;
}

template <class Match>
Result<std::optional<Segment::Located>> Segment::find_batch(std::uint64_t position,
                                                            std::uint64_t end, Match match) const {
  char chunk[kScanChunk];
  while (position < end) {
    const auto size = std::size_t(std::min<std::uint64_t>(sizeof chunk, end - position));
    // Below `end` the file holds whole batches only.
    if (size < batch::kHeaderSize) return corrupt_at(log_path_, position);
    if (auto got = read_exact_at(fd_, chunk, size, position, log_path_); !got) return got.error();
    std::size_t at = 0;
    while (at + batch::kHeaderSize <= size) {
      auto header = batch::parse_header({chunk + at, size - at});
      if (!header || header->total_size() > end - (position + at)) {
        return corrupt_at(log_path_, position + at);
      }
      if (match(*header)) return std::optional(Located{position + at, *header});
      at += header->total_size();
    }
    position += at;
  }
  return std::optional<Located>();
}

Result<std::string> Segment::read(std::int64_t offset, std::uint64_t from, std::uint64_t end,
                                  std::size_t max_bytes) const {
  auto found = find_batch(
      from, end, [offset](const batch::Header& header) { return header.last_offset() >= offset; });
  if (!found) return found.error();
  if (!*found) return std::string();
  const auto [position, first] = **found;

  const auto wanted = std::max<std::uint64_t>(max_bytes, first.total_size());
  std::string bytes(std::size_t(std::min(wanted, end - position)), '\0');
  if (auto got = read_exact_at(fd_, bytes.data(), bytes.size(), position, log_path_); !got) {
    return got.error();
  }
  // Drop the batch that max_bytes cut.
  std::size_t whole = 0;
  while (bytes.size() - whole >= batch::kHeaderSize) {
    auto header = batch::parse_header(std::string_view(bytes).substr(whole));
    if (!header) return corrupt_at(log_path_, position + whole);
    if (header->total_size() > bytes.size() - whole) break;
    whole += header->total_size();
  }
  bytes.resize(whole);
  return bytes;
}

Result<std::optional<std::int64_t>> Segment::find_timestamp(std::int64_t timestamp_ms,
                                                            std::uint64_t from,
                                                            std::uint64_t end) const {
  while (true) {
    auto found = find_batch(from, end, [timestamp_ms](const batch::Header& header) {
      return header.max_timestamp >= timestamp_ms;
    });
    if (!found) return found.error();
    if (!*found) return std::optional<std::int64_t>();
    const auto& [position, header] = **found;
    std::string bytes(header.total_size(), '\0');
    if (auto got = read_exact_at(fd_, bytes.data(), bytes.size(), position, log_path_); !got) {
      return got.error();
    }
    auto records = batch::decode(bytes);
    if (!records) return records.error();
    for (const auto& stored : *records) {
      if (stored.record.timestamp_ms >= timestamp_ms) return std::optional(stored.offset);
    }
    from = position + header.total_size();
  }
}

Result<void> Segment::sync() const { return sync_data(fd_, log_path_); }

Result<void> Segment::write_index_files() {
  if (index_files_current_) return {};
  if (auto written = write_file_atomically(index_path_, offsets_.serialize()); !written) {
    return written;
  }
  if (auto written = write_file_atomically(time_index_path_, times_.serialize()); !written) {
    return written;
  }
  index_files_current_ = true;
  return {};
}

void Segment::remove_index_files() const {
  for (const auto* path : {&index_path_, &time_index_path_}) {
    if (::unlink(path->c_str()) != 0 && errno != ENOENT) {
      const int error_number = errno;
      kLog.warn() << "cannot delete " << path->string() << ": "
                  << std::system_category().message(error_number);
    }
  }
}

void Segment::remove_files() const {
  if (::unlink(log_path_.c_str()) != 0 && errno != ENOENT) {
    const int error_number = errno;
    kLog.warn() << "cannot delete " << log_path_.string() << ": "
                << std::system_category().message(error_number);
  }
  remove_index_files();
}

}  // namespace junction::storage
