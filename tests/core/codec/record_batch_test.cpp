#include "junction/record_batch.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "codec/varint.hpp"
#include "junction/crc32c.hpp"

namespace junction::batch {
namespace {

constexpr Compression kCodecs[] = {Compression::none, Compression::gzip, Compression::snappy,
                                   Compression::lz4, Compression::zstd};

Record make(std::optional<std::string> key, std::optional<std::string> value,
            std::int64_t timestamp = 1'700'000'000'000,
            std::vector<junction::Header> headers = {}) {
  return Record{std::move(key), std::move(value), timestamp, std::move(headers)};
}

std::vector<Record> sample_records() {
  return {
      make("k0", "v0", 1'700'000'000'000, {{"trace", "abc"}, {"nullable", std::nullopt}}),
      make(std::nullopt, "value without key", 1'700'000'000'005),
      make("tombstone", std::nullopt, 1'699'999'999'990),  // earlier than the first
      make("", "", 1'700'000'000'100, {{"", ""}}),
      make(std::string("binary\0key", 10), std::string("\0\xff\x80 bytes", 9), 1'700'000'000'050,
           {{"h1", std::string("\0", 1)}, {"h1", "duplicate keys are kept"}}),
  };
}

std::string must_encode(std::span<const Record> records, const EncodeOptions& options = {}) {
  auto bytes = encode(records, options);
  EXPECT_TRUE(bytes.ok()) << bytes.error().message;
  return bytes.ok() ? *bytes : std::string();
}

std::vector<StoredRecord> must_decode(std::string_view bytes) {
  auto records = decode(bytes);
  EXPECT_TRUE(records.ok()) << records.error().message;
  return records.ok() ? *records : std::vector<StoredRecord>{};
}

void expect_records(const std::vector<StoredRecord>& got, std::span<const Record> want,
                    std::int64_t base_offset) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].offset, base_offset + std::int64_t(i)) << i;
    EXPECT_EQ(got[i].record, want[i]) << i;
  }
}

void fix_crc(std::string& bytes) {
  codec::store_be(bytes.data() + 17, crc32c(std::string_view(bytes).substr(kCrcStart)));
}

Errc error_code(std::string_view bytes) {
  auto r = decode(bytes);
  EXPECT_FALSE(r.ok());
  return r.ok() ? Errc::timeout : r.error().code;
}

std::string error_message(std::string_view bytes) {
  auto r = decode(bytes);
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string() : r.error().message;
}

class EveryCodec : public ::testing::TestWithParam<Compression> {};
INSTANTIATE_TEST_SUITE_P(RecordBatch, EveryCodec, ::testing::ValuesIn(kCodecs),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST_P(EveryCodec, RoundTripsKeysValuesHeadersAndNulls) {
  const auto records = sample_records();
  const std::string bytes = must_encode(records, {.compression = GetParam(), .base_offset = 42});
  auto header = validate(bytes);
  ASSERT_TRUE(header.ok()) << header.error().message;
  EXPECT_EQ(header->compression(), GetParam());
  EXPECT_EQ(header->total_size(), bytes.size());
  expect_records(must_decode(bytes), records, 42);
}

TEST_P(EveryCodec, RoundTripsManyRecords) {
  std::vector<Record> records;
  for (int i = 0; i < 5000; ++i)
    records.push_back(make("key-" + std::to_string(i % 13), std::string(std::size_t(i % 300), 'v'),
                           1'700'000'000'000 + i * 3, {{"n", std::to_string(i)}}));
  const std::string bytes = must_encode(records, {.compression = GetParam()});
  if (GetParam() != Compression::none) {
    const std::string plain = must_encode(records);
    EXPECT_LT(bytes.size(), plain.size() / 3);
  }
  expect_records(must_decode(bytes), records, 0);
}

TEST_P(EveryCodec, DecompressionIsBounded) {
  std::vector<Record> records(100, make("k", std::string(10'000, 'x')));
  const std::string bytes = must_encode(records, {.compression = GetParam()});
  auto r = decode(bytes, 100'000);
  if (GetParam() == Compression::none) {
    EXPECT_TRUE(r.ok());
  } else {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::record_too_large);
  }
}

TEST(RecordBatch, HeaderFieldsFollowTheRecords) {
  const auto records = sample_records();
  const std::string bytes = must_encode(
      records, {.base_offset = 1000, .producer_id = 77, .producer_epoch = 3, .base_sequence = 12});
  auto h = validate(bytes);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->base_offset, 1000);
  EXPECT_EQ(h->length, std::int32_t(bytes.size() - kLogOverhead));
  EXPECT_EQ(h->partition_leader_epoch, -1);
  EXPECT_EQ(h->magic, 2);
  EXPECT_EQ(h->attributes, 0);
  EXPECT_EQ(h->last_offset_delta, 4);
  EXPECT_EQ(h->last_offset(), 1004);
  EXPECT_EQ(h->base_timestamp, 1'700'000'000'000);
  EXPECT_EQ(h->max_timestamp, 1'700'000'000'100);
  EXPECT_EQ(h->producer_id, 77);
  EXPECT_EQ(h->producer_epoch, 3);
  EXPECT_EQ(h->base_sequence, 12);
  EXPECT_EQ(h->record_count, 5);
  EXPECT_EQ(h->timestamp_type(), TimestampType::create_time);
  EXPECT_FALSE(h->is_transactional());
  EXPECT_FALSE(h->is_control());
}

TEST(RecordBatch, MatchesTheWireLayoutByteForByte) {
  const Record record = make("k", "v", 5, {{"h", std::nullopt}});
  const std::string bytes = must_encode(std::span(&record, 1), {.base_offset = 7});
  std::string want;
  const auto be = [&want](auto v) {
    char buf[sizeof v];
    codec::store_be(buf, v);
    want.append(buf, sizeof v);
  };
  be(std::int64_t{7});        // BaseOffset
  be(std::int32_t{49 + 12});  // Length
  be(std::int32_t{-1});       // PartitionLeaderEpoch
  be(std::int8_t{2});         // Magic
  be(std::uint32_t{0});       // CRC, filled below
  be(std::int16_t{0});        // Attributes
  be(std::int32_t{0});        // LastOffsetDelta
  be(std::int64_t{5});        // BaseTimestamp
  be(std::int64_t{5});        // MaxTimestamp
  be(std::int64_t{-1});       // ProducerId
  be(std::int16_t{-1});       // ProducerEpoch
  be(std::int32_t{-1});       // BaseSequence
  be(std::int32_t{1});        // RecordsCount
  // Length 11, attributes, ts delta 0, offset delta 0, key "k", value "v",
  // one header "h" with a null value.
  want += std::string("\x16\x00\x00\x00\x02k\x02v\x02\x02h\x01", 12);
  fix_crc(want);
  EXPECT_EQ(bytes, want);
}

TEST(RecordBatch, StampsRecordsWithoutATimestamp) {
  const std::vector<Record> records = {make("a", "1", kNoTimestamp), make("b", "2", 900),
                                       make("c", "3", kNoTimestamp)};
  const std::string bytes = must_encode(records, {.default_timestamp_ms = 1000});
  const auto got = must_decode(bytes);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].record.timestamp_ms, 1000);
  EXPECT_EQ(got[1].record.timestamp_ms, 900);
  EXPECT_EQ(got[2].record.timestamp_ms, 1000);
  EXPECT_EQ(validate(bytes)->base_timestamp, 1000);
  EXPECT_EQ(validate(bytes)->max_timestamp, 1000);
}

TEST(RecordBatch, ExtremeTimestampsRoundTrip) {
  const std::vector<Record> records = {make("a", "1", std::numeric_limits<std::int64_t>::max()),
                                       make("b", "2", std::numeric_limits<std::int64_t>::min()),
                                       make("c", "3", 0)};
  expect_records(must_decode(must_encode(records)), records, 0);
}

TEST(RecordBatch, EncodeNeedsARecord) {
  auto r = encode({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST(RecordBatch, SetBaseOffsetKeepsTheCrc) {
  const auto records = sample_records();
  std::string bytes = must_encode(records, {.compression = Compression::lz4});
  const std::string before = bytes.substr(kLogOverhead);
  set_base_offset(bytes, 123'456'789'000);
  EXPECT_EQ(bytes.substr(kLogOverhead), before);
  ASSERT_TRUE(validate(bytes).ok());
  expect_records(must_decode(bytes), records, 123'456'789'000);
}

TEST(RecordBatch, SetLogAppendTimeStampsEveryRecordAndRecomputesTheCrc) {
  const auto records = sample_records();
  for (const Compression codec : kCodecs) {
    std::string bytes = must_encode(records, {.compression = codec});
    const std::uint32_t old_crc = validate(bytes)->crc;
    set_log_append_time(bytes, 1'800'000'000'000);
    auto h = validate(bytes);
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_NE(h->crc, old_crc);
    EXPECT_EQ(h->timestamp_type(), TimestampType::log_append_time);
    EXPECT_EQ(h->compression(), codec);
    EXPECT_EQ(h->max_timestamp, 1'800'000'000'000);
    for (const auto& r : must_decode(bytes)) EXPECT_EQ(r.record.timestamp_ms, 1'800'000'000'000);
  }
}

TEST(RecordBatch, EncodesLogAppendTimeBatches) {
  const auto records = sample_records();
  const std::string bytes =
      must_encode(records, {.timestamp_type = TimestampType::log_append_time});
  EXPECT_EQ(validate(bytes)->timestamp_type(), TimestampType::log_append_time);
  for (const auto& r : must_decode(bytes)) EXPECT_EQ(r.record.timestamp_ms, 1'700'000'000'100);
}

TEST(RecordBatch, ControlBatchesDecodeToNoRecords) {
  std::string bytes = must_encode(sample_records());
  codec::store_be(bytes.data() + 21, std::int16_t{0x30});  // transactional + control
  fix_crc(bytes);
  auto h = validate(bytes);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->is_control());
  EXPECT_TRUE(h->is_transactional());
  EXPECT_TRUE(must_decode(bytes).empty());
}

TEST(RecordBatch, DecodeAllWalksBatchesAndIgnoresATrailingPartialBatch) {
  const auto records = sample_records();
  std::string log;
  std::vector<Record> all;
  std::int64_t offset = 0;
  for (const Compression codec : kCodecs) {
    log += must_encode(records, {.compression = codec, .base_offset = offset});
    all.insert(all.end(), records.begin(), records.end());
    offset += std::int64_t(records.size());
  }
  auto decoded = decode_all(log);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  expect_records(*decoded, all, 0);

  const std::string extra = must_encode(records, {.base_offset = offset});
  for (std::size_t cut = 0; cut < extra.size(); ++cut) {
    auto partial = decode_all(log + extra.substr(0, cut));
    ASSERT_TRUE(partial.ok()) << cut << ": " << partial.error().message;
    ASSERT_EQ(partial->size(), all.size()) << cut;
  }

  const std::string with_partial = log + extra.substr(0, 30);
  Iterator it(with_partial);
  Header h;
  std::string_view batch_bytes;
  int batches = 0;
  for (;;) {
    auto more = it.next(h, batch_bytes);
    ASSERT_TRUE(more.ok()) << more.error().message;
    if (!*more) break;
    EXPECT_EQ(h.base_offset, std::int64_t(batches * records.size()));
    EXPECT_EQ(batch_bytes.size(), h.total_size());
    ++batches;
  }
  EXPECT_EQ(batches, 5);
  EXPECT_EQ(it.remaining(), 30u);
}

TEST(RecordBatch, DecodeAllReportsACorruptBatch) {
  std::string log = must_encode(sample_records()) + must_encode(sample_records());
  log[log.size() - 3] ^= 1;
  auto r = decode_all(log);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::corrupt_batch);
  EXPECT_NE(r.error().message.find("CRC"), std::string::npos);
}

TEST(Corruption, EveryFlippedByteUnderTheCrcIsCaught) {
  const std::string good = must_encode(sample_records(), {.compression = Compression::snappy});
  for (std::size_t i = kCrcStart; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x10;
    auto r = decode(bad);
    ASSERT_FALSE(r.ok()) << i;
    // A flipped compression code may be caught as unsupported before the CRC.
    if (r.error().code == Errc::corrupt_batch) {
      EXPECT_NE(r.error().message.find("CRC-32C mismatch"), std::string::npos) << r.error().message;
    } else {
      EXPECT_EQ(r.error().code, Errc::unsupported_format) << i;
    }
  }
  std::string bad_crc = good;
  bad_crc[17] ^= 0x01;
  EXPECT_NE(error_message(bad_crc).find("CRC-32C mismatch"), std::string::npos);
}

TEST(Corruption, EveryTruncationIsAnError) {
  const std::string good = must_encode(sample_records(), {.compression = Compression::gzip});
  for (std::size_t n = 0; n < good.size(); ++n) {
    const std::string_view cut = std::string_view(good).substr(0, n);
    ASSERT_FALSE(validate(cut).ok()) << n;
    auto r = decode(cut);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, Errc::corrupt_batch) << n << ": " << r.error().message;
  }
}

TEST(Corruption, ImpossibleLengths) {
  const std::string good = must_encode(sample_records());
  for (const std::int32_t length : {-1, 0, 48, std::numeric_limits<std::int32_t>::min()}) {
    std::string bad = good;
    codec::store_be(bad.data() + 8, length);
    EXPECT_EQ(error_code(bad), Errc::corrupt_batch);
    EXPECT_NE(error_message(bad).find("impossible batch Length"), std::string::npos);
    auto it_result = decode_all(bad);
    ASSERT_FALSE(it_result.ok()) << length;
    EXPECT_EQ(it_result.error().code, Errc::corrupt_batch);
  }
  std::string beyond = good;
  codec::store_be(beyond.data() + 8, std::numeric_limits<std::int32_t>::max());
  EXPECT_NE(error_message(beyond).find("truncated batch"), std::string::npos);
}

TEST(Corruption, WrongMagicOrCodecIsUnsupported) {
  std::string old_magic = must_encode(sample_records());
  old_magic[16] = 1;
  EXPECT_EQ(error_code(old_magic), Errc::unsupported_format);
  EXPECT_EQ(decode_all(old_magic).error().code, Errc::unsupported_format);
  for (const std::int16_t codec : {5, 6, 7}) {
    std::string bad = must_encode(sample_records());
    codec::store_be(bad.data() + 21, codec);
    fix_crc(bad);
    EXPECT_EQ(error_code(bad), Errc::unsupported_format) << codec;
    EXPECT_NE(error_message(bad).find("compression codec"), std::string::npos);
  }
}

TEST(Corruption, RecordCountMustMatchTheRecords) {
  const std::string good = must_encode(sample_records());
  for (const std::int32_t count : {-1, 0, 4, 6, 1000, std::numeric_limits<std::int32_t>::max()}) {
    std::string bad = good;
    codec::store_be(bad.data() + 57, count);
    fix_crc(bad);
    EXPECT_EQ(error_code(bad), Errc::corrupt_batch) << count << ": " << error_message(bad);
  }
  std::string fewer = good;
  codec::store_be(fewer.data() + 57, std::int32_t{4});
  fix_crc(fewer);
  EXPECT_NE(error_message(fewer).find("follow the last of the 4"), std::string::npos);
  std::string more = good;
  codec::store_be(more.data() + 57, std::int32_t{6});
  fix_crc(more);
  EXPECT_NE(error_message(more).find("declares 6 records but holds 5"), std::string::npos);
}

// Builds a one-record batch around a hand-written record body.
std::string batch_with_record(std::string_view record) {
  std::string bytes = must_encode(std::vector<Record>{make("k", "v")});
  bytes.resize(kHeaderSize);
  bytes += record;
  codec::store_be(bytes.data() + 8, std::int32_t(bytes.size() - kLogOverhead));
  fix_crc(bytes);
  return bytes;
}

TEST(Corruption, MalformedRecordsAreRejectedPrecisely) {
  // Sanity: the hand-written form of make("k", "v") decodes.
  EXPECT_EQ(must_decode(batch_with_record(std::string("\x10\x00\x00\x00\x02k\x02v\x00", 9))).size(),
            1u);
  const std::pair<std::string, std::string> cases[] = {
      {std::string("\x12\x00\x00\x00\x02k\x02v\x00", 9), "record 0: length: 9 overruns"},
      {std::string("\x03\x00\x00\x00\x02k\x02v\x00", 9), "record 0: length: negative"},
      {std::string("\xff\xff\xff\xff\x7f\x00\x00", 7), "record 0: length: varint overflow"},
      {std::string("\x10\x00\xff\xff\xff\xff\xff\xff\xff", 9), "timestamp delta: truncated"},
      {std::string("\x10\x00\x00\x00\x03k\x02v\x00", 9), "key: negative length other than -1"},
      {std::string("\x10\x00\x00\x00\x02k\x08v\x00", 9), "value: length overruns the record"},
      {std::string("\x10\x00\x00\x00\x02k\x02v\x01", 9), "header count: negative"},
      {std::string("\x10\x00\x00\x00\x02k\x02v\x04", 9), "header count: 2 overruns"},
      {std::string("\x14\x00\x00\x00\x02k\x02v\x02\x01\x00", 11), "header key: negative length"},
      {std::string("\x14\x00\x00\x00\x02k\x02v\x00\x00\x00", 11), "leaves 2 unread bytes"},
  };
  for (const auto& [record, expected] : cases) {
    const std::string message = error_message(batch_with_record(record));
    EXPECT_NE(message.find(expected), std::string::npos) << message << " / wanted: " << expected;
    EXPECT_EQ(error_code(batch_with_record(record)), Errc::corrupt_batch);
  }
}

TEST(Corruption, RandomMutationsNeverCrash) {
  std::mt19937 rng(8);
  std::vector<Record> records = sample_records();
  for (int i = 0; i < 20; ++i) records.push_back(make("key" + std::to_string(i), "value"));
  int accepted = 0;
  for (const Compression codec : kCodecs) {
    const std::string good = must_encode(records, {.compression = codec});
    for (int i = 0; i < 1500; ++i) {
      std::string bad = good;
      const unsigned flips = rng() % 6 + 1;
      for (unsigned k = 0; k < flips; ++k) {
        // Mostly inside the records, where the CRC alone would hide the parser.
        const std::size_t at =
            rng() % 4 ? kHeaderSize + rng() % (bad.size() - kHeaderSize) : rng() % bad.size();
        bad[at] = char(rng());
      }
      if (rng() % 5 == 0) bad.resize(rng() % bad.size());
      if (bad.size() >= kHeaderSize && rng() % 2) fix_crc(bad);
      auto r = decode(bad, 1 << 20);
      if (r.ok()) ++accepted;
      auto all = decode_all(bad, 1 << 20);
      (void)all;
    }
  }
  // Some mutations hit only key/value bytes and still decode; most do not.
  EXPECT_GT(accepted, 0);
}

TEST(Errors, EveryCodeHasADistinctName) {
  std::set<std::string> names;
  for (int code = int(Errc::corrupt_batch); code <= int(Errc::shutting_down); ++code) {
    const std::string name = to_string(Errc(code));
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name, "unknown error");
    names.insert(name);
  }
  EXPECT_EQ(names.size(), std::size_t(Errc::shutting_down) + 1);
}

}  // namespace
}  // namespace junction::batch
