// The ZeroMQ transport under cppzmq, against a raw ZeroMQ pair in the same run.
//
// junctiond   a PUSH sends N produce frames [J1, PUB, topic, "", value] to the
//             broker's PULL endpoint; the broker appends each record to the
//             durable log and publishes it on its XPUB as [topic, partition,
//             offset, timestamp, key, value]; a SUB subscribed to the topic
//             counts them. Timed from the first send to the N-th record
//             arriving at the SUB.
// raw         the ceiling for the same messages: the same PUSH sending the
//             same N five-frame produce messages straight to a PULL, no
//             broker, timed from the first send to the N-th one arriving.
// raw-1frame  the ceiling of ZeroMQ itself: N single 100-byte frames, PUSH
//             straight to PULL. ZeroMQ pays per frame, so this is several
//             times the five-frame rate.
// Values are 100 bytes; everything runs over TCP on loopback.
//
// Before each junctiond run the SUB subscribes, then a warm-up record is
// produced through the ROUTER (a DEALER waiting for [J1, ACK, ...]) until the
// SUB sees one: from then on its subscription is in the broker. Records the
// SUB did not get (its queue in the broker over publish_hwm drops) are
// reported; the SUB waits for them until nothing arrives for a while.
//
// Run: tests/zmq_bench [records] [--target=junctiond|raw|both] [--runs=K]
// (raw: both raw pairs; both: junctiond and both raw pairs)
// The targets take turns K times (default 3); the median run counts. Figures
// and method: docs/performance.md.
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_arguments.hpp"
#include "support/junctiond_process.hpp"

namespace {

using SteadyClock = std::chrono::steady_clock;
using junction::testing::JunctiondProcess;
using junction::testing::TempDir;

constexpr std::size_t kValueBytes = 100;
// The SUB gives up on missing records after this long without one arriving.
constexpr auto kQuietTimeout = std::chrono::seconds(5);
constexpr auto kWarmUpTimeout = std::chrono::seconds(20);
constexpr int kAckTimeoutMs = 5'000;
constexpr int kWarmUpProbeMs = 200;
// Enough for every record of a run to wait in the broker for the SUB.
constexpr std::int64_t kPublishHighWaterMark = 10'000'000;

struct Options {
  std::int64_t records = 1'000'000;
  bool junctiond = true;
  bool raw = true;
  int runs = 3;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "%s\nusage: zmq_bench [records] [--target=junctiond|raw|both] [--runs=K]\n",
               message.c_str());
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options options;
  std::string target = "both";
  if (auto error = junction::bench::parse_arguments(
          argc, argv, options.records, {{"--target", &target}, {"--runs", &options.runs}})) {
    usage_error(*error);
  }
  const auto targets = junction::bench::parse_targets(target, "raw");
  if (!targets) usage_error("unknown target " + target);
  options.junctiond = targets->junctiond;
  options.raw = targets->peer;
  if (options.records < 1) usage_error("records must be at least 1");
  if (options.runs < 1) usage_error("runs must be at least 1");
  return options;
}

std::string tcp_endpoint(std::uint16_t port) { return "tcp://127.0.0.1:" + std::to_string(port); }

// Every port distinct: free_port() may hand out the same one twice while
// nothing is bound to it yet.
std::vector<std::uint16_t> distinct_free_ports(std::size_t count) {
  std::vector<std::uint16_t> ports;
  while (ports.size() < count) {
    const auto port = junction::testing::free_port();
    if (std::find(ports.begin(), ports.end(), port) == ports.end()) ports.push_back(port);
  }
  return ports;
}

enum class Shape { produce_frames, single_frame };

// A PUSH that never drops (a full queue blocks it) sending `records` produce
// messages for `topic`, or bare values.
void push_records(zmq::socket_t& push, Shape shape, const std::string& topic,
                  std::int64_t records) {
  const std::string value(kValueBytes, 'v');
  if (shape == Shape::single_frame) {
    for (std::int64_t i = 0; i < records; ++i) push.send(zmq::buffer(value), zmq::send_flags::none);
    return;
  }
  for (std::int64_t i = 0; i < records; ++i) {
    push.send(zmq::buffer("J1", 2), zmq::send_flags::sndmore);
    push.send(zmq::buffer("PUB", 3), zmq::send_flags::sndmore);
    push.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    push.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::sndmore);
    push.send(zmq::buffer(value), zmq::send_flags::none);
  }
}

// Counts, on its own thread, the multipart messages whose `value_frame` is
// kValueBytes long (warm-up records are not), until `expected` have arrived
// or none has for kQuietTimeout.
class Counter {
 public:
  Counter(zmq::socket_t& socket, std::size_t value_frame, std::int64_t expected)
      : socket_(socket), value_frame_(value_frame), expected_(expected) {}
  ~Counter() {
    if (thread_.joinable()) thread_.join();
  }
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void start() {
    socket_.set(zmq::sockopt::rcvtimeo, int(kQuietTimeout.count() * 1000));
    thread_ = std::thread([this] { count(); });
  }
  void join() { thread_.join(); }
  std::int64_t received() const { return received_; }
  SteadyClock::time_point last_arrival() const { return last_arrival_; }
  const std::string& failure() const { return failure_; }

 private:
  void count() {
    zmq::message_t frame;
    try {
      while (received_ < expected_) {
        std::size_t index = 0;
        bool counted = false;
        do {
          if (!socket_.recv(frame, zmq::recv_flags::none)) return;
          if (index++ == value_frame_ && frame.size() == kValueBytes) counted = true;
        } while (frame.more());
        if (counted) {
          ++received_;
          last_arrival_ = SteadyClock::now();
        }
      }
    } catch (const zmq::error_t& error) {
      failure_ = error.what();
    }
  }

  zmq::socket_t& socket_;
  const std::size_t value_frame_;
  const std::int64_t expected_;
  std::thread thread_;
  std::atomic<std::int64_t> received_{0};
  SteadyClock::time_point last_arrival_{};
  std::string failure_;
};

struct Run {
  std::int64_t sent = 0;
  std::int64_t received = 0;
  double seconds = 0;
  double per_second() const { return seconds > 0 ? double(received) / seconds : 0; }
  std::int64_t dropped() const { return sent - received; }
};

// Pushes `records` while `counter` counts them; the rate is what arrived over
// the time from the first send to the last arrival.
Run measure(zmq::socket_t& push, Counter& counter, Shape shape, const std::string& topic,
            std::int64_t records) {
  counter.start();
  const auto started = SteadyClock::now();
  push_records(push, shape, topic, records);
  counter.join();
  if (!counter.failure().empty()) throw std::runtime_error(counter.failure());
  Run run;
  run.sent = records;
  run.received = counter.received();
  if (run.received > 0) {
    run.seconds = std::chrono::duration<double>(counter.last_arrival() - started).count();
  }
  return run;
}

class Target {
 public:
  virtual ~Target() = default;
  virtual const char* name() const = 0;
  virtual Run run_once(int run, std::int64_t records) = 0;
  virtual std::string log() const { return {}; }
};

// PUSH -> PULL in this process over loopback TCP, no broker.
class RawPair : public Target {
 public:
  explicit RawPair(Shape shape) : shape_(shape) {}
  const char* name() const override {
    return shape_ == Shape::produce_frames ? "raw" : "raw-1frame";
  }
  Run run_once(int, std::int64_t records) override {
    const auto port = junction::testing::free_port();
    zmq::socket_t pull(context_, zmq::socket_type::pull);
    pull.set(zmq::sockopt::rcvhwm, 0);
    pull.set(zmq::sockopt::linger, 0);
    pull.bind(tcp_endpoint(port));
    zmq::socket_t push(context_, zmq::socket_type::push);
    push.set(zmq::sockopt::sndhwm, 0);
    push.set(zmq::sockopt::linger, 0);
    push.connect(tcp_endpoint(port));
    Counter counter(pull, shape_ == Shape::produce_frames ? 4 : 0, records);
    return measure(push, counter, shape_, "raw", records);
  }

 private:
  const Shape shape_;
  zmq::context_t context_;
};

// junctiond from the build tree with the zeromq transport on free loopback
// ports, data in a temp dir, one partition per topic.
class Junctiond : public Target {
 public:
  Junctiond()
      : ports_(distinct_free_ports(3)),
        process_(dir_.path(),
                 "[broker]\ndata_dir = \"" + (dir_.path() / "data").string() +
                     "\"\n[topics]\ndefault_partitions = 1\n"
                     "[[transport]]\nplugin = \"zeromq\"\nlisten = \"" +
                     tcp_endpoint(ports_[0]) + "\"\npublish = \"" + tcp_endpoint(ports_[1]) +
                     "\"\npull = \"" + tcp_endpoint(ports_[2]) +
                     "\"\npublish_hwm = " + std::to_string(kPublishHighWaterMark) + "\n") {
    if (!process_.start()) throw std::runtime_error("junctiond did not start:\n" + process_.log());
    std::printf("junctiond: pid %d, zeromq router %u, xpub %u, pull %u\n", int(process_.pid()),
                ports_[0], ports_[1], ports_[2]);
    std::fflush(stdout);
  }

  const char* name() const override { return "junctiond"; }
  std::string log() const override { return process_.log(); }

  Run run_once(int run, std::int64_t records) override {
    char topic[32];
    std::snprintf(topic, sizeof topic, "zmq-bench-%03d", run);
    zmq::socket_t sub(context_, zmq::socket_type::sub);
    sub.set(zmq::sockopt::rcvhwm, 0);
    sub.set(zmq::sockopt::linger, 0);
    sub.set(zmq::sockopt::subscribe, topic);
    sub.connect(tcp_endpoint(ports_[1]));
    wait_for_subscription(sub, topic);
    zmq::socket_t push(context_, zmq::socket_type::push);
    push.set(zmq::sockopt::sndhwm, 0);
    push.set(zmq::sockopt::linger, 0);
    push.connect(tcp_endpoint(ports_[2]));
    Counter counter(sub, 5, records);
    return measure(push, counter, Shape::produce_frames, topic, records);
  }

 private:
  // Produces warm-up records with acks until the SUB receives one.
  void wait_for_subscription(zmq::socket_t& sub, const std::string& topic) {
    zmq::socket_t dealer(context_, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 0);
    dealer.set(zmq::sockopt::rcvtimeo, kAckTimeoutMs);
    dealer.connect(tcp_endpoint(ports_[0]));
    sub.set(zmq::sockopt::rcvtimeo, kWarmUpProbeMs);
    const auto deadline = SteadyClock::now() + kWarmUpTimeout;
    while (SteadyClock::now() < deadline) {
      produce_with_ack(dealer, topic, "warmup");
      std::vector<zmq::message_t> published;
      if (zmq::recv_multipart(sub, std::back_inserter(published))) return;
    }
    throw std::runtime_error("the SUB saw no warm-up record on " + topic);
  }

  static void produce_with_ack(zmq::socket_t& dealer, const std::string& topic,
                               const std::string& value) {
    dealer.send(zmq::buffer("J1", 2), zmq::send_flags::sndmore);
    dealer.send(zmq::buffer("PUB", 3), zmq::send_flags::sndmore);
    dealer.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    dealer.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::sndmore);
    dealer.send(zmq::buffer(value), zmq::send_flags::none);
    std::vector<zmq::message_t> reply;
    if (!zmq::recv_multipart(dealer, std::back_inserter(reply))) {
      throw std::runtime_error("no answer to a warm-up produce on " + topic);
    }
    if (reply.size() < 2 || reply[1].to_string() != "ACK") {
      std::string frames;
      for (const auto& frame : reply) frames += " [" + frame.to_string() + "]";
      throw std::runtime_error("a warm-up produce was answered with" + frames);
    }
  }

  TempDir dir_;
  std::vector<std::uint16_t> ports_;
  JunctiondProcess process_;
  zmq::context_t context_;
};

void print_run(const char* target, const Run& run) {
  std::printf("%-10s %9.0f records/s  (%lld of %lld received in %.3f s", target, run.per_second(),
              static_cast<long long>(run.received), static_cast<long long>(run.sent), run.seconds);
  if (run.dropped() > 0) std::printf(", %lld DROPPED", static_cast<long long>(run.dropped()));
  std::printf(")\n");
  std::fflush(stdout);
}

Run median(std::vector<Run> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const Run& a, const Run& b) { return a.per_second() < b.per_second(); });
  return runs[runs.size() / 2];
}

// The targets take turns, run after run, so that whatever else the shared
// machine is doing falls on both alike.
void run_benchmark(const Options& options, const std::vector<Target*>& targets) {
  std::vector<std::vector<Run>> runs(targets.size());
  for (int run = 0; run < options.runs; ++run) {
    for (std::size_t t = 0; t < targets.size(); ++t) {
      runs[t].push_back(targets[t]->run_once(run, options.records));
      print_run(targets[t]->name(), runs[t].back());
    }
  }
  std::printf("\nmedian of %d runs:\n", options.runs);
  std::vector<double> medians;
  std::int64_t dropped = 0;
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const auto middle = median(runs[t]);
    medians.push_back(middle.per_second());
    print_run(targets[t]->name(), middle);
    for (const auto& run : runs[t]) dropped += run.dropped();
  }
  if (targets.size() == 3) {
    std::printf("junctiond/raw (same five-frame messages): %.1f%%  (goal >= 50%%)\n",
                medians[1] > 0 ? 100 * medians[0] / medians[1] : 0);
    std::printf("junctiond/raw-1frame (single 100-byte frames): %.1f%%\n",
                medians[2] > 0 ? 100 * medians[0] / medians[2] : 0);
  }
  if (dropped > 0) {
    std::printf("%lld records dropped over all runs\n", static_cast<long long>(dropped));
  } else {
    std::printf("no record dropped\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse_options(argc, argv);
  std::printf("zmq_bench: %lld records of %zu bytes, %d runs\n",
              static_cast<long long>(options.records), kValueBytes, options.runs);
  std::fflush(stdout);
  std::optional<Junctiond> junctiond;
  std::optional<RawPair> raw;
  std::optional<RawPair> raw_single_frame;
  try {
    std::vector<Target*> targets;
    if (options.junctiond) targets.push_back(&junctiond.emplace());
    if (options.raw) {
      targets.push_back(&raw.emplace(Shape::produce_frames));
      targets.push_back(&raw_single_frame.emplace(Shape::single_frame));
    }
    run_benchmark(options, targets);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "zmq_bench: %s\n", error.what());
    if (junctiond) std::fprintf(stderr, "junctiond's log:\n%s\n", junctiond->log().c_str());
    return 1;
  }
}
