// The data path as Kafka clients use it: Produce, Fetch, ListOffsets and the
// idempotent producer, with kcat, confluent-kafka and (for requests no
// well-behaved client sends) kafka-python's protocol classes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "kafka_test_broker.hpp"

namespace junction::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, separator)) parts.push_back(part);
  return parts;
}

// The lines of `output` that start with `prefix`, each split into words.
std::vector<std::vector<std::string>> lines_starting(const std::string& output,
                                                     const std::string& prefix) {
  std::vector<std::vector<std::string>> found;
  for (const auto& line : split(output, '\n')) {
    if (line.rfind(prefix + " ", 0) == 0) found.push_back(split(line, ' '));
  }
  return found;
}

const std::vector<std::string> kQuickClient = {"-X", "message.timeout.ms=15000", "-X",
                                               "socket.timeout.ms=10000"};

CommandOutput kcat_produce(const KafkaTestBroker& broker, std::vector<std::string> args,
                           const std::string& input) {
  args.insert(args.begin(), "-P");
  args.insert(args.end(), kQuickClient.begin(), kQuickClient.end());
  return run_kcat(broker.bootstrap(), args, input, std::chrono::seconds(60));
}

// Everything in the topic, one line per record in `format`.
CommandOutput kcat_consume_all(const KafkaTestBroker& broker, const std::string& topic,
                               const std::string& format) {
  std::vector<std::string> args{
      "-C", "-t", topic, "-e", "-q", "-f", format, "-X", "fetch.wait.max.ms=100"};
  args.insert(args.end(), kQuickClient.begin(), kQuickClient.end());
  return run_kcat(broker.bootstrap(), args, {}, std::chrono::seconds(60));
}

CommandOutput raw_requests(const KafkaTestBroker& broker, const std::string& scenario,
                           const std::string& topic) {
  return run_python_client("kafka_python_raw_requests.py",
                           {"--port", std::to_string(broker.port()), "--topic", topic, scenario},
                           {}, std::chrono::seconds(60));
}

TEST(KafkaProduceFetch, KcatKeyedRecordsWithHeadersComeBackOnceInOrderAndIntact) {
  KafkaTestBroker broker("[topics]\ndefault_partitions = 3\n");
  ASSERT_TRUE(broker.start());
  constexpr int kRuns = 10;
  constexpr int kPerRun = 1000;
  constexpr int kKeys = 500;
  // kcat sets no per-record timestamp: each run's records carry the time of
  // their produce call, so they must fall inside that run's window.
  struct Window {
    std::int64_t from = 0;
    std::int64_t to = 0;
  };
  std::vector<Window> windows(kRuns);
  for (int run = 0; run < kRuns; ++run) {
    std::string input;
    for (int j = 0; j < kPerRun; ++j) {
      const int n = run * kPerRun + j;
      input += "key-" + std::to_string(n % kKeys) + ":value-" + std::to_string(n) + "\n";
    }
    windows[run].from = now_ms();
    auto produced = kcat_produce(broker,
                                 {"-t", "keyed", "-K", ":", "-H", "run=" + std::to_string(run),
                                  "-H", "source=kcat", "-X", "linger.ms=5"},
                                 input);
    windows[run].to = now_ms();
    ASSERT_EQ(produced.status, 0) << produced.err;
  }

  auto consumed = kcat_consume_all(broker, "keyed", "%p\t%o\t%k\t%s\t%h\t%T\n");
  ASSERT_EQ(consumed.status, 0) << consumed.err;
  std::set<int> seen;
  std::map<int, std::int64_t> next_offset;  // per partition
  std::map<int, int> last_number;           // per partition, for order
  std::map<std::string, int> partition_of_key;
  for (const auto& line : split(consumed.out, '\n')) {
    auto fields = split(line, '\t');
    ASSERT_EQ(fields.size(), 6u) << line;
    const int partition = std::stoi(fields[0]);
    const auto offset = std::stoll(fields[1]);
    const auto& key = fields[2];
    ASSERT_EQ(fields[3].rfind("value-", 0), 0u) << line;
    const int n = std::stoi(fields[3].substr(6));
    const int run = n / kPerRun;
    ASSERT_TRUE(seen.insert(n).second) << "record " << n << " arrived twice";
    EXPECT_EQ(offset, next_offset[partition]++) << line;
    if (last_number.count(partition)) {
      EXPECT_GT(n, last_number[partition]) << line;
    }
    last_number[partition] = n;
    EXPECT_EQ(key, "key-" + std::to_string(n % kKeys)) << line;
    EXPECT_EQ(fields[4], "run=" + std::to_string(run) + ",source=kcat") << line;
    const auto timestamp = std::stoll(fields[5]);
    EXPECT_GE(timestamp, windows[run].from) << line;
    EXPECT_LE(timestamp, windows[run].to) << line;
    auto [known, added] = partition_of_key.emplace(key, partition);
    EXPECT_EQ(known->second, partition) << "key " << key << " on two partitions";
  }
  EXPECT_EQ(seen.size(), std::size_t(kRuns * kPerRun));
  EXPECT_EQ(next_offset.size(), 3u) << "keys should spread over all three partitions";
}

TEST(KafkaProduceFetch, EveryCompressionCodecRoundTrips) {
  KafkaTestBroker broker("[topics]\ndefault_partitions = 2\n");
  ASSERT_TRUE(broker.start());
  constexpr int kRecords = 2000;
  for (const std::string codec : {"gzip", "snappy", "lz4", "zstd"}) {
    SCOPED_TRACE(codec);
    std::string input;
    std::vector<std::string> expected;
    for (int i = 0; i < kRecords; ++i) {
      // Repetitive values, so every codec really shrinks the batches.
      expected.push_back(codec + "-record-" + std::to_string(i) + "-" + std::string(40, 'x'));
      input += expected.back() + "\n";
    }
    const std::string topic = "codec-" + codec;
    auto produced = kcat_produce(broker, {"-t", topic, "-z", codec}, input);
    ASSERT_EQ(produced.status, 0) << produced.err;
    auto consumed = kcat_consume_all(broker, topic, "%s\n");
    ASSERT_EQ(consumed.status, 0) << consumed.err;
    auto values = split(consumed.out, '\n');
    std::sort(values.begin(), values.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(values, expected);
  }
}

// Offsets of one topic as consumed to its end by kcat: every partition's
// offsets must run 0..n-1, and every value must appear once.
void expect_each_value_once_at_contiguous_offsets(const KafkaTestBroker& broker,
                                                  const std::string& topic, int count) {
  auto consumed = kcat_consume_all(broker, topic, "%p %o %s\n");
  ASSERT_EQ(consumed.status, 0) << consumed.err;
  std::set<std::string> values;
  std::map<std::string, std::int64_t> next_offset;
  for (const auto& line : split(consumed.out, '\n')) {
    auto fields = split(line, ' ');
    ASSERT_EQ(fields.size(), 3u) << line;
    EXPECT_EQ(std::stoll(fields[1]), next_offset[fields[0]]++) << line;
    EXPECT_TRUE(values.insert(fields[2]).second) << fields[2] << " stored twice";
  }
  EXPECT_EQ(values.size(), std::size_t(count));
  for (int i = 0; i < count; ++i) EXPECT_TRUE(values.count("r" + std::to_string(i))) << i;
}

TEST(KafkaProduceFetch, IdempotentConfluentProducerWritesEachRecordOnce) {
  // flush = "always" answers after the fsync, on the kernel's flusher thread,
  // so batches are still pending when the next ones arrive.
  KafkaTestBroker broker("[topics]\ndefault_partitions = 3\nflush = \"always\"\n");
  ASSERT_TRUE(broker.start());
  constexpr int kRecords = 20000;
  auto produced =
      run_python_client("confluent_produce.py",
                        {"--bootstrap", broker.bootstrap(), "--topic", "idempotent", "--count",
                         std::to_string(kRecords), "--acks", "all", "--idempotent"});
  ASSERT_EQ(produced.status, 0) << produced.err;
  EXPECT_EQ(lines_starting(produced.out, "delivered").size(), std::size_t(kRecords));
  EXPECT_TRUE(lines_starting(produced.out, "failed").empty()) << produced.out.substr(0, 2000);
  EXPECT_THAT(produced.out, HasSubstr("unflushed 0"));
  expect_each_value_once_at_contiguous_offsets(broker, "idempotent", kRecords);
}

TEST(KafkaProduceFetch, AcksZeroAndAcksAllBothDeliver) {
  KafkaTestBroker broker("[topics]\ndefault_partitions = 3\n");
  ASSERT_TRUE(broker.start());
  constexpr int kRecords = 5000;
  for (const std::string acks : {"0", "all"}) {
    SCOPED_TRACE("acks=" + acks);
    const std::string topic = "acks-" + acks;
    auto produced = run_python_client(
        "confluent_produce.py", {"--bootstrap", broker.bootstrap(), "--topic", topic, "--count",
                                 std::to_string(kRecords), "--acks", acks});
    ASSERT_EQ(produced.status, 0) << produced.err;
    EXPECT_EQ(lines_starting(produced.out, "delivered").size(), std::size_t(kRecords));
    EXPECT_THAT(produced.out, HasSubstr("unflushed 0"));

    auto consumed = run_python_client("confluent_consume.py",
                                      {"--bootstrap", broker.bootstrap(), "--topic", topic,
                                       "--partitions", "3", "--count", std::to_string(kRecords)});
    ASSERT_EQ(consumed.status, 0) << consumed.err;
    EXPECT_THAT(consumed.out, HasSubstr("done " + std::to_string(kRecords)));
    std::set<std::string> values;
    for (const auto& record : lines_starting(consumed.out, "record")) values.insert(record[5]);
    EXPECT_EQ(values.size(), std::size_t(kRecords));
  }
}

TEST(KafkaProduceFetch, LongPollingFetchWakesWhenARecordArrives) {
  KafkaTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto measured = run_python_client(
      "confluent_long_poll.py",
      {"--bootstrap", broker.bootstrap(), "--topic", "long-poll", "--max-wait-ms", "10000"}, {},
      std::chrono::seconds(60));
  ASSERT_EQ(measured.status, 0) << measured.err;
  // A broker that answered empty fetches at once would see thousands here.
  auto idle_fetches = lines_starting(measured.out, "idle_fetches");
  ASSERT_EQ(idle_fetches.size(), 1u) << measured.out;
  EXPECT_LE(std::stoi(idle_fetches[0][1]), 2);
  auto latency = lines_starting(measured.out, "latency_ms");
  ASSERT_EQ(latency.size(), 1u) << measured.out;
  // Against a 10 s wait: only a fetch woken by the append gets here in time.
  EXPECT_LT(std::stod(latency[0][1]), 1000.0);
  std::cout << "produce-to-consume with a 10 s long poll: " << latency[0][1] << " ms\n";
}

TEST(KafkaProduceFetch, ListOffsetsEarliestLatestAndByTimestamp) {
  KafkaTestBroker broker("[topics]\ndefault_partitions = 2\n");
  ASSERT_TRUE(broker.start());
  constexpr std::int64_t kFirst = 1'600'000'000'000;
  auto produced =
      run_python_client("confluent_produce.py",
                        {"--bootstrap", broker.bootstrap(), "--topic", "timed", "--count", "10",
                         "--partition", "0", "--first-timestamp", std::to_string(kFirst)});
  ASSERT_EQ(produced.status, 0) << produced.err;
  ASSERT_EQ(lines_starting(produced.out, "delivered").size(), 10u) << produced.out;

  auto consumed =
      run_python_client("confluent_consume.py", {"--bootstrap", broker.bootstrap(), "--topic",
                                                 "timed", "--partitions", "1", "--count", "10"});
  ASSERT_EQ(consumed.status, 0) << consumed.err;
  auto records = lines_starting(consumed.out, "record");
  ASSERT_EQ(records.size(), 10u) << consumed.out;
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i][2], std::to_string(i)) << "offset";
    EXPECT_EQ(std::stoll(records[i][3]), kFirst + std::int64_t(i) * 1000) << "timestamp";
  }

  auto stamp = [](std::int64_t ms) { return std::to_string(ms); };
  auto offsets = run_python_client(
      "confluent_offsets.py",
      {"--bootstrap", broker.bootstrap(), "--topic", "timed", "--timestamp", "-2", "--timestamp",
       "-1", "--timestamp", stamp(kFirst), "--timestamp", stamp(kFirst + 3500), "--timestamp",
       stamp(kFirst + 9000), "--timestamp", stamp(kFirst + 100'000)});
  ASSERT_EQ(offsets.status, 0) << offsets.err;
  EXPECT_THAT(
      split(offsets.out, '\n'),
      ElementsAre("watermarks 0 10", "for_time -2 0", "for_time -1 10",
                  "for_time " + stamp(kFirst) + " 0", "for_time " + stamp(kFirst + 3500) + " 4",
                  "for_time " + stamp(kFirst + 9000) + " 9",
                  "for_time " + stamp(kFirst + 100'000) + " -1"));
}

TEST(KafkaProduceFetch, RecordOverMaxMessageBytesIsRefusedAndTheBrokerKeepsServing) {
  KafkaTestBroker broker("[topics]\nmax_message_bytes = 4096\n");
  ASSERT_TRUE(broker.start());
  auto too_large =
      run_python_client("confluent_produce.py", {"--bootstrap", broker.bootstrap(), "--topic",
                                                 "small", "--count", "1", "--value-size", "10000"});
  ASSERT_EQ(too_large.status, 0) << too_large.err;
  EXPECT_THAT(too_large.out, HasSubstr("failed MSG_SIZE_TOO_LARGE r0"));

  auto fitting = run_python_client("confluent_produce.py", {"--bootstrap", broker.bootstrap(),
                                                            "--topic", "small", "--count", "5"});
  ASSERT_EQ(fitting.status, 0) << fitting.err;
  EXPECT_EQ(lines_starting(fitting.out, "delivered").size(), 5u) << fitting.out;
  expect_each_value_once_at_contiguous_offsets(broker, "small", 5);
}

TEST(KafkaProduceFetch, UnknownTopicWithoutAutoCreateIsRefused) {
  KafkaTestBroker broker("[topics]\nauto_create = false\n");
  ASSERT_TRUE(broker.start());
  auto raw = raw_requests(broker, "unknown-topic", "nowhere");
  ASSERT_EQ(raw.status, 0) << raw.err;
  EXPECT_THAT(split(raw.out, '\n'), ElementsAre("produce 3 -1", "fetch 3 -1"));

  // librdkafka fails records for a topic Metadata does not know once the
  // propagation wait is over.
  auto produced = run_python_client(
      "confluent_produce.py", {"--bootstrap", broker.bootstrap(), "--topic", "nowhere", "--count",
                               "1", "--config", "topic.metadata.propagation.max.ms=1000"});
  ASSERT_EQ(produced.status, 0) << produced.err;
  auto failed = lines_starting(produced.out, "failed");
  ASSERT_EQ(failed.size(), 1u) << produced.out;
  EXPECT_THAT(failed[0][1], HasSubstr("UNKNOWN_TOPIC"));
}

TEST(KafkaProduceFetch, CorruptOrTruncatedBatchGetsCorruptMessage) {
  KafkaTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto raw = raw_requests(broker, "corrupt", "fragile");
  ASSERT_EQ(raw.status, 0) << raw.err;
  EXPECT_THAT(split(raw.out, '\n'), ElementsAre("flipped_crc 2 -1", "truncated 2 -1", "intact 0 0",
                                                "two_batches 0 1", "good_then_flipped 2 -1"));
  auto consumed = kcat_consume_all(broker, "fragile", "%o %s\n");
  ASSERT_EQ(consumed.status, 0) << consumed.err;
  EXPECT_EQ(consumed.out, "0 intact\n1 first-of-two\n2 second-of-two\n");
}

TEST(KafkaProduceFetch, IdempotentRetriesGetTheOriginalOffsetsAndGapsAreRefused) {
  KafkaTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto raw = raw_requests(broker, "idempotence", "retried");
  ASSERT_EQ(raw.status, 0) << raw.err;
  EXPECT_THAT(split(raw.out, '\n'),
              ElementsAre("first 0 0", "retry_of_first 0 0", "second 0 3",
                          "late_retry_of_first 0 0", "gap 45 -1", "new_epoch_mid_sequence 45 -1",
                          "new_epoch 0 5", "stale_epoch 47 -1", "high_watermark 0 6"));
  auto consumed = kcat_consume_all(broker, "retried", "%o %s\n");
  ASSERT_EQ(consumed.status, 0) << consumed.err;
  EXPECT_EQ(consumed.out, "0 a0\n1 a1\n2 a2\n3 b3\n4 b4\n5 e0\n");
}

TEST(KafkaProduceFetch, RetryOfABatchStillWaitingForItsFsyncGetsTheSameOffset) {
  KafkaTestBroker broker("[topics]\nflush = \"always\"\n");
  ASSERT_TRUE(broker.start());
  auto raw = raw_requests(broker, "pipelined-retry", "pipelined");
  ASSERT_EQ(raw.status, 0) << raw.err;
  EXPECT_THAT(split(raw.out, '\n'),
              ElementsAre("original 0 0", "retry 0 0", "second_retry 0 0", "high_watermark 0 2"));
}

TEST(KafkaProduceFetch, ProducerIdsStayUniqueAcrossRestartsAndTransactionsAreRefused) {
  KafkaTestBroker broker;
  std::set<std::int64_t> ids;
  std::int64_t highest_before_restart = 0;
  for (int life = 0; life < 2; ++life) {
    ASSERT_TRUE(broker.start());
    auto raw = raw_requests(broker, "producer-ids", "unused");
    ASSERT_EQ(raw.status, 0) << raw.err;
    auto lines = split(raw.out, '\n');
    ASSERT_EQ(lines.size(), 3u) << raw.out;
    for (int i = 0; i < 2; ++i) {
      auto fields = split(lines[i], ' ');
      ASSERT_EQ(fields.size(), 4u) << lines[i];
      EXPECT_EQ(fields[1], "0") << lines[i];
      EXPECT_EQ(fields[3], "0") << "epoch: " << lines[i];
      const auto id = std::stoll(fields[2]);
      EXPECT_GT(id, highest_before_restart) << lines[i];
      EXPECT_TRUE(ids.insert(id).second) << "producer id " << id << " handed out twice";
    }
    EXPECT_EQ(lines[2], "transactional 53 -1 -1");
    highest_before_restart = *ids.rbegin();
    ASSERT_EQ(broker.stop(), 0);
  }
}

TEST(KafkaProduceFetch, RetriesThatStraddleACrashAreStillAnsweredAsDuplicates) {
  KafkaTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto before = raw_requests(broker, "before-restart", "straddled");
  ASSERT_EQ(before.status, 0) << before.err;
  ASSERT_THAT(split(before.out, '\n'), ElementsAre("first 0 0", "second 0 3"));
  broker.kill_hard();

  // The producer's state is read back from the log: its retries get their
  // original offsets, a gap is refused, and the next sequence goes on.
  ASSERT_TRUE(broker.start());
  auto after = raw_requests(broker, "after-restart", "straddled");
  ASSERT_EQ(after.status, 0) << after.err;
  EXPECT_THAT(split(after.out, '\n'), ElementsAre("retry_of_second 0 3", "retry_of_first 0 0",
                                                  "gap 45 -1", "next 0 4", "high_watermark 0 5"));
  auto consumed = kcat_consume_all(broker, "straddled", "%o %s\n");
  ASSERT_EQ(consumed.status, 0) << consumed.err;
  EXPECT_EQ(consumed.out, "0 r0\n1 r1\n2 r2\n3 r3\n4 r4\n");
}

TEST(KafkaProduceFetch, TransactionalBatchesAreRefused) {
  KafkaTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto raw = raw_requests(broker, "transactional", "transactions");
  ASSERT_EQ(raw.status, 0) << raw.err;
  EXPECT_THAT(split(raw.out, '\n'), ElementsAre("transactional 53 -1"));
  EXPECT_TRUE(
      wait_until([&] { return broker.process().log_contains("transactions are not supported"); }));
}

TEST(KafkaProduceFetch, FetchOutsideTheLogGetsPerPartitionErrors) {
  KafkaTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto raw = raw_requests(broker, "out-of-range", "bounded");
  ASSERT_EQ(raw.status, 0) << raw.err;
  EXPECT_THAT(split(raw.out, '\n'),
              ElementsAre("produce 0 0", "fetch_beyond_end 1 -1", "fetch_unknown_partition 3 -1"));
}

TEST(KafkaProduceFetch, LineSubscribersReadWhatKcatProduced) {
  const auto line_port = free_port();
  KafkaTestBroker broker(
      "[topics]\ndefault_partitions = 3\n[[transport]]\nplugin = \"line\"\n"
      "listen = \"127.0.0.1:" +
      std::to_string(line_port) + "\"\n");
  ASSERT_TRUE(broker.start());
  constexpr int kRecords = 300;
  std::string input;
  std::set<std::string> expected;
  for (int i = 0; i < kRecords; ++i) {
    expected.insert("bridged-" + std::to_string(i));
    input += "bridged-" + std::to_string(i) + "\n";
  }
  auto produced = kcat_produce(broker, {"-t", "bridge", "-z", "lz4"}, input);
  ASSERT_EQ(produced.status, 0) << produced.err;

  LineClient subscriber(line_port);
  ASSERT_TRUE(subscriber.connected());
  ASSERT_TRUE(subscriber.send_line("SUB bridge earliest"));
  ASSERT_EQ(subscriber.read_line(), "OK subscribed");
  std::set<std::string> received;
  while (received.size() < expected.size()) {
    auto line = subscriber.read_line();
    ASSERT_TRUE(line) << "got " << received.size() << " of " << kRecords;
    ASSERT_EQ(line->rfind("MSG bridge ", 0), 0u) << *line;
    EXPECT_TRUE(received.insert(line->substr(line->rfind(' ') + 1)).second) << *line;
  }
  EXPECT_EQ(received, expected);
}

}  // namespace
}  // namespace junction::testing
