// The ZooKeeper-coordinated cluster against one broker, both started here:
// librdkafka's produce throughput to a 6-partition topic on the 3-broker
// cluster and on a single junctiond in the same run, then how long a leader
// change takes to reach the metadata Kafka clients read (a broker stops
// cleanly and starts again, 20 changes in all).
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_arguments.hpp"
#include "integration/cluster/test_cluster.hpp"
#include "rdkafka_client.hpp"
#include "support/zookeeper_server.hpp"

namespace {

using SteadyClock = std::chrono::steady_clock;
using junction::testing::ClusterMetadata;
using junction::testing::JunctiondProcess;
using junction::testing::TempDir;
using junction::testing::TestCluster;
using junction::testing::ZooKeeperServer;

constexpr std::size_t kValueBytes = 100;
constexpr int kPartitions = 6;
const std::string kTopic = "bench-cluster";

struct Options {
  std::int64_t records = 1'000'000;
  int runs = 3;
  int leader_changes = 20;
};

Options parse_options(int argc, char** argv) {
  Options options;
  if (auto error = junction::bench::parse_arguments(
          argc, argv, options.records,
          {{"--runs", &options.runs}, {"--leader-changes", &options.leader_changes}})) {
    std::fprintf(stderr,
                 "cluster_bench: %s\nusage: cluster_bench [records] [--runs=K] "
                 "[--leader-changes=N]\n",
                 error->c_str());
    std::exit(2);
  }
  return options;
}

struct Delivered {
  std::int64_t ok = 0;
  std::int64_t failed = 0;
};

void count_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto& delivered = *static_cast<Delivered*>(opaque);
  (message->err ? delivered.failed : delivered.ok)++;
}

junction::bench::KafkaHandle make_producer(const std::string& bootstrap, Delivered& delivered) {
  // No key, so librdkafka spreads batches over the partitions and so over
  // the leaders.
  return junction::bench::make_kafka_client(
      RD_KAFKA_PRODUCER, junction::bench::throughput_producer_settings(bootstrap),
      [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_dr_msg_cb(conf, count_delivery); }, &delivered);
}

void produce(rd_kafka_t* producer, const char* value) {
  junction::bench::produce_value(producer, kTopic, RD_KAFKA_PARTITION_UA, value, kValueBytes);
}

void flush(rd_kafka_t* producer, const Delivered& delivered, std::int64_t expected) {
  rd_kafka_flush(producer, 60'000);
  if (delivered.ok != expected) {
    throw std::runtime_error(std::to_string(delivered.failed) + " of " + std::to_string(expected) +
                             " records failed");
  }
}

double produce_rate(const std::string& bootstrap, std::int64_t records) {
  Delivered delivered;
  auto producer = make_producer(bootstrap, delivered);
  char value[kValueBytes];
  std::memset(value, 'v', sizeof value);
  // Warm up: metadata and a connection to every leader before the clock runs.
  for (int i = 0; i < kPartitions * 10; ++i) produce(producer.get(), value);
  flush(producer.get(), delivered, kPartitions * 10);
  delivered.ok = 0;

  const auto start = SteadyClock::now();
  for (std::int64_t i = 0; i < records; ++i) {
    produce(producer.get(), value);
    if (i % 10'000 == 0) rd_kafka_poll(producer.get(), 0);
  }
  flush(producer.get(), delivered, records);
  return double(records) / std::chrono::duration<double>(SteadyClock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// One junctiond with the kafka transport, for the single-broker figure.
class SingleBroker {
 public:
  SingleBroker()
      : bootstrap_("127.0.0.1:" + std::to_string(junction::testing::free_port())),
        process_(dir_.path(), "[broker]\ndata_dir = \"" + (dir_.path() / "data").string() +
                                  "\"\n[[transport]]\nplugin = \"kafka\"\nlisten = \"" +
                                  bootstrap_ + "\"\n") {
    if (!process_.start()) throw std::runtime_error("the single junctiond did not start");
  }
  const std::string& bootstrap() const { return bootstrap_; }

 private:
  TempDir dir_;
  std::string bootstrap_;
  JunctiondProcess process_;
};

// Asks the cluster (librdkafka's metadata request, to whichever broker it
// picks) until `partition`'s leader is `leader`; returns the milliseconds
// since `since`.
double wait_for_leader(rd_kafka_t* client, int partition, int leader,
                       SteadyClock::time_point since) {
  const auto deadline = since + std::chrono::seconds(60);
  rd_kafka_topic_t* topic = rd_kafka_topic_new(client, kTopic.c_str(), nullptr);
  while (SteadyClock::now() < deadline) {
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(client, 0, topic, &metadata, 1000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      continue;
    }
    bool reached = false;
    for (int t = 0; t < metadata->topic_cnt; ++t)
      for (int p = 0; p < metadata->topics[t].partition_cnt; ++p) {
        const auto& seen = metadata->topics[t].partitions[p];
        reached |= seen.id == partition && seen.leader == leader;
      }
    rd_kafka_metadata_destroy(metadata);
    if (reached) {
      rd_kafka_topic_destroy(topic);
      return std::chrono::duration<double, std::milli>(SteadyClock::now() - since).count();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  rd_kafka_topic_destroy(topic);
  throw std::runtime_error("partition " + std::to_string(partition) + " never got leader " +
                           std::to_string(leader));
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse_options(argc, argv);
  try {
    ZooKeeperServer zookeeper;
    if (!zookeeper.ready()) throw std::runtime_error("ZooKeeper did not start");
    TestCluster cluster(zookeeper.connect_string(), "/junction-bench", 3);
    if (!cluster.start_all()) throw std::runtime_error("the cluster did not start");
    SingleBroker single;
    for (const auto& bootstrap : {cluster.broker(1).bootstrap(), single.bootstrap()}) {
      const auto created = junction::testing::create_topic(bootstrap, kTopic, kPartitions);
      if (created != "created") throw std::runtime_error("create topic: " + created);
    }
    std::printf("cluster_bench: %lld records of %zu bytes to %d partitions, %d runs each\n",
                static_cast<long long>(options.records), kValueBytes, kPartitions, options.runs);
    std::vector<double> clustered, alone;
    for (int run = 0; run < options.runs; ++run) {
      clustered.push_back(produce_rate(cluster.bootstrap_all(), options.records));
      alone.push_back(produce_rate(single.bootstrap(), options.records));
      std::printf("run %d: 3 brokers %10.0f records/s   1 broker %10.0f records/s\n", run + 1,
                  clustered.back(), alone.back());
      std::fflush(stdout);
    }
    std::printf("median: 3 brokers %10.0f records/s   1 broker %10.0f records/s   ratio %.2f\n",
                median(clustered), median(alone), median(clustered) / median(alone));

    // Leader changes: broker 3 stops cleanly (its session closes at once) and
    // starts again; the clock runs from the signal, or the launch, until a
    // broker answers Metadata with the new leader.
    auto metadata = junction::testing::read_metadata(cluster.broker(1).bootstrap());
    const auto led = metadata.partitions_led_by(kTopic, 3);
    if (led.empty()) throw std::runtime_error("broker 3 leads no partition of " + kTopic);
    Delivered unused;
    auto client =
        make_producer(cluster.broker(1).bootstrap() + "," + cluster.broker(2).bootstrap(), unused);
    std::vector<double> propagation;
    for (int change = 0; change < options.leader_changes; change += 2) {
      auto since = SteadyClock::now();
      cluster.broker(3).process->stop();
      propagation.push_back(wait_for_leader(client.get(), led.front(), -1, since));
      since = SteadyClock::now();
      if (!cluster.broker(3).process->start()) throw std::runtime_error("broker 3 did not start");
      propagation.push_back(wait_for_leader(client.get(), led.front(), 3, since));
    }
    std::sort(propagation.begin(), propagation.end());
    std::printf("leader change to metadata (%zu changes): median %.1f ms  max %.1f ms\n",
                propagation.size(), median(propagation), propagation.back());
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cluster_bench: %s\n", error.what());
    return 1;
  }
}
