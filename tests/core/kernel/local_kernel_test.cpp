#include "kernel/local_kernel.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "junction/partitioner.hpp"
#include "junction/record_batch.hpp"
#include "support/junctiond_process.hpp"
#include "support/partition_reader.hpp"

namespace junction::kernel {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
using namespace std::chrono_literals;

Record make_record(std::string value, std::optional<std::string> key = std::nullopt) {
  Record record;
  record.key = std::move(key);
  record.value = std::move(value);
  record.headers = {{"source", "test"}};
  return record;
}

class LocalKernelTest : public ::testing::Test {
 protected:
  std::unique_ptr<LocalKernel> open(TopicConfig defaults = {}, bool auto_create = true) {
    KernelOptions options;
    options.data_dir = dir_.path() / "data";
    options.topic_defaults = defaults;
    options.auto_create_topics = auto_create;
    auto kernel = LocalKernel::open(options);
    EXPECT_TRUE(kernel) << kernel.error().message;
    return kernel ? std::move(kernel.value()) : nullptr;
  }

  static std::vector<StoredRecord> read_all(Kernel& kernel, const std::string& topic,
                                            std::int32_t partition, std::int64_t from = 0) {
    return testing::read_partition(kernel, topic, partition, from);
  }

  TempDir dir_;
};

TEST_F(LocalKernelTest, CreatesDescribesListsAndDeletesTopics) {
  auto kernel = open();
  auto created = kernel->create_topic("orders", 3);
  ASSERT_TRUE(created);
  EXPECT_EQ(created->partitions, 3);
  EXPECT_EQ(kernel->create_topic("orders", 3).error().code, Errc::topic_exists);
  EXPECT_EQ(kernel->describe_topic("orders")->partitions, 3);
  EXPECT_EQ(kernel->list_topics().size(), 1u);
  EXPECT_TRUE(std::filesystem::is_directory(dir_.path() / "data" / "orders" / "2"));

  ASSERT_TRUE(kernel->delete_topic("orders"));
  EXPECT_EQ(kernel->describe_topic("orders").error().code, Errc::unknown_topic);
  EXPECT_EQ(kernel->delete_topic("orders").error().code, Errc::unknown_topic);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / "orders"));
  // The name is free again, and the new topic starts empty.
  ASSERT_TRUE(kernel->create_topic("orders", 1));
  EXPECT_EQ(kernel->offsets("orders", 0)->high_watermark, 0);
}

TEST_F(LocalKernelTest, RejectsBadTopicNamesAndPartitionCounts) {
  auto kernel = open();
  for (const std::string& name :
       std::vector<std::string>{"", ".", "..", "a/b", "white space", std::string(250, 'x')}) {
    auto created = kernel->create_topic(name, 1);
    ASSERT_FALSE(created) << name;
    EXPECT_EQ(created.error().code, Errc::invalid_argument);
  }
  EXPECT_EQ(kernel->create_topic("t", -1).error().code, Errc::invalid_argument);
  EXPECT_TRUE(kernel->create_topic("Valid.name_with-dashes.9", 1));
}

TEST_F(LocalKernelTest, AutoCreateFollowsTheSetting) {
  TopicConfig defaults;
  defaults.partitions = 4;
  {
    auto kernel = open(defaults, /*auto_create=*/true);
    auto produced = kernel->produce_and_wait("auto", kAnyPartition, {make_record("v")});
    ASSERT_TRUE(produced);
    EXPECT_EQ(kernel->describe_topic("auto")->partitions, 4);
  }
  auto kernel = open(defaults, /*auto_create=*/false);
  auto produced = kernel->produce_and_wait("other", 0, {make_record("v")});
  ASSERT_FALSE(produced);
  EXPECT_EQ(produced.error().code, Errc::unknown_topic);
  EXPECT_EQ(kernel->ensure_topic("other").error().code, Errc::unknown_topic);
}

TEST_F(LocalKernelTest, OffsetsStartAtZeroAndGrowByOnePerRecord) {
  auto kernel = open();
  ASSERT_TRUE(kernel->create_topic("t", 1));
  auto first = kernel->produce_and_wait("t", 0, {make_record("a"), make_record("b")});
  auto second = kernel->produce_and_wait("t", 0, {make_record("c")});
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->base_offset, 0);
  EXPECT_EQ(first->last_offset, 1);
  EXPECT_EQ(second->base_offset, 2);
  auto records = read_all(*kernel, "t", 0);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].offset, 2);
  EXPECT_EQ(records[2].record.value, "c");
  EXPECT_EQ(records[2].record.headers, (std::vector<Header>{{"source", "test"}}));
  // Records without a timestamp get the append time.
  EXPECT_EQ(records[0].record.timestamp_ms, first->append_time_ms);
  EXPECT_EQ(kernel->offsets("t", 0)->high_watermark, 3);
}

TEST_F(LocalKernelTest, KeyedRecordsUseKafkasPartitioner) {
  auto kernel = open();
  ASSERT_TRUE(kernel->create_topic("keyed", 6));
  for (const std::string key : {"alice", "bob", "carol", "dave", "erin"}) {
    auto first = kernel->produce_and_wait("keyed", kAnyPartition, {make_record("1", key)});
    auto second = kernel->produce_and_wait("keyed", kAnyPartition, {make_record("2", key)});
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->partition, partition_for_key(key, 6)) << key;
    EXPECT_EQ(second->partition, first->partition) << key;
  }
}

TEST_F(LocalKernelTest, UnkeyedRecordsSpreadRoundRobin) {
  auto kernel = open();
  ASSERT_TRUE(kernel->create_topic("spread", 3));
  std::set<std::int32_t> partitions;
  for (int i = 0; i < 3; ++i) {
    partitions.insert(
        kernel->produce_and_wait("spread", kAnyPartition, {make_record("x")})->partition);
  }
  EXPECT_EQ(partitions.size(), 3u);
}

TEST_F(LocalKernelTest, ProduceBatchStoresTheBytesUnchanged) {
  auto kernel = open();
  ASSERT_TRUE(kernel->create_topic("raw", 1));
  ASSERT_TRUE(kernel->produce_and_wait("raw", 0, {make_record("before")}));
  Record r = make_record("compressed", "k");
  r.timestamp_ms = 1234;
  auto encoded = batch::encode(std::vector<Record>{r, r}, {.compression = Compression::gzip});
  ASSERT_TRUE(encoded);
  auto ack = kernel->produce_batch_and_wait("raw", 0, *encoded);
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_EQ(ack->base_offset, 1);

  auto fetched = kernel->fetch("raw", 0, 1, 1 << 20);
  ASSERT_TRUE(fetched);
  std::string expected = *encoded;
  batch::set_base_offset(expected, 1);
  EXPECT_EQ(fetched->batches, expected);
  auto records = batch::decode_all(fetched->batches);
  ASSERT_TRUE(records);
  EXPECT_EQ(records->at(1).offset, 2);
  EXPECT_EQ(records->at(1).record.timestamp_ms, 1234);
}

TEST_F(LocalKernelTest, RefusesCorruptOversizedAndMisdirectedBatches) {
  TopicConfig defaults;
  defaults.max_message_bytes = 1000;
  auto kernel = open(defaults);
  ASSERT_TRUE(kernel->create_topic("t", 2));
  auto encoded = batch::encode(std::vector<Record>{make_record("v")});
  ASSERT_TRUE(encoded);

  std::string corrupt = *encoded;
  corrupt.back() ^= 0x01;
  EXPECT_EQ(kernel->produce_batch_and_wait("t", 0, corrupt).error().code, Errc::corrupt_batch);
  EXPECT_EQ(kernel->produce_batch_and_wait("t", 0, encoded->substr(0, 30)).error().code,
            Errc::corrupt_batch);
  EXPECT_EQ(kernel->produce_batch_and_wait("t", 0, *encoded + *encoded).error().code,
            Errc::corrupt_batch);
  EXPECT_EQ(kernel->produce_batch_and_wait("t", 7, *encoded).error().code, Errc::unknown_partition);

  auto big = kernel->produce_and_wait("t", 0, {make_record(std::string(2000, 'x'))});
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, Errc::record_too_large);
  EXPECT_THAT(big.error().message, HasSubstr("max_message_bytes"));

  // Nothing was stored, and the partition still works.
  EXPECT_EQ(kernel->offsets("t", 0)->high_watermark, 0);
  EXPECT_TRUE(kernel->produce_batch_and_wait("t", 0, *encoded));
}

TEST_F(LocalKernelTest, FetchErrorsAndBounds) {
  auto kernel = open();
  ASSERT_TRUE(kernel->create_topic("t", 1));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(kernel->produce_and_wait("t", 0, {make_record(std::string(100, 'a' + i))}));
  }
  EXPECT_EQ(kernel->fetch("nope", 0, 0, 100).error().code, Errc::unknown_topic);
  EXPECT_EQ(kernel->fetch("t", 1, 0, 100).error().code, Errc::unknown_partition);
  EXPECT_EQ(kernel->fetch("t", 0, 11, 100).error().code, Errc::offset_out_of_range);
  EXPECT_EQ(kernel->fetch("t", 0, -1, 100).error().code, Errc::offset_out_of_range);
  EXPECT_TRUE(kernel->fetch("t", 0, 10, 100)->batches.empty());

  // A limit smaller than one batch still returns exactly that batch.
  auto one = kernel->fetch("t", 0, 4, 1);
  ASSERT_TRUE(one);
  auto records = batch::decode_all(one->batches);
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(records->at(0).offset, 4);
  EXPECT_EQ(one->offsets.high_watermark, 10);
}

TEST_F(LocalKernelTest, OffsetForTimestamp) {
  auto kernel = open();
  ASSERT_TRUE(kernel->create_topic("t", 1));
  for (std::int64_t ts : {1000, 2000, 3000}) {
    Record record = make_record("v");
    record.timestamp_ms = ts;
    ASSERT_TRUE(kernel->produce_and_wait("t", 0, {record}));
  }
  EXPECT_EQ(*kernel->offset_for_timestamp("t", 0, 0).value(), 0);
  EXPECT_EQ(*kernel->offset_for_timestamp("t", 0, 1500).value(), 1);
  EXPECT_EQ(*kernel->offset_for_timestamp("t", 0, 3000).value(), 2);
  EXPECT_FALSE(kernel->offset_for_timestamp("t", 0, 3001).value().has_value());
}

TEST_F(LocalKernelTest, WaitForDataWakesOnAppend) {
  auto kernel = open();
  ASSERT_TRUE(kernel->create_topic("t", 1));
  std::promise<bool> woken;
  auto wait = kernel->wait_for_data("t", 0, 0, Clock::now() + 30s,
                                    [&](bool data) { woken.set_value(data); });
  ASSERT_TRUE(wait);
  auto future = woken.get_future();
  EXPECT_EQ(future.wait_for(50ms), std::future_status::timeout);
  ASSERT_TRUE(kernel->produce_and_wait("t", 0, {make_record("v")}));
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(future.get());
}

TEST_F(LocalKernelTest, WaitForDataFiresAtOnceWhenDataIsThere) {
  auto kernel = open();
  ASSERT_TRUE(kernel->produce_and_wait("t", 0, {make_record("v")}));
  std::promise<bool> woken;
  auto wait = kernel->wait_for_data("t", 0, 0, Clock::now() + 30s,
                                    [&](bool data) { woken.set_value(data); });
  ASSERT_TRUE(wait);
  auto future = woken.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(future.get());
}

TEST_F(LocalKernelTest, WaitForDataTimesOutAtTheDeadline) {
  auto kernel = open();
  ASSERT_TRUE(kernel->create_topic("t", 1));
  std::promise<bool> woken;
  const auto start = Clock::now();
  auto wait =
      kernel->wait_for_data("t", 0, 0, start + 100ms, [&](bool data) { woken.set_value(data); });
  ASSERT_TRUE(wait);
  auto future = woken.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(future.get());
  EXPECT_GE(Clock::now() - start, 100ms);
}

TEST_F(LocalKernelTest, CancelledWaitNeverFires) {
  auto kernel = open();
  ASSERT_TRUE(kernel->create_topic("t", 1));
  std::atomic<int> calls{0};
  auto wait = kernel->wait_for_data("t", 0, 0, Clock::now() + 50ms, [&](bool) { ++calls; });
  ASSERT_TRUE(wait);
  (*wait)->cancel();
  ASSERT_TRUE(kernel->produce_and_wait("t", 0, {make_record("v")}));
  // A second wait with a later deadline shows the timer passed the first.
  std::promise<void> later;
  auto second =
      kernel->wait_for_data("t", 0, 5, Clock::now() + 100ms, [&](bool) { later.set_value(); });
  ASSERT_EQ(later.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(calls.load(), 0);
}

TEST_F(LocalKernelTest, ConcurrentProducersGetDistinctContiguousOffsets) {
  auto kernel = open();
  ASSERT_TRUE(kernel->create_topic("t", 1));
  constexpr int kThreads = 4, kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(kernel->produce_and_wait("t", 0, {make_record(std::to_string(t))}));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto records = read_all(*kernel, "t", 0);
  ASSERT_EQ(records.size(), std::size_t(kThreads * kPerThread));
  for (std::size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].offset, std::int64_t(i));
}

TEST_F(LocalKernelTest, FlushAlwaysAcknowledgesAfterFsyncWithGroupCommit) {
  TopicConfig defaults;
  defaults.flush = FlushPolicy::always;
  auto kernel = open(defaults);
  ASSERT_TRUE(kernel->create_topic("durable", 1));
  constexpr int kProducers = 8, kPerProducer = 50;
  std::atomic<int> acked{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kProducers; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerProducer; ++i) {
        if (kernel->produce_and_wait("durable", 0, {make_record("v")})) ++acked;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(acked.load(), kProducers * kPerProducer);
  EXPECT_EQ(kernel->offsets("durable", 0)->high_watermark, kProducers * kPerProducer);
}

TEST_F(LocalKernelTest, TopicsAndRecordsSurviveAReopen) {
  {
    auto kernel = open();
    ASSERT_TRUE(kernel->create_topic("kept", 2));
    ASSERT_TRUE(kernel->produce_and_wait("kept", 1, {make_record("one"), make_record("two")}));
  }
  auto kernel = open();
  ASSERT_EQ(kernel->describe_topic("kept")->partitions, 2);
  auto records = read_all(*kernel, "kept", 1);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].record.value, "two");
  EXPECT_EQ(kernel->produce_and_wait("kept", 1, {make_record("three")})->base_offset, 2);
}

TEST_F(LocalKernelTest, DataDirIsLockedAgainstASecondBroker) {
  auto kernel = open();
  KernelOptions options;
  options.data_dir = dir_.path() / "data";
  auto second = LocalKernel::open(options);
  ASSERT_FALSE(second);
  EXPECT_THAT(second.error().message, HasSubstr("in use by another junctiond"));
}

TEST_F(LocalKernelTest, TopicNamesCannotReachTheKernelsOwnFiles) {
  auto kernel = open();
  // Kafka allows a leading dot; the lock lives under a name no topic can have.
  ASSERT_TRUE(kernel->create_topic(".lock", 1));
  ASSERT_TRUE(kernel->delete_topic(".lock"));
  KernelOptions options;
  options.data_dir = dir_.path() / "data";
  EXPECT_FALSE(LocalKernel::open(options)) << "the data_dir lock was lost";
}

TEST_F(LocalKernelTest, AForeignFolderIsNeitherTakenOverNorDeleted) {
  std::filesystem::create_directories(dir_.path() / "data" / "notes");
  std::ofstream(dir_.path() / "data" / "notes" / "keep.txt") << "mine";
  auto kernel = open();
  auto created = kernel->create_topic("notes", 1);
  ASSERT_FALSE(created);
  EXPECT_THAT(created.error().message, HasSubstr("not a topic"));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "data" / "notes" / "keep.txt"));
}

TEST_F(LocalKernelTest, RetentionDeletesOldSegments) {
  TopicConfig defaults;
  defaults.segment_bytes = 1024;
  defaults.retention_bytes = 2048;
  defaults.retention_ms = -1;
  auto kernel = open(defaults);
  ASSERT_TRUE(kernel->create_topic("t", 1));
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(kernel->produce_and_wait("t", 0, {make_record(std::string(200, 'r'))}));
  }
  kernel->enforce_retention();
  auto offsets = kernel->offsets("t", 0);
  EXPECT_GT(offsets->log_start_offset, 0);
  EXPECT_EQ(offsets->high_watermark, 50);
  EXPECT_EQ(kernel->fetch("t", 0, 0, 100).error().code, Errc::offset_out_of_range);
  EXPECT_EQ(read_all(*kernel, "t", 0, offsets->log_start_offset).back().offset, 49);
}

}  // namespace
}  // namespace junction::kernel
