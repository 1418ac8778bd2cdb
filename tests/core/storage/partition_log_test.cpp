#include "storage/partition_log.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "storage/segment.hpp"
#include "storage_test_util.hpp"

namespace junction::storage {
namespace {

using testing_util::append_to_file;
using testing_util::headers_of;
using testing_util::make_batch;
using testing_util::quiet_config;
using testing_util::read_file;
using testing_util::TempDir;
using testing_util::write_file;

class PartitionLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<PartitionLog> open_log(const TopicConfig& config) {
    auto log = PartitionLog::open(dir_.path(), config);
    EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message);
    return log.ok() ? std::move(log.value()) : nullptr;
  }

  // Appends and remembers the bytes as stored (append rewrites BaseOffset).
  AppendResult append(PartitionLog& log, std::string batch, std::int64_t now_ms = 0) {
    const auto original = batch;
    auto appended = log.append(batch, now_ms);
    EXPECT_TRUE(appended.ok()) << (appended.ok() ? "" : appended.error().message);
    if (!appended.ok()) return {};
    EXPECT_EQ(batch.substr(8), original.substr(8)) << "only BaseOffset may change";
    EXPECT_EQ(batch::parse_header(batch)->base_offset, appended->base_offset);
    stored_.push_back(batch);
    return *appended;
  }

  // The whole log from `offset`, read in steps of at most max_bytes.
  std::string read_all(const PartitionLog& log, std::int64_t offset = 0,
                       std::size_t max_bytes = 1 << 20) {
    std::string all;
    while (offset < log.log_end_offset()) {
      auto read = log.read(offset, max_bytes);
      EXPECT_TRUE(read.ok()) << (read.ok() ? "" : read.error().message);
      if (!read.ok() || read->bytes.empty()) break;
      const auto headers = headers_of(read->bytes);
      if (headers.empty()) break;
      offset = headers.back().last_offset() + 1;
      all += read->bytes;
    }
    return all;
  }

  std::string stored_bytes(std::size_t from_batch = 0, std::size_t to_batch = SIZE_MAX) const {
    std::string all;
    for (std::size_t i = from_batch; i < std::min(to_batch, stored_.size()); ++i) all += stored_[i];
    return all;
  }

  std::vector<std::filesystem::path> files_with(std::string_view extension) const {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      if (entry.path().extension() == extension) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  std::filesystem::path file(std::int64_t base_offset, std::string_view extension) const {
    return segment_file(dir_.path(), base_offset, extension);
  }

  // Every offset must be served by a read that starts with the batch holding it.
  void expect_every_offset_readable(const PartitionLog& log) {
    for (auto offset = log.log_start_offset(); offset < log.log_end_offset(); ++offset) {
      auto read = log.read(offset, 1);
      ASSERT_TRUE(read.ok()) << read.error().message;
      const auto headers = headers_of(read->bytes);
      ASSERT_EQ(headers.size(), 1u) << "offset " << offset;
      EXPECT_LE(headers[0].base_offset, offset);
      EXPECT_GE(headers[0].last_offset(), offset);
    }
  }

  TempDir dir_;
  std::vector<std::string> stored_;
};

TEST_F(PartitionLogTest, EmptyFolderGivesAnEmptyLogAtZero) {
  auto log = open_log(quiet_config());
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_start_offset(), 0);
  EXPECT_EQ(log->log_end_offset(), 0);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->size_bytes(), 0u);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "00000000000000000000.log"));
  auto read = log->read(0, 100);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->bytes.empty());
  EXPECT_EQ(log->offset_for_timestamp(0).value(), std::nullopt);
  EXPECT_EQ(log->flush().value(), 0);
}

TEST_F(PartitionLogTest, AppendAssignsOffsetsAndReadServesTheStoredBytes) {
  auto log = open_log(quiet_config());
  ASSERT_TRUE(log);
  std::int64_t expected_base = 0;
  for (int i = 0; i < 10; ++i) {
    const int records = 1 + i % 4;
    const auto appended = append(*log, make_batch(records, 1000 + i * 10), 5);
    EXPECT_EQ(appended.base_offset, expected_base);
    EXPECT_EQ(appended.last_offset, expected_base + records - 1);
    EXPECT_EQ(appended.max_timestamp, 1000 + i * 10 + records - 1);
    expected_base += records;
  }
  EXPECT_EQ(log->log_end_offset(), expected_base);
  EXPECT_EQ(log->size_bytes(), stored_bytes().size());

  auto read = log->read(0, 1 << 20);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->bytes, stored_bytes());
  EXPECT_EQ(read->log_start_offset, 0);
  EXPECT_EQ(read->log_end_offset, expected_base);

  // Reads start at the batch holding the offset.
  read =
      log->read(stored_.size() > 3 ? batch::parse_header(stored_[3])->base_offset + 1 : 0, 1 << 20);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->bytes, stored_bytes(3));
}

TEST_F(PartitionLogTest, ReadReturnsWholeBatchesAndAtLeastOne) {
  auto log = open_log(quiet_config());
  ASSERT_TRUE(log);
  for (int i = 0; i < 5; ++i) append(*log, make_batch(2, i));
  const auto size = stored_[0].size();

  EXPECT_EQ(log->read(0, 0)->bytes, stored_[0]);
  EXPECT_EQ(log->read(0, 1)->bytes, stored_[0]);
  EXPECT_EQ(log->read(0, 2 * size + size / 2)->bytes, stored_bytes(0, 2));
  EXPECT_EQ(log->read(0, 2 * size)->bytes, stored_bytes(0, 2));
  EXPECT_EQ(log->read(9, 1)->bytes, stored_[4]);
}

TEST_F(PartitionLogTest, ReadOutsideTheLogIsOutOfRangeAndTheEndIsEmpty) {
  auto log = open_log(quiet_config());
  ASSERT_TRUE(log);
  append(*log, make_batch(3, 0));
  auto at_end = log->read(3, 100);
  ASSERT_TRUE(at_end.ok());
  EXPECT_TRUE(at_end->bytes.empty());
  EXPECT_EQ(at_end->log_end_offset, 3);
  for (const std::int64_t offset : {-1, 4, 1000}) {
    auto read = log->read(offset, 100);
    ASSERT_FALSE(read.ok()) << offset;
    EXPECT_EQ(read.error().code, Errc::offset_out_of_range);
  }
}

TEST_F(PartitionLogTest, RollsWhenTheNextBatchWouldOverflowSegmentBytes) {
  auto config = quiet_config();
  const auto batch_size = make_batch(1, 0).size();
  config.segment_bytes = std::int64_t(3 * batch_size);
  auto log = open_log(config);
  ASSERT_TRUE(log);
  for (int i = 0; i < 10; ++i) append(*log, make_batch(1, i));

  // Three batches fit exactly in each segment.
  EXPECT_EQ(log->segment_count(), 4u);
  const std::vector<std::filesystem::path> expected_logs = {
      dir_.path() / "00000000000000000000.log", dir_.path() / "00000000000000000003.log",
      dir_.path() / "00000000000000000006.log", dir_.path() / "00000000000000000009.log"};
  EXPECT_EQ(files_with(".log"), expected_logs);
  EXPECT_EQ(std::filesystem::file_size(file(3, ".log")), 3 * batch_size);
  EXPECT_EQ(read_all(*log), stored_bytes());
  // One read stays within one segment.
  EXPECT_EQ(log->read(1, 1 << 20)->bytes, stored_bytes(1, 3));
  expect_every_offset_readable(*log);
}

TEST_F(PartitionLogTest, ABatchLargerThanASegmentGetsASegmentOfItsOwn) {
  auto config = quiet_config();
  config.segment_bytes = 100;
  auto log = open_log(config);
  ASSERT_TRUE(log);
  append(*log, make_batch(1, 0, 500));
  append(*log, make_batch(1, 0, 500));
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_EQ(read_all(*log), stored_bytes());
}

TEST_F(PartitionLogTest, RollsWhenTheFirstAppendIsOlderThanSegmentMs) {
  auto config = quiet_config();
  config.segment_ms = 1000;
  auto log = open_log(config);
  ASSERT_TRUE(log);
  append(*log, make_batch(1, 0), 10'000);
  append(*log, make_batch(1, 0), 10'600);
  append(*log, make_batch(1, 0), 11'000);  // exactly segment_ms: not yet
  EXPECT_EQ(log->segment_count(), 1u);
  append(*log, make_batch(1, 0), 11'001);
  EXPECT_EQ(log->segment_count(), 2u);
  // The new segment's clock starts at its own first append.
  append(*log, make_batch(1, 0), 12'000);
  EXPECT_EQ(log->segment_count(), 2u);
  append(*log, make_batch(1, 0), 12'002);
  EXPECT_EQ(log->segment_count(), 3u);
  EXPECT_TRUE(std::filesystem::exists(file(3, ".log")));
  EXPECT_TRUE(std::filesystem::exists(file(5, ".log")));
  EXPECT_EQ(read_all(*log), stored_bytes());
}

TEST_F(PartitionLogTest, EveryOffsetOfAManySegmentLogIsFoundThroughTheIndexes) {
  auto config = quiet_config();
  config.segment_bytes = 2000;
  config.index_interval_bytes = 150;
  auto log = open_log(config);
  ASSERT_TRUE(log);
  std::mt19937 random(7);
  for (int i = 0; i < 120; ++i) {
    append(*log, make_batch(1 + int(random() % 5), i * 10, 10 + random() % 60));
  }
  ASSERT_GT(log->segment_count(), 5u);
  expect_every_offset_readable(*log);
  EXPECT_EQ(read_all(*log), stored_bytes());
  EXPECT_EQ(read_all(*log, 0, 700), stored_bytes());

  // Sealed segments reopen from their index files, the tail from a scan.
  ASSERT_TRUE(log->flush().ok());
  EXPECT_EQ(files_with(".index").size(), log->segment_count() - 1);
  log.reset();
  log = open_log(config);
  ASSERT_TRUE(log);
  expect_every_offset_readable(*log);
  EXPECT_EQ(read_all(*log), stored_bytes());
}

TEST_F(PartitionLogTest, OffsetForTimestampFindsTheFirstRecordAtOrAfterIt) {
  auto config = quiet_config();
  config.segment_bytes = 1500;
  config.index_interval_bytes = 100;
  auto log = open_log(config);
  ASSERT_TRUE(log);
  // Timestamps mostly grow, with stragglers inside batches and across them.
  std::mt19937 random(11);
  for (int i = 0; i < 80; ++i) {
    std::vector<std::int64_t> timestamps;
    const int count = 1 + int(random() % 4);
    for (int r = 0; r < count; ++r)
      timestamps.push_back(1000 + i * 20 + std::int64_t(random() % 50));
    append(*log, make_batch(timestamps, 20));
  }
  ASSERT_GT(log->segment_count(), 3u);

  auto records = batch::decode_all(stored_bytes());
  ASSERT_TRUE(records.ok());
  const auto expected_for = [&](std::int64_t timestamp) -> std::optional<std::int64_t> {
    for (const auto& stored : *records) {
      if (stored.record.timestamp_ms >= timestamp) return stored.offset;
    }
    return std::nullopt;
  };
  for (std::int64_t timestamp = 900; timestamp <= 2700; timestamp += 3) {
    auto found = log->offset_for_timestamp(timestamp);
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_EQ(*found, expected_for(timestamp)) << "timestamp " << timestamp;
  }
  EXPECT_EQ(log->offset_for_timestamp(1'000'000).value(), std::nullopt);
}

TEST_F(PartitionLogTest, OffsetForTimestampUsesTheAppendTimeOfLogAppendTimeBatches) {
  auto log = open_log(quiet_config());
  ASSERT_TRUE(log);
  append(*log, make_batch(3, 100));
  auto stamped = make_batch(3, 100);
  batch::set_log_append_time(stamped, 5000);
  append(*log, stamped);
  EXPECT_EQ(log->offset_for_timestamp(101).value(), 1);
  EXPECT_EQ(log->offset_for_timestamp(103).value(), 3);
  EXPECT_EQ(log->offset_for_timestamp(5000).value(), 3);
  EXPECT_EQ(log->offset_for_timestamp(5001).value(), std::nullopt);
}

TEST_F(PartitionLogTest, RetentionByTimeDeletesOldSegmentsAndMovesTheStart) {
  auto config = quiet_config();
  config.segment_bytes = 1;  // one batch a segment
  config.retention_ms = 1000;
  auto log = open_log(config);
  ASSERT_TRUE(log);
  for (int i = 0; i < 5; ++i) append(*log, make_batch(2, 10'000 + i * 1000));
  ASSERT_EQ(log->segment_count(), 5u);

  // Segments with max timestamps 10001 and 11001 are more than 1000 ms old.
  EXPECT_EQ(log->enforce_retention(12'002), 2u);
  EXPECT_EQ(log->log_start_offset(), 4);
  EXPECT_EQ(log->segment_count(), 3u);
  EXPECT_FALSE(std::filesystem::exists(file(0, ".log")));
  EXPECT_FALSE(std::filesystem::exists(file(2, ".log")));
  EXPECT_EQ(log->size_bytes(), stored_bytes(2).size());
  auto below = log->read(3, 100);
  ASSERT_FALSE(below.ok());
  EXPECT_EQ(below.error().code, Errc::offset_out_of_range);
  EXPECT_EQ(log->read(4, 1 << 20)->bytes, stored_[2]);
  EXPECT_EQ(log->read(4, 1 << 20)->log_start_offset, 4);
  EXPECT_EQ(log->enforce_retention(12'002), 0u);
}

TEST_F(PartitionLogTest, RetentionExpiresAnIdleActiveSegmentByRollingFirst) {
  auto config = quiet_config();
  config.retention_ms = 1000;
  auto log = open_log(config);
  ASSERT_TRUE(log);
  for (int i = 0; i < 3; ++i) append(*log, make_batch(2, 5000));
  ASSERT_EQ(log->segment_count(), 1u);

  EXPECT_EQ(log->enforce_retention(5500), 0u);
  EXPECT_EQ(log->enforce_retention(7000), 1u);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->log_start_offset(), 6);
  EXPECT_EQ(log->log_end_offset(), 6);
  EXPECT_EQ(log->size_bytes(), 0u);
  EXPECT_FALSE(std::filesystem::exists(file(0, ".log")));
  EXPECT_TRUE(std::filesystem::exists(file(6, ".log")));
  EXPECT_TRUE(log->read(6, 100)->bytes.empty());
  // An empty active segment is never deleted.
  EXPECT_EQ(log->enforce_retention(100'000), 0u);

  EXPECT_EQ(append(*log, make_batch(1, 9000)).base_offset, 6);
  log.reset();
  log = open_log(config);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_start_offset(), 6);
  EXPECT_EQ(log->log_end_offset(), 7);
}

TEST_F(PartitionLogTest, RetentionBySizeKeepsAtLeastRetentionBytes) {
  auto config = quiet_config();
  config.segment_bytes = 1;
  auto log = open_log(config);
  ASSERT_TRUE(log);
  for (int i = 0; i < 6; ++i) append(*log, make_batch(1, i));
  const auto batch_size = stored_[0].size();

  // Deleting a segment must leave at least retention_bytes.
  config.retention_bytes = std::int64_t(3 * batch_size + 1);
  log.reset();
  log = open_log(config);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->enforce_retention(0), 2u);
  EXPECT_EQ(log->size_bytes(), 4 * batch_size);
  EXPECT_EQ(log->log_start_offset(), 2);
  EXPECT_EQ(read_all(*log, 2), stored_bytes(2));
  EXPECT_EQ(log->read(1, 10).error().code, Errc::offset_out_of_range);
  EXPECT_EQ(files_with(".log").size(), 4u);
  EXPECT_EQ(files_with(".index").size(), 3u);  // the sealed ones
}

class TornTailTest : public PartitionLogTest {
 protected:
  // Five batches in one segment, closed cleanly.
  std::filesystem::path write_five() {
    auto log = open_log(quiet_config());
    for (int i = 0; i < 5; ++i) append(*log, make_batch(3, 100 * i));
    return file(0, ".log");
  }

  void expect_recovered_to(std::size_t batches) {
    auto log = open_log(quiet_config());
    ASSERT_TRUE(log);
    const auto end = std::int64_t(3 * batches);
    EXPECT_EQ(log->log_end_offset(), end);
    EXPECT_EQ(read_all(*log), stored_bytes(0, batches));
    EXPECT_EQ(std::filesystem::file_size(file(0, ".log")), stored_bytes(0, batches).size());
    EXPECT_EQ(append(*log, make_batch(2, 0)).base_offset, end);
    EXPECT_EQ(log->read(end, 1 << 20)->bytes, stored_.back());
  }
};

TEST_F(TornTailTest, GarbageAfterTheLastBatchIsCut) {
  append_to_file(write_five(), "this is not a record batch, just noise at the end");
  expect_recovered_to(5);
}

TEST_F(TornTailTest, ABatchCutInTheMiddleIsDropped) {
  const auto path = write_five();
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - stored_[4].size() / 2);
  expect_recovered_to(4);
}

TEST_F(TornTailTest, AHeaderCutShortIsDropped) {
  const auto path = write_five();
  std::filesystem::resize_file(path, stored_bytes(0, 4).size() + 20);
  expect_recovered_to(4);
}

TEST_F(TornTailTest, ARecordWithAFlippedByteIsDroppedWithEverythingAfterIt) {
  const auto path = write_five();
  auto bytes = read_file(path);
  bytes[stored_bytes(0, 3).size() + stored_[3].size() - 5] ^= 0x20;
  write_file(path, bytes);
  expect_recovered_to(3);
}

TEST_F(TornTailTest, ABatchOutOfOffsetSequenceIsDropped) {
  // BaseOffset lies outside the CRC, so only the sequence check catches this.
  const auto path = write_five();
  auto bytes = read_file(path);
  bytes[stored_bytes(0, 4).size() + 7] ^= 0x01;
  write_file(path, bytes);
  expect_recovered_to(4);
}

TEST_F(PartitionLogTest, ReopenPreservesEverything) {
  auto config = quiet_config();
  config.segment_bytes = 800;
  config.index_interval_bytes = 200;
  auto log = open_log(config);
  ASSERT_TRUE(log);
  for (int i = 0; i < 40; ++i) append(*log, make_batch(1 + i % 3, 1000 + i));
  const auto end = log->log_end_offset();
  const auto segments = log->segment_count();
  const auto size = log->size_bytes();
  const auto at_1020 = log->offset_for_timestamp(1020).value();
  log.reset();

  log = open_log(config);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_start_offset(), 0);
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(log->flushed_offset(), 0);
  EXPECT_EQ(log->segment_count(), segments);
  EXPECT_EQ(log->size_bytes(), size);
  EXPECT_EQ(log->offset_for_timestamp(1020).value(), at_1020);
  EXPECT_EQ(read_all(*log), stored_bytes());
  EXPECT_EQ(append(*log, make_batch(1, 0)).base_offset, end);
}

TEST_F(PartitionLogTest, LostOrCorruptIndexFilesAreRebuiltFromTheLog) {
  auto config = quiet_config();
  config.segment_bytes = 1200;
  config.index_interval_bytes = 100;
  auto log = open_log(config);
  ASSERT_TRUE(log);
  for (int i = 0; i < 60; ++i) append(*log, make_batch(1 + i % 3, 2000 + i * 7));
  log.reset();
  const auto indexes = files_with(".index");
  const auto time_indexes = files_with(".timeindex");
  ASSERT_GE(indexes.size(), 4u);
  std::vector<std::string> originals;
  for (const auto& path : indexes) originals.push_back(read_file(path));
  const auto time_original = read_file(time_indexes[2]);
  ASSERT_FALSE(originals[1].empty());

  std::filesystem::remove(indexes[0]);
  write_file(indexes[1], std::string(originals[1].size(), '\xff'));         // past the log's end
  write_file(indexes[2], originals[2].substr(0, originals[2].size() - 3));  // torn
  write_file(time_indexes[2], time_original + "garbage!!!!!");
  // A plausible entry that does not match the batch at its position.
  auto shifted = originals[3];
  shifted[shifted.size() - 1] = char(shifted[shifted.size() - 1] + 1);
  write_file(indexes[3], shifted);

  log = open_log(config);
  ASSERT_TRUE(log);
  expect_every_offset_readable(*log);
  EXPECT_EQ(read_all(*log), stored_bytes());
  log.reset();
  // The rebuilt files are the ones appends had produced.
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(read_file(indexes[i]), originals[i]) << i;
  EXPECT_EQ(read_file(time_indexes[2]), time_original);
}

TEST_F(PartitionLogTest, ATornSealedSegmentIsCutAndTheGapSkipped) {
  auto config = quiet_config();
  config.segment_bytes = 1;
  auto log = open_log(config);
  ASSERT_TRUE(log);
  for (int i = 0; i < 4; ++i) append(*log, make_batch(2, i));
  log.reset();
  // A crash between roll and flush could leave the sealed segment short.
  std::filesystem::resize_file(file(2, ".log"), stored_[1].size() - 1);
  std::filesystem::remove(file(2, ".index"));

  log = open_log(config);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_end_offset(), 8);
  EXPECT_EQ(read_all(*log), stored_[0] + stored_[2] + stored_[3]);
  // An offset of the lost batch reads on from the next segment.
  EXPECT_EQ(log->read(2, 1 << 20)->bytes, stored_[2]);
  EXPECT_EQ(log->read(3, 1)->bytes, stored_[2]);
}

TEST_F(PartitionLogTest, LeftoverFilesAreIgnoredOrCleanedUp) {
  std::filesystem::create_directories(dir_.path());
  write_file(file(40, ".index"), std::string(8, '\0'));
  write_file(file(0, ".index.tmp"), "half");
  write_file(dir_.path() / "notes.txt", "keep me");
  auto log = open_log(quiet_config());
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_end_offset(), 0);
  EXPECT_FALSE(std::filesystem::exists(file(40, ".index")));
  EXPECT_FALSE(std::filesystem::exists(file(0, ".index.tmp")));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "notes.txt"));
}

TEST_F(PartitionLogTest, FlushCoversTheEndAndMakesSealedSegmentsIndexesDurable) {
  auto config = quiet_config();
  config.segment_bytes = 1;
  auto log = open_log(config);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->flushed_offset(), 0);
  append(*log, make_batch(2, 0));
  append(*log, make_batch(3, 0));
  EXPECT_EQ(log->flushed_offset(), 0);
  EXPECT_FALSE(std::filesystem::exists(file(0, ".index")));

  auto flushed = log->flush();
  ASSERT_TRUE(flushed.ok());
  EXPECT_EQ(*flushed, 5);
  EXPECT_EQ(log->flushed_offset(), 5);
  EXPECT_TRUE(std::filesystem::exists(file(0, ".index")));
  EXPECT_TRUE(std::filesystem::exists(file(0, ".timeindex")));
  // The active segment's indexes stay in memory.
  EXPECT_FALSE(std::filesystem::exists(file(2, ".index")));
  EXPECT_EQ(log->flush().value(), 5);
}

TEST_F(PartitionLogTest, RemoveDeletesTheFolder) {
  auto config = quiet_config();
  config.segment_bytes = 1;
  auto log = open_log(config);
  ASSERT_TRUE(log);
  for (int i = 0; i < 3; ++i) append(*log, make_batch(1, i));
  ASSERT_TRUE(log->flush().ok());
  ASSERT_TRUE(log->remove().ok());
  EXPECT_FALSE(std::filesystem::exists(dir_.path()));
  EXPECT_EQ(log->segment_count(), 0u);
  std::string batch = make_batch(1, 0);
  EXPECT_FALSE(log->append(batch, 0).ok());
  EXPECT_FALSE(log->read(0, 10).ok());
  log.reset();
  EXPECT_FALSE(std::filesystem::exists(dir_.path()));
}

TEST_F(PartitionLogTest, AppendRejectsAnythingButOneWholeBatch) {
  auto log = open_log(quiet_config());
  ASSERT_TRUE(log);
  auto two = make_batch(1, 0) + make_batch(1, 0);
  EXPECT_EQ(log->append(two, 0).error().code, Errc::corrupt_batch);
  std::string short_one = make_batch(1, 0);
  short_one.pop_back();
  EXPECT_EQ(log->append(short_one, 0).error().code, Errc::corrupt_batch);
  EXPECT_EQ(log->log_end_offset(), 0);
  EXPECT_EQ(log->size_bytes(), 0u);
}

// Readers see only whole, valid batches while a writer appends and rolls and
// retention deletes old segments.
TEST_F(PartitionLogTest, ConcurrentReadersSeeOnlyWholeValidBatches) {
  auto config = quiet_config();
  config.segment_bytes = 4096;
  config.index_interval_bytes = 256;
  config.retention_bytes = 64 * 1024;
  auto log = open_log(config);
  ASSERT_TRUE(log);

  constexpr int kBatches = 3000;
  std::atomic<bool> done{false};
  std::atomic<long> reads{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(t);
      while (!done.load()) {
        const auto start = log->log_start_offset();
        const auto end = log->log_end_offset();
        const auto offset = start + std::int64_t(random() % std::uint64_t(end - start + 1));
        const auto max_bytes = std::size_t(random() % 3000);
        auto read = log->read(offset, max_bytes);
        if (!read.ok()) {
          // Only retention may have moved the start past the offset meanwhile.
          ASSERT_EQ(read.error().code, Errc::offset_out_of_range) << read.error().message;
          ASSERT_LT(offset, log->log_start_offset());
          continue;
        }
        ++reads;
        ASSERT_LE(offset, read->log_end_offset);
        if (offset == read->log_end_offset) {
          ASSERT_TRUE(read->bytes.empty());
          continue;
        }
        const auto headers = headers_of(read->bytes);
        ASSERT_FALSE(headers.empty());
        ASSERT_LE(headers.front().base_offset, offset);
        ASSERT_GE(headers.front().last_offset(), offset);
        ASSERT_LE(headers.back().last_offset(), read->log_end_offset - 1);
        ASSERT_TRUE(headers.size() == 1 || read->bytes.size() <= max_bytes);
        for (std::size_t i = 1; i < headers.size(); ++i) {
          ASSERT_EQ(headers[i].base_offset, headers[i - 1].last_offset() + 1);
        }
      }
    });
  }
  threads.emplace_back([&] {
    while (!done.load()) {
      log->enforce_retention(0);
      std::this_thread::yield();
    }
  });

  std::mt19937 random(99);
  std::int64_t expected = 0;
  for (int i = 0; i < kBatches; ++i) {
    std::string batch = make_batch(1 + int(random() % 4), i, 20 + random() % 200);
    auto appended = log->append(batch, i);
    ASSERT_TRUE(appended.ok()) << appended.error().message;
    ASSERT_EQ(appended->base_offset, expected);
    expected = appended->last_offset + 1;
    if (i % 500 == 0) {
      ASSERT_TRUE(log->flush().ok());
    }
  }
  done = true;
  for (auto& thread : threads) thread.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_GT(log->log_start_offset(), 0);
  EXPECT_EQ(log->log_end_offset(), expected);
  expect_every_offset_readable(*log);
}

}  // namespace
}  // namespace junction::storage
