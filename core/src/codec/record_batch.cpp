#include "junction/record_batch.hpp"

#include <algorithm>
#include <concepts>
#include <cstring>
#include <limits>

#include "codec/varint.hpp"
#include "junction/crc32c.hpp"

namespace junction::batch {
namespace {

using codec::load_be;
using codec::ReadStatus;
using codec::store_be;

constexpr std::size_t kLengthOffset = 8;
constexpr std::size_t kLeaderEpochOffset = 12;
constexpr std::size_t kMagicOffset = 16;
constexpr std::size_t kCrcOffset = 17;
constexpr std::size_t kAttributesOffset = 21;
constexpr std::size_t kLastOffsetDeltaOffset = 23;
constexpr std::size_t kBaseTimestampOffset = 27;
constexpr std::size_t kMaxTimestampOffset = 35;
constexpr std::size_t kProducerIdOffset = 43;
constexpr std::size_t kProducerEpochOffset = 51;
constexpr std::size_t kBaseSequenceOffset = 53;
constexpr std::size_t kRecordCountOffset = 57;
static_assert(kAttributesOffset == kCrcStart);
static_assert(kRecordCountOffset + 4 == kHeaderSize);

constexpr std::int32_t kMinLength = std::int32_t(kHeaderSize - kLogOverhead);
constexpr std::size_t kMaxLength = std::size_t(std::numeric_limits<std::int32_t>::max());
// Length, attributes, timestamp delta, offset delta, key, value and header
// count take at least one byte each.
constexpr std::size_t kMinRecordSize = 7;
// A header's key length and value length.
constexpr std::size_t kMinHeaderSize = 2;
constexpr std::int16_t kCompressionMask = 0x07;
constexpr std::int16_t kLogAppendTimeFlag = 0x08;
constexpr int kMaxCompressionCode = 4;

void append_part(std::string& s, std::string_view part) { s += part; }
template <std::integral T>
void append_part(std::string& s, T part) {
  s += std::to_string(part);
}

template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string s;
  (append_part(s, parts), ...);
  return s;
}

std::string hex32(std::uint32_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s = "0x00000000";
  for (int i = 9; i >= 2; --i, v >>= 4) s[std::size_t(i)] = kDigits[v & 0xf];
  return s;
}

Error corrupt(std::string message) { return make_error(Errc::corrupt_batch, std::move(message)); }

// Offsets and timestamps come from untrusted bytes; wrap instead of
// overflowing (undefined for signed types).
std::int64_t wrapping_add(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}
std::int64_t wrapping_sub(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}

Header read_header(const char* p) noexcept {
  Header h;
  h.base_offset = load_be<std::int64_t>(p);
  h.length = load_be<std::int32_t>(p + kLengthOffset);
  h.partition_leader_epoch = load_be<std::int32_t>(p + kLeaderEpochOffset);
  h.magic = load_be<std::int8_t>(p + kMagicOffset);
  h.crc = load_be<std::uint32_t>(p + kCrcOffset);
  h.attributes = load_be<std::int16_t>(p + kAttributesOffset);
  h.last_offset_delta = load_be<std::int32_t>(p + kLastOffsetDeltaOffset);
  h.base_timestamp = load_be<std::int64_t>(p + kBaseTimestampOffset);
  h.max_timestamp = load_be<std::int64_t>(p + kMaxTimestampOffset);
  h.producer_id = load_be<std::int64_t>(p + kProducerIdOffset);
  h.producer_epoch = load_be<std::int16_t>(p + kProducerEpochOffset);
  h.base_sequence = load_be<std::int32_t>(p + kBaseSequenceOffset);
  h.record_count = load_be<std::int32_t>(p + kRecordCountOffset);
  return h;
}

// --- decoding ---------------------------------------------------------------

// Field readers return nullptr on success, else what went wrong; the caller
// adds the record and field, which keeps the per-field success path cheap.
const char* read_varint_field(const char*& p, const char* end, std::int32_t& value) noexcept {
  const ReadStatus status = codec::read_varint(p, end, value);
  return status == ReadStatus::ok ? nullptr : codec::describe(status);
}

const char* read_nullable(const char*& p, const char* end, std::optional<std::string>& out) {
  std::int32_t length;
  if (const char* problem = read_varint_field(p, end, length)) return problem;
  if (length == -1) return nullptr;
  if (length < 0) return "negative length other than -1";
  if (length > end - p) return "length overruns the record";
  out.emplace(p, std::size_t(length));
  p += length;
  return nullptr;
}

const char* read_string(const char*& p, const char* end, std::string& out) {
  std::int32_t length;
  if (const char* problem = read_varint_field(p, end, length)) return problem;
  if (length < 0) return "negative length";
  if (length > end - p) return "length overruns the record";
  out.assign(p, std::size_t(length));
  p += length;
  return nullptr;
}

Error record_error(std::size_t index, std::string_view field, std::string_view problem) {
  return corrupt(cat("record ", index, ": ", field, ": ", problem));
}

// Parses the (uncompressed) records section of a batch, appending to `out`.
Result<void> parse_records(std::string_view section, const Header& h,
                           std::vector<StoredRecord>& out) {
  const auto count = static_cast<std::size_t>(h.record_count);
  if (count > section.size() / kMinRecordSize)
    return corrupt(
        cat("record count ", count, " cannot fit in ", section.size(), " bytes of records"));
  // Geometric growth: decode_all appends batch after batch.
  if (out.capacity() - out.size() < count)
    out.reserve(std::max(out.size() + count, 2 * out.size()));
  const bool log_append_time = h.timestamp_type() == TimestampType::log_append_time;

  const char* p = section.data();
  const char* const end = p + section.size();
  for (std::size_t i = 0; i < count; ++i) {
    if (p == end) return corrupt(cat("batch declares ", count, " records but holds ", i));
    std::int32_t length;
    if (const char* problem = read_varint_field(p, end, length))
      return record_error(i, "length", problem);
    if (length < 0) return record_error(i, "length", cat("negative (", length, ")"));
    if (length > end - p)
      return record_error(i, "length",
                          cat(length, " overruns the records section (", end - p, " bytes left)"));
    const char* const record_end = p + length;
    if (p == record_end) return record_error(i, "attributes", "missing");
    ++p;  // Record attributes: unused in v2.

    std::int64_t timestamp_delta;
    if (const ReadStatus s = codec::read_varlong(p, record_end, timestamp_delta);
        s != ReadStatus::ok)
      return record_error(i, "timestamp delta", codec::describe(s));
    std::int32_t offset_delta;
    if (const char* problem = read_varint_field(p, record_end, offset_delta))
      return record_error(i, "offset delta", problem);

    StoredRecord& stored = out.emplace_back();
    stored.offset = wrapping_add(h.base_offset, offset_delta);
    stored.record.timestamp_ms =
        log_append_time ? h.max_timestamp : wrapping_add(h.base_timestamp, timestamp_delta);
    Record& record = stored.record;
    if (const char* problem = read_nullable(p, record_end, record.key))
      return record_error(i, "key", problem);
    if (const char* problem = read_nullable(p, record_end, record.value))
      return record_error(i, "value", problem);

    std::int32_t header_count;
    if (const char* problem = read_varint_field(p, record_end, header_count))
      return record_error(i, "header count", problem);
    if (header_count < 0)
      return record_error(i, "header count", cat("negative (", header_count, ")"));
    if (std::size_t(header_count) > std::size_t(record_end - p) / kMinHeaderSize)
      return record_error(i, "header count", cat(header_count, " overruns the record"));
    if (header_count > 0) {
      record.headers.resize(std::size_t(header_count));
      for (auto& header : record.headers) {
        if (const char* problem = read_string(p, record_end, header.key))
          return record_error(i, "header key", problem);
        if (const char* problem = read_nullable(p, record_end, header.value))
          return record_error(i, "header value", problem);
      }
    }
    if (p != record_end)
      return record_error(i, "length", cat(length, " leaves ", record_end - p, " unread bytes"));
  }
  if (p != end)
    return corrupt(cat(end - p, " bytes follow the last of the ", count, " declared records"));
  return {};
}

// `bytes` starts with a validated batch described by `h`.
Result<void> decode_into(std::string_view bytes, const Header& h, std::size_t max_uncompressed,
                         std::vector<StoredRecord>& out) {
  // Control batches (transaction markers) carry no user records.
  if (h.is_control()) return {};
  const std::string_view section = bytes.substr(kHeaderSize, h.total_size() - kHeaderSize);
  if (h.compression() == Compression::none) return parse_records(section, h, out);
  auto plain = decompress(h.compression(), section, max_uncompressed);
  if (!plain) return plain.error();
  return parse_records(*plain, h, out);
}

// --- encoding ---------------------------------------------------------------

std::size_t nullable_size(const std::optional<std::string>& v) noexcept {
  return v ? codec::varint_size(std::int32_t(v->size())) + v->size() : 1;
}

// Everything of a record after its own Length varint.
std::size_t body_size(const Record& r, std::int64_t timestamp_delta,
                      std::int32_t offset_delta) noexcept {
  std::size_t n = 1 + codec::varlong_size(timestamp_delta) + codec::varint_size(offset_delta) +
                  nullable_size(r.key) + nullable_size(r.value) +
                  codec::varint_size(std::int32_t(r.headers.size()));
  for (const auto& header : r.headers)
    n += codec::varint_size(std::int32_t(header.key.size())) + header.key.size() +
         nullable_size(header.value);
  return n;
}

char* write_raw(char* p, std::string_view bytes) noexcept {
  std::memcpy(p, bytes.data(), bytes.size());
  return p + bytes.size();
}

char* write_nullable(char* p, const std::optional<std::string>& v) noexcept {
  if (!v) return codec::write_varint(p, -1);
  return write_raw(codec::write_varint(p, std::int32_t(v->size())), *v);
}

struct Timestamps {
  std::int64_t fallback;
  std::int64_t base;

  std::int64_t of(const Record& r) const noexcept {
    return r.timestamp_ms == kNoTimestamp ? fallback : r.timestamp_ms;
  }
  std::int64_t delta(const Record& r) const noexcept { return wrapping_sub(of(r), base); }
};

// Writes the records section into [p, p + its size computed by the caller).
void write_records(char* p, std::span<const Record> records, const Timestamps& ts) noexcept {
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    const std::int64_t timestamp_delta = ts.delta(r);
    const auto offset_delta = std::int32_t(i);
    p = codec::write_varint(p, std::int32_t(body_size(r, timestamp_delta, offset_delta)));
    *p++ = 0;  // Record attributes.
    p = codec::write_varlong(p, timestamp_delta);
    p = codec::write_varint(p, offset_delta);
    p = write_nullable(p, r.key);
    p = write_nullable(p, r.value);
    p = codec::write_varint(p, std::int32_t(r.headers.size()));
    for (const auto& header : r.headers) {
      p = write_raw(codec::write_varint(p, std::int32_t(header.key.size())), header.key);
      p = write_nullable(p, header.value);
    }
  }
}

bool oversized(const std::optional<std::string>& v) noexcept { return v && v->size() > kMaxLength; }

Error too_large(std::size_t index, std::string_view what) {
  return make_error(Errc::record_too_large,
                    cat("record ", index, ": ", what, " exceeds the 2 GiB batch limit"));
}

}  // namespace

Result<Header> parse_header(std::string_view bytes) {
  if (bytes.size() < kLogOverhead)
    return corrupt(cat("truncated batch: ", bytes.size(), " bytes, a header needs ", kHeaderSize));
  const char* p = bytes.data();
  const auto length = load_be<std::int32_t>(p + kLengthOffset);
  // Magic first: older formats have it at the same place, and deserve
  // "unsupported" rather than a complaint about their length.
  if (bytes.size() > kMagicOffset) {
    const auto magic = load_be<std::int8_t>(p + kMagicOffset);
    if (magic != kMagic)
      return make_error(Errc::unsupported_format,
                        cat("record batch magic ", magic, " is not supported (only 2 is)"));
  }
  if (length < kMinLength)
    return corrupt(cat("impossible batch Length ", length, " (at least ", kMinLength, ")"));
  if (bytes.size() < kHeaderSize)
    return corrupt(cat("truncated batch header: ", bytes.size(), " of ", kHeaderSize, " bytes"));
  Header h = read_header(p);
  if (const int code = h.attributes & kCompressionMask; code > kMaxCompressionCode)
    return make_error(Errc::unsupported_format, cat("unknown compression codec ", code));
  if (h.record_count < 0) return corrupt(cat("negative record count ", h.record_count));
  return h;
}

Result<Header> validate(std::string_view bytes) {
  auto h = parse_header(bytes);
  if (!h) return h;
  const std::size_t total = h->total_size();
  if (bytes.size() < total)
    return corrupt(cat("truncated batch: Length announces ", total, " bytes, only ", bytes.size(),
                       " present"));
  const std::uint32_t computed = crc32c(bytes.substr(kCrcStart, total - kCrcStart));
  if (computed != h->crc)
    return corrupt(
        cat("CRC-32C mismatch: batch says ", hex32(h->crc), ", its bytes give ", hex32(computed)));
  return h;
}

Result<std::string> encode(std::span<const Record> records, const EncodeOptions& options) {
  if (records.empty())
    return make_error(Errc::invalid_argument, "a record batch needs at least one record");
  if (records.size() > kMaxLength / kMinRecordSize)
    return make_error(Errc::record_too_large, cat(records.size(), " records exceed a batch"));

  Timestamps ts{options.default_timestamp_ms, 0};
  ts.base = ts.of(records.front());
  std::int64_t max_timestamp = ts.base;
  std::size_t section_size = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    if (oversized(r.key)) return too_large(i, "key");
    if (oversized(r.value)) return too_large(i, "value");
    if (r.headers.size() > kMaxLength / kMinHeaderSize) return too_large(i, "header count");
    for (const auto& header : r.headers)
      if (header.key.size() > kMaxLength || oversized(header.value)) return too_large(i, "header");
    max_timestamp = std::max(max_timestamp, ts.of(r));
    const std::size_t body = body_size(r, ts.delta(r), std::int32_t(i));
    if (body > kMaxLength) return too_large(i, "size");
    section_size += codec::varint_size(std::int32_t(body)) + body;
    if (section_size > kMaxLength) return too_large(i, "batch size");
  }

  std::string out;
  if (options.compression == Compression::none) {
    out.resize(kHeaderSize + section_size);
    write_records(out.data() + kHeaderSize, records, ts);
  } else {
    std::string plain(section_size, '\0');
    write_records(plain.data(), records, ts);
    auto packed = compress(options.compression, plain);
    if (!packed) return packed.error();
    out.reserve(kHeaderSize + packed->size());
    out.resize(kHeaderSize);
    out += *packed;
  }
  if (out.size() - kLogOverhead > kMaxLength)
    return make_error(Errc::record_too_large, "the batch exceeds 2 GiB");

  char* p = out.data();
  auto attributes = static_cast<std::int16_t>(options.compression);
  if (options.timestamp_type == TimestampType::log_append_time) attributes |= kLogAppendTimeFlag;
  store_be(p, options.base_offset);
  store_be(p + kLengthOffset, std::int32_t(out.size() - kLogOverhead));
  store_be(p + kLeaderEpochOffset, std::int32_t{-1});
  store_be(p + kMagicOffset, kMagic);
  store_be(p + kAttributesOffset, attributes);
  store_be(p + kLastOffsetDeltaOffset, std::int32_t(records.size() - 1));
  store_be(p + kBaseTimestampOffset, ts.base);
  store_be(p + kMaxTimestampOffset, max_timestamp);
  store_be(p + kProducerIdOffset, options.producer_id);
  store_be(p + kProducerEpochOffset, options.producer_epoch);
  store_be(p + kBaseSequenceOffset, options.base_sequence);
  store_be(p + kRecordCountOffset, std::int32_t(records.size()));
  store_be(p + kCrcOffset, crc32c(std::string_view(out).substr(kCrcStart)));
  return out;
}

Result<std::vector<StoredRecord>> decode(std::string_view batch_bytes,
                                         std::size_t max_uncompressed) {
  auto h = validate(batch_bytes);
  if (!h) return h.error();
  std::vector<StoredRecord> out;
  if (auto r = decode_into(batch_bytes, *h, max_uncompressed, out); !r) return r.error();
  return out;
}

Result<std::vector<StoredRecord>> decode_all(std::string_view bytes, std::size_t max_uncompressed) {
  std::vector<StoredRecord> out;
  Iterator it(bytes);
  Header h;
  std::string_view batch_bytes;
  for (;;) {
    auto more = it.next(h, batch_bytes);
    if (!more) return more.error();
    if (!*more) break;
    if (auto v = validate(batch_bytes); !v) return v.error();
    if (auto r = decode_into(batch_bytes, h, max_uncompressed, out); !r) return r.error();
  }
  return out;
}

void set_base_offset(std::span<char> batch_bytes, std::int64_t base_offset) noexcept {
  if (batch_bytes.size() >= sizeof base_offset) store_be(batch_bytes.data(), base_offset);
}

void set_log_append_time(std::span<char> batch_bytes, std::int64_t timestamp_ms) noexcept {
  // Only ever called on validated batches; anything shorter is left alone
  // rather than written out of bounds.
  if (batch_bytes.size() < kHeaderSize) return;
  char* p = batch_bytes.data();
  const auto length = load_be<std::int32_t>(p + kLengthOffset);
  if (length < kMinLength || std::size_t(length) + kLogOverhead > batch_bytes.size()) return;
  const auto attributes = load_be<std::int16_t>(p + kAttributesOffset);
  store_be(p + kAttributesOffset, std::int16_t(attributes | kLogAppendTimeFlag));
  store_be(p + kMaxTimestampOffset, timestamp_ms);
  const std::string_view covered(p + kCrcStart, std::size_t(length) + kLogOverhead - kCrcStart);
  store_be(p + kCrcOffset, crc32c(covered));
}

Result<bool> Iterator::next(Header& header, std::string_view& batch_bytes) {
  // Like Kafka's consumers: a batch cut short at the end of a fetch is not an
  // error, it is simply not returned.
  if (rest_.size() < kLogOverhead) return false;
  const auto length = load_be<std::int32_t>(rest_.data() + kLengthOffset);
  if (length >= kMinLength && std::size_t(length) > rest_.size() - kLogOverhead) return false;
  auto h = parse_header(rest_);
  if (!h) return h.error();
  header = *h;
  batch_bytes = rest_.substr(0, h->total_size());
  rest_.remove_prefix(h->total_size());
  return true;
}

}  // namespace junction::batch
