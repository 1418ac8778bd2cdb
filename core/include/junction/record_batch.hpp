#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "junction/compression.hpp"
#include "junction/record.hpp"
#include "junction/result.hpp"

// The one canonical batch format: Kafka's RecordBatch v2 (magic 2). Stored
// bytes are exactly what a Kafka Fetch returns.
namespace junction::batch {

inline constexpr std::size_t kHeaderSize = 61;
// BaseOffset (8) + Length (4): the bytes not counted by Length.
inline constexpr std::size_t kLogOverhead = 12;
inline constexpr std::int8_t kMagic = 2;
// Where the CRC-covered range (Attributes .. end of batch) starts.
inline constexpr std::size_t kCrcStart = 21;

enum class TimestampType : std::uint8_t { create_time = 0, log_append_time = 1 };

struct Header {
  std::int64_t base_offset = 0;
  std::int32_t length = 0;  // bytes after the Length field
  std::int32_t partition_leader_epoch = -1;
  std::int8_t magic = kMagic;
  std::uint32_t crc = 0;
  std::int16_t attributes = 0;
  std::int32_t last_offset_delta = 0;
  std::int64_t base_timestamp = 0;
  std::int64_t max_timestamp = 0;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  std::int32_t record_count = 0;

  Compression compression() const noexcept { return Compression(attributes & 0x07); }
  TimestampType timestamp_type() const noexcept {
    return (attributes & 0x08) ? TimestampType::log_append_time : TimestampType::create_time;
  }
  bool is_transactional() const noexcept { return attributes & 0x10; }
  bool is_control() const noexcept { return attributes & 0x20; }
  std::int64_t last_offset() const noexcept { return base_offset + last_offset_delta; }
  std::size_t total_size() const noexcept { return kLogOverhead + std::size_t(length); }
};

// Reads the fixed header of the batch at the start of `bytes`; checks magic and
// that Length is possible, not the CRC. `bytes` may hold more than one batch.
Result<Header> parse_header(std::string_view bytes);

// parse_header plus: the whole batch is present and its CRC-32C matches.
Result<Header> validate(std::string_view bytes);

struct EncodeOptions {
  Compression compression = Compression::none;
  std::int64_t base_offset = 0;
  TimestampType timestamp_type = TimestampType::create_time;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  // Stamps records whose timestamp is kNoTimestamp.
  std::int64_t default_timestamp_ms = kNoTimestamp;
};

// Encodes `records` (at least one) as one batch.
Result<std::string> encode(std::span<const Record> records, const EncodeOptions& options = {});

// Decodes every record of one validated batch, with absolute offsets and
// timestamps. `max_uncompressed` bounds decompression.
Result<std::vector<StoredRecord>> decode(std::string_view batch_bytes,
                                         std::size_t max_uncompressed = 64u << 20);

// Decodes a run of batches (e.g. a fetch result). A trailing partial batch is
// ignored, as Kafka consumers do; a corrupt batch is an error.
Result<std::vector<StoredRecord>> decode_all(std::string_view bytes,
                                             std::size_t max_uncompressed = 64u << 20);

// Rewrites BaseOffset in place. BaseOffset lies outside the CRC.
void set_base_offset(std::span<char> batch_bytes, std::int64_t base_offset) noexcept;

// Switches a batch to LogAppendTime with the given time: rewrites attributes and
// MaxTimestamp and recomputes the CRC.
void set_log_append_time(std::span<char> batch_bytes, std::int64_t timestamp_ms) noexcept;

// Walks whole batches in a byte range without copying.
class Iterator {
 public:
  explicit Iterator(std::string_view bytes) : rest_(bytes) {}
  // The next complete batch's header and bytes; false at the end or at a
  // trailing partial batch. A malformed header is an error.
  Result<bool> next(Header& header, std::string_view& batch_bytes);
  std::size_t remaining() const noexcept { return rest_.size(); }

 private:
  std::string_view rest_;
};

}  // namespace junction::batch
