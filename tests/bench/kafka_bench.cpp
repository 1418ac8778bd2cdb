// The Kafka transport under librdkafka, against librdkafka's own mock cluster
// as the client-side ceiling.
//
// Throughput: N 100-byte records to one partition (acks=1, linger.ms=5,
// 1 MB batches), timed to the last delivery report; then read back by an
// assign()-based consumer that joins no group, timed from assign to the last
// record.
// Latency: a paced producer (linger.ms=0) at a steady rate stamps each record
// with the steady clock; a consumer in another thread (fetch.wait.max.ms=100,
// fetch.min.bytes=1) records arrival minus stamp.
//
// The mock cluster is created in this process (rd_kafka_mock_cluster_new, the
// same thing test.mock.num.brokers=1 does) and both clients reach it through
// its loopback bootstrap address: two clients that each set
// test.mock.num.brokers would each get a cluster of their own, and the
// consumer would find nothing. The mock keeps only about 5 MiB per partition,
// so it cannot give back N records. Its consume rate is measured over what it
// keeps, read again and again by fresh consumers until N records have been
// read; every read (junctiond's single one over all N, each of the mock's)
// has the same shape: a new consumer, connected and warmed by a ListOffsets,
// timed from assign to the last record. The mock's reads are short, so their
// first fetch round trip weighs more: this understates the ceiling a little.
// The mock's Fetch also returns one batch per request and never wakes early,
// so it is no latency reference: latency is measured against junctiond only.
//
// Run: tests/kafka_bench [records] [--target=junctiond|mock|both]
//                        [--runs=K] [--latency-seconds=S] [--latency-rate=R]
// Throughput is measured K times (default 3) per target, the targets taking
// turns; the median counts. Figures and method: docs/performance.md.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench_arguments.hpp"
#include "latency_figures.hpp"
#include "rdkafka_client.hpp"
#include "support/junctiond_process.hpp"

namespace {

using junction::bench::KafkaHandle;
using Settings = junction::bench::KafkaSettings;
using junction::bench::percentiles;
using junction::bench::Percentiles;
using junction::bench::steady_nanoseconds;

using SteadyClock = std::chrono::steady_clock;
using junction::testing::JunctiondProcess;
using junction::testing::TempDir;

constexpr std::size_t kValueBytes = 100;
constexpr double kMegabyte = 1e6;
constexpr auto kClientTimeout = std::chrono::seconds(30);

struct Options {
  std::int64_t records = 2'000'000;
  bool junctiond = true;
  bool mock = true;
  double latency_seconds = 5;
  std::int64_t latency_rate = 10'000;
  int runs = 3;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr,
               "%s\nusage: kafka_bench [records] [--target=junctiond|mock|both] "
               "[--runs=K] [--latency-seconds=S] [--latency-rate=R]\n",
               message.c_str());
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options options;
  std::string target = "both";
  if (auto error =
          junction::bench::parse_arguments(argc, argv, options.records,
                                           {{"--target", &target},
                                            {"--runs", &options.runs},
                                            {"--latency-seconds", &options.latency_seconds},
                                            {"--latency-rate", &options.latency_rate}})) {
    usage_error(*error);
  }
  const auto targets = junction::bench::parse_targets(target, "mock");
  if (!targets) usage_error("unknown target " + target);
  options.junctiond = targets->junctiond;
  options.mock = targets->peer;
  if (options.records < 1) usage_error("records must be at least 1");
  if (options.runs < 1) usage_error("runs must be at least 1");
  if (options.latency_rate < 1) usage_error("latency rate must be at least 1");
  return options;
}

double seconds_between(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// Fills the value with a recognisable pattern and `stamp`, `sequence` in front.
void write_value(char* value, std::int64_t stamp, std::int64_t sequence) {
  std::memset(value, 'v', kValueBytes);
  std::memcpy(value, &stamp, sizeof stamp);
  std::memcpy(value + sizeof stamp, &sequence, sizeof sequence);
}

std::int64_t read_stamp(const rd_kafka_message_t& message) {
  std::int64_t stamp = 0;
  if (message.len >= sizeof stamp) std::memcpy(&stamp, message.payload, sizeof stamp);
  return stamp;
}

// ---- produce ---------------------------------------------------------------

// Delivery reports run in whichever thread polls the producer: here always
// the one that produces.
struct DeliveryCount {
  std::int64_t delivered = 0;
  std::int64_t failed = 0;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  // Report time minus the stamp in the value, when the values carry one.
  bool collect_ack_latencies = false;
  std::vector<std::int64_t> ack_latencies;
};

void count_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto& count = *static_cast<DeliveryCount*>(opaque);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++count.delivered;
    if (count.collect_ack_latencies) {
      count.ack_latencies.push_back(steady_nanoseconds() - read_stamp(*message));
    }
  } else {
    if (count.failed == 0) count.first_error = message->err;
    ++count.failed;
  }
}

void prepare_producer(rd_kafka_conf_t* conf) { rd_kafka_conf_set_dr_msg_cb(conf, count_delivery); }

// Produces one benchmark record to partition 0.
void produce_one(rd_kafka_t* producer, const std::string& topic, const char* value) {
  junction::bench::produce_value(producer, topic, 0, value, kValueBytes);
}

// Waits for every delivery report; throws if one failed or time ran out.
void flush_all(rd_kafka_t* producer, const DeliveryCount& count, std::int64_t expected) {
  const auto error =
      rd_kafka_flush(producer, static_cast<int>(std::chrono::milliseconds(kClientTimeout).count()));
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error(std::string("flush: ") + rd_kafka_err2str(error));
  }
  if (count.failed > 0 || count.delivered != expected) {
    throw std::runtime_error(std::to_string(count.failed) + " of " + std::to_string(expected) +
                             " records failed: " + rd_kafka_err2str(count.first_error));
  }
}

struct Rate {
  std::int64_t records = 0;
  double seconds = 0;
  double per_second() const { return seconds > 0 ? double(records) / seconds : 0; }
  double megabytes_per_second() const { return per_second() * kValueBytes / kMegabyte; }
};

Rate produce_throughput(const std::string& bootstrap, const std::string& topic,
                        std::int64_t records) {
  DeliveryCount count;
  auto producer = junction::bench::make_kafka_client(
      RD_KAFKA_PRODUCER, junction::bench::throughput_producer_settings(bootstrap), prepare_producer,
      &count);
  // One record first, so the timed run starts connected, with metadata.
  char value[kValueBytes];
  write_value(value, 0, -1);
  produce_one(producer.get(), topic, value);
  flush_all(producer.get(), count, 1);
  count.delivered = 0;

  const auto start = SteadyClock::now();
  for (std::int64_t i = 0; i < records; ++i) {
    write_value(value, 0, i);
    produce_one(producer.get(), topic, value);
    if (i % 10'000 == 0) rd_kafka_poll(producer.get(), 0);
  }
  flush_all(producer.get(), count, records);
  return {records, seconds_between(start, SteadyClock::now())};
}

// ---- consume ---------------------------------------------------------------

Settings throughput_consumer_settings(const std::string& bootstrap) {
  return {{"bootstrap.servers", bootstrap},
          // librdkafka's assign() needs a group id; without subscribe() it
          // joins nothing, and with auto commit off it commits nothing.
          {"group.id", "kafka-bench"},
          {"enable.auto.commit", "false"},
          {"enable.auto.offset.store", "false"},
          {"enable.partition.eof", "false"},
          {"fetch.min.bytes", "1"},
          {"fetch.wait.max.ms", "100"},
          {"max.partition.fetch.bytes", "4194304"},
          {"fetch.max.bytes", "67108864"},
          {"receive.message.max.bytes", "100000000"},
          {"queued.min.messages", "1000000"},
          {"queued.max.messages.kbytes", "1048576"}};
}

struct Watermarks {
  std::int64_t low = 0;
  std::int64_t high = 0;
};

Watermarks query_watermarks(rd_kafka_t* client, const std::string& topic) {
  Watermarks marks;
  const auto error = rd_kafka_query_watermark_offsets(
      client, topic.c_str(), 0, &marks.low, &marks.high,
      static_cast<int>(std::chrono::milliseconds(kClientTimeout).count()));
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error(std::string("ListOffsets: ") + rd_kafka_err2str(error));
  }
  return marks;
}

void assign_from(rd_kafka_t* consumer, const std::string& topic, std::int64_t offset) {
  PartitionList partitions(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(partitions.get(), topic.c_str(), 0)->offset = offset;
  const auto error = rd_kafka_assign(consumer, partitions.get());
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error(std::string("assign: ") + rd_kafka_err2str(error));
  }
}

// A fresh consumer reads [from, to) of partition 0; timed from assign to the
// last record, after a ListOffsets has connected it.
double timed_read(const std::string& bootstrap, const std::string& topic, std::int64_t from,
                  std::int64_t to) {
  auto consumer = junction::bench::make_kafka_client(RD_KAFKA_CONSUMER,
                                                     throughput_consumer_settings(bootstrap));
  query_watermarks(consumer.get(), topic);
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(consumer.get());
  std::vector<rd_kafka_message_t*> messages(10'000);
  std::int64_t next = from;
  std::optional<std::string> failure;

  const auto start = SteadyClock::now();
  assign_from(consumer.get(), topic, from);
  const auto give_up = start + kClientTimeout;
  while (next < to && !failure && SteadyClock::now() < give_up) {
    // The call waits until it has as many as asked for, or for the timeout.
    const auto wanted = std::min<std::int64_t>(to - next, std::int64_t(messages.size()));
    const auto got = rd_kafka_consume_batch_queue(queue, 100, messages.data(), std::size_t(wanted));
    for (ssize_t i = 0; i < got; ++i) {
      rd_kafka_message_t* message = messages[i];
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (!failure) failure = rd_kafka_message_errstr(message);
      } else if (message->offset != next) {
        if (!failure) {
          failure = "expected offset " + std::to_string(next) + ", got " +
                    std::to_string(message->offset);
        }
      } else {
        ++next;
      }
      rd_kafka_message_destroy(message);
    }
  }
  const auto end = SteadyClock::now();
  rd_kafka_queue_destroy(queue);
  rd_kafka_consumer_close(consumer.get());
  if (failure) throw std::runtime_error("consume: " + *failure);
  if (next < to) {
    throw std::runtime_error("consume: timed out at offset " + std::to_string(next) + " of " +
                             std::to_string(to));
  }
  return seconds_between(start, end);
}

struct ConsumeRate {
  Rate rate;
  std::int64_t readable = 0;  // records the broker still held
  int reads = 0;
};

// Reads everything the partition holds, again and again until `records`
// records have been read (once, when it holds them all).
ConsumeRate consume_throughput(const std::string& bootstrap, const std::string& topic,
                               std::int64_t records) {
  Watermarks marks;
  {
    auto probe = junction::bench::make_kafka_client(RD_KAFKA_CONSUMER,
                                                    throughput_consumer_settings(bootstrap));
    marks = query_watermarks(probe.get(), topic);
  }
  ConsumeRate result;
  result.readable = marks.high - marks.low;
  if (result.readable <= 0) throw std::runtime_error("the partition holds nothing");
  while (result.rate.records < records) {
    result.rate.seconds += timed_read(bootstrap, topic, marks.low, marks.high);
    result.rate.records += result.readable;
    ++result.reads;
  }
  return result;
}

// ---- latency ---------------------------------------------------------------

struct Latency {
  std::int64_t sent = 0;
  std::int64_t received = 0;
  double achieved_rate = 0;
  Percentiles end_to_end;
  // From the send to the producer's delivery report: tells a slow produce
  // path from a slow fetch path.
  Percentiles acknowledged;
};

Latency measure_latency(const std::string& bootstrap, const std::string& topic, double seconds,
                        std::int64_t rate) {
  DeliveryCount count;
  auto producer = junction::bench::make_kafka_client(RD_KAFKA_PRODUCER,
                                                     {{"bootstrap.servers", bootstrap},
                                                      {"acks", "1"},
                                                      {"linger.ms", "0"},
                                                      {"message.timeout.ms", "30000"}},
                                                     prepare_producer, &count);
  auto consumer =
      junction::bench::make_kafka_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                             {"group.id", "kafka-bench"},
                                                             {"enable.auto.commit", "false"},
                                                             {"enable.auto.offset.store", "false"},
                                                             {"enable.partition.eof", "false"},
                                                             {"fetch.wait.max.ms", "100"},
                                                             {"fetch.min.bytes", "1"}});
  rd_kafka_poll_set_consumer(consumer.get());

  // A first record, seen by the consumer, proves both sides connected; the
  // paced run starts after it.
  char value[kValueBytes];
  write_value(value, 0, -1);
  produce_one(producer.get(), topic, value);
  flush_all(producer.get(), count, 1);
  assign_from(consumer.get(), topic, 0);

  const std::int64_t to_send = std::max<std::int64_t>(1, std::int64_t(seconds * double(rate)));
  std::vector<std::int64_t> latencies;
  latencies.reserve(std::size_t(to_send));
  std::atomic<bool> warmed{false};
  std::atomic<bool> stop{false};
  std::string consumer_failure;
  std::thread receiver([&] {
    while (!stop.load()) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 100);
      if (!message) continue;
      const auto now = steady_nanoseconds();
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (consumer_failure.empty()) consumer_failure = rd_kafka_message_errstr(message);
      } else if (message->offset == 0) {
        warmed = true;
      } else {
        latencies.push_back(now - read_stamp(*message));
        if (std::int64_t(latencies.size()) == to_send) stop = true;
      }
      rd_kafka_message_destroy(message);
    }
  });
  auto join_receiver = [&] {
    stop = true;
    receiver.join();
  };
  const bool connected = junction::testing::wait_until([&] { return warmed.load(); });
  if (!connected) {
    join_receiver();
    throw std::runtime_error("latency: the consumer never saw the first record" +
                             (consumer_failure.empty() ? "" : ": " + consumer_failure));
  }

  count.delivered = 0;
  count.collect_ack_latencies = true;
  count.ack_latencies.reserve(std::size_t(to_send));
  const auto interval = std::chrono::nanoseconds(1'000'000'000 / rate);
  const auto start = SteadyClock::now();
  for (std::int64_t i = 0; i < to_send; ++i) {
    std::this_thread::sleep_until(start + i * interval);
    write_value(value, steady_nanoseconds(), i);
    produce_one(producer.get(), topic, value);
    rd_kafka_poll(producer.get(), 0);
  }
  const auto sent_for = seconds_between(start, SteadyClock::now());
  flush_all(producer.get(), count, to_send);
  junction::testing::wait_until([&] { return stop.load(); }, kClientTimeout);
  join_receiver();
  rd_kafka_consumer_close(consumer.get());
  if (!consumer_failure.empty()) throw std::runtime_error("latency consume: " + consumer_failure);

  Latency result;
  result.sent = to_send;
  result.received = std::int64_t(latencies.size());
  result.achieved_rate = double(to_send) / sent_for;
  result.end_to_end = percentiles(std::move(latencies));
  result.acknowledged = percentiles(std::move(count.ack_latencies));
  return result;
}

// ---- targets ---------------------------------------------------------------

std::string throughput_topic(int run) { return "bench-throughput-" + std::to_string(run); }
const std::string kLatencyTopic = "bench-latency";

// junctiond from the build tree on a free loopback port, data in a temp dir.
class Junctiond {
 public:
  Junctiond()
      : bootstrap_("127.0.0.1:" + std::to_string(junction::testing::free_port())),
        process_(dir_.path(), "[broker]\ndata_dir = \"" + (dir_.path() / "data").string() +
                                  "\"\n[topics]\ndefault_partitions = 1\n"
                                  "[[transport]]\nplugin = \"kafka\"\nlisten = \"" +
                                  bootstrap_ + "\"\n") {
    if (!process_.start()) throw std::runtime_error("junctiond did not start");
  }
  const std::string& bootstrap() const { return bootstrap_; }
  std::string log() const { return process_.log(); }

 private:
  TempDir dir_;
  std::string bootstrap_;
  JunctiondProcess process_;
};

// librdkafka's mock cluster with one broker and the benchmark's topics.
class MockCluster {
 public:
  explicit MockCluster(int runs)
      : owner_(junction::bench::make_kafka_client(RD_KAFKA_PRODUCER, {{"log_level", "4"}})) {
    cluster_ = rd_kafka_mock_cluster_new(owner_.get(), 1);
    if (!cluster_) throw std::runtime_error("cannot create librdkafka's mock cluster");
    rd_kafka_mock_topic_create(cluster_, kLatencyTopic.c_str(), 1, 1);
    for (int run = 0; run < runs; ++run) {
      rd_kafka_mock_topic_create(cluster_, throughput_topic(run).c_str(), 1, 1);
    }
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  }
  ~MockCluster() { rd_kafka_mock_cluster_destroy(cluster_); }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;
  const std::string& bootstrap() const { return bootstrap_; }

 private:
  KafkaHandle owner_;  // the cluster lives as long as the handle it was made with
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

struct Target {
  const char* name;
  std::string bootstrap;
  std::vector<Rate> produced;
  std::vector<Rate> consumed;
};

void print_rate(const char* target, const char* phase, const Rate& rate, const char* note = "") {
  std::printf("%-9s %-7s %10.0f records/s %7.1f MB/s  (%lld records in %.3f s%s)\n", target, phase,
              rate.per_second(), rate.megabytes_per_second(), static_cast<long long>(rate.records),
              rate.seconds, note);
}

void print_percentiles(const char* target, const char* what, const Percentiles& figures) {
  std::printf("%-9s %-10s p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms\n", target, what, figures.p50_ms,
              figures.p99_ms, figures.max_ms);
}

// The run with the median rate.
Rate median(std::vector<Rate> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const Rate& a, const Rate& b) { return a.per_second() < b.per_second(); });
  return runs[runs.size() / 2];
}

void measure_throughput(Target& target, int run, std::int64_t records) {
  const auto topic = throughput_topic(run);
  target.produced.push_back(produce_throughput(target.bootstrap, topic, records));
  print_rate(target.name, "produce", target.produced.back());
  const auto consume = consume_throughput(target.bootstrap, topic, records);
  target.consumed.push_back(consume.rate);
  print_rate(target.name, "consume", consume.rate);
  if (consume.reads > 1) {
    std::printf(
        "%-9s         (it kept only the last %lld of %lld records: %d reads of those, "
        "each by a fresh consumer)\n",
        target.name, static_cast<long long>(consume.readable), static_cast<long long>(records + 1),
        consume.reads);
  }
  std::fflush(stdout);
}

void print_latency(const char* target, const Latency& latency) {
  std::printf("%-9s latency: %lld of %lld records received, sent at %.0f records/s\n", target,
              static_cast<long long>(latency.received), static_cast<long long>(latency.sent),
              latency.achieved_rate);
  print_percentiles(target, "end-to-end", latency.end_to_end);
  print_percentiles(target, "acked", latency.acknowledged);
}

void print_ratio(const char* phase, const Rate& junctiond, const Rate& mock) {
  std::printf("junctiond/mock %-7s %5.1f %%  (goal >= 70 %%)\n", phase,
              mock.per_second() > 0 ? 100.0 * junctiond.per_second() / mock.per_second() : 0.0);
}

// The targets take turns, run after run, so that whatever else the shared
// machine is doing falls on both alike.
int run_benchmark(const Options& options, Junctiond* junctiond, MockCluster* mock) {
  std::vector<Target> targets;
  if (junctiond) targets.push_back({"junctiond", junctiond->bootstrap(), {}, {}});
  if (mock) targets.push_back({"mock", mock->bootstrap(), {}, {}});
  for (int run = 0; run < options.runs; ++run) {
    for (auto& target : targets) measure_throughput(target, run, options.records);
  }
  if (options.runs > 1) {
    std::printf("median of %d runs:\n", options.runs);
    for (const auto& target : targets) {
      print_rate(target.name, "produce", median(target.produced));
      print_rate(target.name, "consume", median(target.consumed));
    }
  }
  if (junctiond && mock) {
    print_ratio("produce", median(targets[0].produced), median(targets[1].produced));
    print_ratio("consume", median(targets[0].consumed), median(targets[1].consumed));
  }
  if (junctiond && options.latency_seconds > 0) {
    const auto latency = measure_latency(junctiond->bootstrap(), kLatencyTopic,
                                         options.latency_seconds, options.latency_rate);
    print_latency("junctiond", latency);
    std::printf("junctiond end-to-end p99 %.3f ms  (goal < 5 ms)\n", latency.end_to_end.p99_ms);
  }
  if (mock && options.latency_seconds > 0) {
    std::printf(
        "mock      latency not measured: its Fetch returns one batch per partition and "
        "waits out fetch.wait.max.ms when it has none, so at linger.ms=0 it falls ever "
        "further behind\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse_options(argc, argv);
  std::printf(
      "kafka_bench: %lld records of %zu bytes to one partition, %d runs; latency %.1f s "
      "at %lld records/s\n",
      static_cast<long long>(options.records), kValueBytes, options.runs, options.latency_seconds,
      static_cast<long long>(options.latency_rate));
  std::fflush(stdout);
  std::optional<Junctiond> junctiond;
  try {
    std::optional<MockCluster> mock;
    if (options.junctiond) junctiond.emplace();
    if (options.mock) mock.emplace(options.runs);
    return run_benchmark(options, junctiond ? &*junctiond : nullptr, mock ? &*mock : nullptr);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "kafka_bench: %s\n", error.what());
    if (junctiond) std::fprintf(stderr, "junctiond's log:\n%s\n", junctiond->log().c_str());
    return 1;
  }
}
