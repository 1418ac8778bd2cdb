// The AMQP 1.0 transport under Qpid Proton C++, against RabbitMQ 3.10 with its
// AMQP 1.0 plugin, in the same run.
//
// Throughput, for at-least-once (unsettled sends the broker accepts, a
// receiver that accepts each message) and for pre-settled links, N messages
// of 100 bytes:
//   send    one sender, as fast as credit allows, timed from the first send to
//           the last accept (pre-settled: to the broker's answer to closing
//           the connection, which it sends after reading every transfer);
//   drain   one receiver with a credit window, reading what `send` left,
//           timed from opening the link to the last message;
//   both    a sender and a receiver at once on a fresh queue, timed from the
//           first send to the last message received (at-least-once: and to
//           the last accept).
// Latency: a sender paced by absolute deadlines at a steady rate stamps each
// message body with the steady clock as it hands it to Proton; a receiver on
// another connection records arrival minus stamp. At-least-once also records
// the send-to-accept time.
//
// junctiond is started from the build tree with the amqp transport on a free
// loopback port, data in a temp dir; senders address topic NAME, receivers the
// queue group NAME::g. RabbitMQ is started by rabbitmq_peer.sh, private to a
// temp dir and loopback-only; its queues are addressed as /queue/NAME (a
// sender's attach declares the queue). Messages are not marked durable.
//
// Run: tests/amqp_bench [messages] [--target=junctiond|rabbitmq|both] [--runs=K]
//                       [--credit=C] [--latency-seconds=S] [--latency-rate=R]
// Throughput, then latency, is measured K times (default 3) per target, the
// targets taking turns; the median run counts (for latency, the run with the
// median p99). Figures and method: docs/performance.md.
#include <proton/binary.hpp>
#include <proton/connection.hpp>
#include <proton/connection_options.hpp>
#include <proton/container.hpp>
#include <proton/delivery.hpp>
#include <proton/delivery_mode.hpp>
#include <proton/error_condition.hpp>
#include <proton/message.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver.hpp>
#include <proton/receiver_options.hpp>
#include <proton/sender.hpp>
#include <proton/sender_options.hpp>
#include <proton/tracker.hpp>
#include <proton/work_queue.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bench_arguments.hpp"
#include "latency_figures.hpp"
#include "support/junctiond_process.hpp"

namespace {

using junction::bench::percentiles;
using junction::bench::Percentiles;
using junction::bench::steady_nanoseconds;

using SteadyClock = std::chrono::steady_clock;
using junction::testing::JunctiondProcess;
using junction::testing::TempDir;

constexpr std::size_t kBodyBytes = 100;
constexpr auto kPhaseTimeout = std::chrono::seconds(120);
constexpr auto kAttachTimeout = std::chrono::seconds(20);

struct Options {
  std::int64_t messages = 200'000;
  bool junctiond = true;
  bool rabbitmq = true;
  int runs = 3;
  int credit = 1'000;
  double latency_seconds = 5;
  std::int64_t latency_rate = 10'000;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr,
               "%s\nusage: amqp_bench [messages] [--target=junctiond|rabbitmq|both] [--runs=K] "
               "[--credit=C] [--latency-seconds=S] [--latency-rate=R]\n",
               message.c_str());
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options options;
  std::string target = "both";
  if (auto error =
          junction::bench::parse_arguments(argc, argv, options.messages,
                                           {{"--target", &target},
                                            {"--runs", &options.runs},
                                            {"--credit", &options.credit},
                                            {"--latency-seconds", &options.latency_seconds},
                                            {"--latency-rate", &options.latency_rate}})) {
    usage_error(*error);
  }
  const auto targets = junction::bench::parse_targets(target, "rabbitmq");
  if (!targets) usage_error("unknown target " + target);
  options.junctiond = targets->junctiond;
  options.rabbitmq = targets->peer;
  if (options.messages < 1) usage_error("messages must be at least 1");
  if (options.runs < 1) usage_error("runs must be at least 1");
  if (options.credit < 1) usage_error("credit must be at least 1");
  if (options.latency_rate < 1) usage_error("latency rate must be at least 1");
  return options;
}

double seconds_between(std::int64_t from_nanoseconds, std::int64_t to_nanoseconds) {
  return double(to_nanoseconds - from_nanoseconds) / 1e9;
}

enum class Settlement { at_least_once, pre_settled };

const char* name_of(Settlement settlement) {
  return settlement == Settlement::at_least_once ? "at-least-once" : "pre-settled";
}

proton::delivery_mode delivery_mode_of(Settlement settlement) {
  return settlement == Settlement::at_least_once ? proton::delivery_mode::AT_LEAST_ONCE
                                                 : proton::delivery_mode::AT_MOST_ONCE;
}

// The body: the send stamp and the sequence number, then filler.
proton::binary make_body(std::int64_t stamp, std::int64_t sequence) {
  std::string body(kBodyBytes, 'b');
  std::memcpy(body.data(), &stamp, sizeof stamp);
  std::memcpy(body.data() + sizeof stamp, &sequence, sizeof sequence);
  return proton::binary(body);
}

std::optional<std::int64_t> read_stamp(const proton::message& message) {
  const proton::value& body = message.body();
  std::string bytes;
  if (body.type() == proton::BINARY) {
    const auto binary = proton::get<proton::binary>(body);
    bytes.assign(binary.begin(), binary.end());
  } else if (body.type() == proton::STRING) {
    bytes = proton::get<std::string>(body);
  }
  if (bytes.size() < sizeof(std::int64_t)) return std::nullopt;
  std::int64_t stamp = 0;
  std::memcpy(&stamp, bytes.data(), sizeof stamp);
  return stamp;
}

// What the handlers, on the container's threads, tell the thread running a
// phase. The first failure is kept.
class Progress {
 public:
  void fail(const std::string& what) {
    std::lock_guard lock(mutex_);
    if (failure_.empty()) failure_ = what;
    failed_ = true;
  }
  bool failed() const { return failed_; }
  std::string failure() const {
    std::lock_guard lock(mutex_);
    return failure_;
  }

 private:
  mutable std::mutex mutex_;
  std::string failure_;
  std::atomic<bool> failed_{false};
};

std::string describe(const proton::error_condition& condition) {
  return condition.name() + (condition.description().empty() ? "" : ": " + condition.description());
}

// Sends `count` messages on one connection: as fast as credit allows once
// start() is called, or one per call to send_soon().
class Sender : public proton::messaging_handler {
 public:
  Sender(std::string address, Settlement settlement, std::int64_t count, Progress& progress,
         bool record_acceptance = false)
      : address_(std::move(address)),
        settlement_(settlement),
        count_(count),
        record_acceptance_(record_acceptance),
        progress_(progress) {}

  bool attached() const { return attached_; }
  bool closed() const { return closed_; }
  // At-least-once: every message accepted; pre-settled: every message handed to Proton.
  bool done() const { return done_; }

  // From any thread, once attached().
  bool start() {
    return work_queue_->add([this] {
      bulk_ = true;
      started_at_ = steady_nanoseconds();
      send_what_credit_allows();
    });
  }
  bool send_soon() {
    return work_queue_->add([this] {
      pending_stamps_.push_back(steady_nanoseconds());
      send_what_credit_allows();
    });
  }

  std::int64_t started_at() const { return started_at_; }
  // Pre-settled: the last message handed to Proton; at-least-once: the last accept.
  std::int64_t done_at() const { return done_at_; }
  std::int64_t closed_at() const { return closed_at_; }
  std::vector<std::int64_t> take_acceptance_latencies() { return std::move(acceptance_latencies_); }

  void on_connection_open(proton::connection& connection) override {
    connection.open_sender(address_,
                           proton::sender_options().delivery_mode(delivery_mode_of(settlement_)));
  }

  void on_sender_open(proton::sender& sender) override {
    sender_ = sender;
    work_queue_ = &sender.connection().work_queue();
    attached_ = true;
  }

  void on_sendable(proton::sender&) override { send_what_credit_allows(); }

  void on_tracker_accept(proton::tracker& tracker) override {
    if (record_acceptance_) {
      const auto now = steady_nanoseconds();
      const auto sent = sent_stamps_.find(tag_of(tracker));
      if (sent != sent_stamps_.end()) {
        acceptance_latencies_.push_back(now - sent->second);
        sent_stamps_.erase(sent);
      }
    }
    if (++accepted_ == count_) finish();
  }
  void on_tracker_reject(proton::tracker& tracker) override {
    progress_.fail("the broker rejected a message: " + describe(tracker.sender().error()));
  }
  void on_tracker_release(proton::tracker&) override {
    progress_.fail("the broker released a message");
  }

  void on_connection_close(proton::connection&) override {
    closed_at_ = steady_nanoseconds();
    closed_ = true;
  }
  void on_error(const proton::error_condition& condition) override {
    progress_.fail("sender to " + address_ + ": " + describe(condition));
  }

 private:
  static std::string tag_of(const proton::tracker& tracker) {
    const auto tag = tracker.tag();
    return std::string(tag.begin(), tag.end());
  }

  void send_what_credit_allows() {
    if (!sender_ || done_) return;
    while (sender_.credit() > 0 && sent_ < count_) {
      std::int64_t stamp = 0;
      if (bulk_) {
        stamp = steady_nanoseconds();
      } else if (!pending_stamps_.empty()) {
        stamp = pending_stamps_.front();
        pending_stamps_.pop_front();
      } else {
        break;
      }
      message_.body(make_body(stamp, sent_));
      const auto tracker = sender_.send(message_);
      if (record_acceptance_) sent_stamps_.emplace(tag_of(tracker), stamp);
      ++sent_;
    }
    if (sent_ == count_ && settlement_ == Settlement::pre_settled) finish();
  }

  // Closing the connection, not just the link: the broker answers after it
  // has read every transfer before it.
  void finish() {
    if (done_) return;
    done_at_ = steady_nanoseconds();
    done_ = true;
    sender_.connection().close();
  }

  const std::string address_;
  const Settlement settlement_;
  const std::int64_t count_;
  const bool record_acceptance_;
  Progress& progress_;

  proton::sender sender_;
  proton::work_queue* work_queue_ = nullptr;
  proton::message message_;
  bool bulk_ = false;
  std::deque<std::int64_t> pending_stamps_;
  std::int64_t sent_ = 0;
  std::int64_t accepted_ = 0;
  std::unordered_map<std::string, std::int64_t> sent_stamps_;
  std::vector<std::int64_t> acceptance_latencies_;

  std::atomic<bool> attached_{false};
  std::atomic<bool> done_{false};
  std::atomic<bool> closed_{false};
  std::atomic<std::int64_t> started_at_{0};
  std::atomic<std::int64_t> done_at_{0};
  std::atomic<std::int64_t> closed_at_{0};
};

// Receives `expected` messages on one connection with a credit window,
// accepting each unsettled one, then detaches and closes.
class Receiver : public proton::messaging_handler {
 public:
  Receiver(std::string address, Settlement settlement, int credit, std::int64_t expected,
           Progress& progress, bool record_latency = false)
      : address_(std::move(address)),
        settlement_(settlement),
        credit_(credit),
        expected_(expected),
        record_latency_(record_latency),
        progress_(progress) {
    if (record_latency_) latencies_.reserve(std::size_t(expected_));
  }

  bool attached() const { return attached_; }
  bool closed() const { return closed_; }
  bool done() const { return done_; }
  std::int64_t opened_at() const { return opened_at_; }
  std::int64_t done_at() const { return done_at_; }
  // Deliveries whose settlement was not the one asked for.
  std::int64_t mismatched_settlement() const { return mismatched_settlement_; }
  std::vector<std::int64_t> take_latencies() { return std::move(latencies_); }

  void on_connection_open(proton::connection& connection) override {
    opened_at_ = steady_nanoseconds();
    connection.open_receiver(
        address_,
        proton::receiver_options().credit_window(credit_).auto_accept(false).delivery_mode(
            delivery_mode_of(settlement_)));
  }
  void on_receiver_open(proton::receiver&) override { attached_ = true; }

  void on_message(proton::delivery& delivery, proton::message& message) override {
    const auto now = steady_nanoseconds();
    if (received_ == expected_) return;
    if (record_latency_) {
      const auto stamp = read_stamp(message);
      if (!stamp) {
        progress_.fail("a message from " + address_ + " carries no stamp");
        return;
      }
      latencies_.push_back(now - *stamp);
    }
    const bool settled = delivery.settled();
    if (settled != (settlement_ == Settlement::pre_settled)) ++mismatched_settlement_;
    if (!settled) delivery.accept();
    if (++received_ == expected_) {
      done_at_ = now;
      done_ = true;
      // Detach first: a connection closed right after the last accept may
      // lose the accepts at some brokers, which then redeliver.
      delivery.receiver().close();
    }
  }

  void on_receiver_close(proton::receiver& receiver) override { receiver.connection().close(); }
  void on_receiver_detach(proton::receiver& receiver) override { receiver.connection().close(); }
  void on_connection_close(proton::connection&) override { closed_ = true; }
  void on_error(const proton::error_condition& condition) override {
    progress_.fail("receiver from " + address_ + ": " + describe(condition));
  }

 private:
  const std::string address_;
  const Settlement settlement_;
  const int credit_;
  const std::int64_t expected_;
  const bool record_latency_;
  Progress& progress_;

  std::int64_t received_ = 0;
  std::vector<std::int64_t> latencies_;
  std::atomic<bool> attached_{false};
  std::atomic<bool> done_{false};
  std::atomic<bool> closed_{false};
  std::atomic<std::int64_t> opened_at_{0};
  std::atomic<std::int64_t> done_at_{0};
  std::atomic<std::int64_t> mismatched_settlement_{0};
};

// A Proton container running on two threads of its own for one phase; the
// handlers given to connect() must outlive it.
class Phase {
 public:
  explicit Phase(Progress& progress) : progress_(progress) {
    container_.auto_stop(false);
    thread_ = std::thread([this] { container_.run(2); });
  }
  ~Phase() {
    container_.stop();
    thread_.join();
  }
  Phase(const Phase&) = delete;
  Phase& operator=(const Phase&) = delete;

  void connect(const std::string& url, proton::messaging_handler& handler) {
    container_.connect(url, proton::connection_options().handler(handler));
  }

  // Waits for `condition`; throws with `what` when time runs out or a
  // handler failed.
  template <class Condition>
  void wait_for(Condition condition, const std::string& what,
                std::chrono::milliseconds timeout = kPhaseTimeout) {
    const bool met =
        junction::testing::wait_until([&] { return progress_.failed() || condition(); }, timeout);
    if (progress_.failed()) throw std::runtime_error(progress_.failure());
    if (!met) throw std::runtime_error("timed out waiting for " + what);
  }

 private:
  Progress& progress_;
  proton::container container_;
  std::thread thread_;
};

// ---- targets ----------------------------------------------------------------

class Broker {
 public:
  virtual ~Broker() = default;
  virtual const char* name() const = 0;
  virtual std::string url() const = 0;
  virtual std::string send_address(const std::string& queue) const = 0;
  virtual std::string receive_address(const std::string& queue) const = 0;
  virtual std::string log() const = 0;
};

// junctiond from the build tree on a free loopback port, data in a temp dir.
class Junctiond : public Broker {
 public:
  Junctiond()
      : port_(junction::testing::free_port()),
        process_(dir_.path(), "[broker]\ndata_dir = \"" + (dir_.path() / "data").string() +
                                  "\"\n[topics]\ndefault_partitions = 1\n"
                                  "[[transport]]\nplugin = \"amqp\"\nlisten = \"127.0.0.1:" +
                                  std::to_string(port_) + "\"\n") {
    if (!process_.start()) throw std::runtime_error("junctiond did not start");
    std::printf("junctiond: pid %d, amqp on 127.0.0.1:%u\n", int(process_.pid()), port_);
    std::fflush(stdout);
  }
  const char* name() const override { return "junctiond"; }
  std::string url() const override { return "amqp://127.0.0.1:" + std::to_string(port_); }
  std::string send_address(const std::string& queue) const override { return queue; }
  std::string receive_address(const std::string& queue) const override { return queue + "::g"; }
  std::string log() const override { return process_.log(); }

 private:
  TempDir dir_;
  std::uint16_t port_;
  JunctiondProcess process_;
};

// RabbitMQ 3.10 with the AMQP 1.0 plugin, private to a temp dir: its own
// epmd, distribution and CLI ports, all on loopback. Stopped (with its epmd)
// on destruction.
class RabbitMq : public Broker {
 public:
  RabbitMq() {
    if (!std::filesystem::exists("/usr/lib/rabbitmq/bin/rabbitmq-server")) {
      throw std::runtime_error(
          "RabbitMQ is not installed (scripts/bench installs rabbitmq-server); "
          "or run with --target=junctiond");
    }
    port_ = junction::testing::free_port();
    const auto dist_port = junction::testing::free_port();
    const auto epmd_port = junction::testing::free_port();
    const auto cli_port = junction::testing::free_port();
    const auto started = junction::testing::run_command(
        {kScript, "start", dir_.path().string(), std::to_string(port_), std::to_string(dist_port),
         std::to_string(epmd_port), std::to_string(cli_port)},
        {}, std::chrono::seconds(180));
    if (started.status != 0) {
      stop();
      throw std::runtime_error("RabbitMQ did not start:\n" + started.out + started.err);
    }
    std::printf("rabbitmq: amqp on 127.0.0.1:%u (epmd %u, distribution %u)\n", port_, epmd_port,
                dist_port);
    std::fflush(stdout);
  }
  ~RabbitMq() override { stop(); }
  RabbitMq(const RabbitMq&) = delete;
  RabbitMq& operator=(const RabbitMq&) = delete;

  const char* name() const override { return "rabbitmq"; }
  std::string url() const override { return "amqp://127.0.0.1:" + std::to_string(port_); }
  std::string send_address(const std::string& queue) const override { return "/queue/" + queue; }
  std::string receive_address(const std::string& queue) const override { return "/queue/" + queue; }
  std::string log() const override {
    return junction::testing::run_command(
               {"sh", "-c", "cat \"$0\"/log/*.log", dir_.path().string()})
        .out;
  }

 private:
  static constexpr const char* kScript = AMQP_BENCH_RABBITMQ_SCRIPT;

  void stop() {
    junction::testing::run_command({kScript, "stop", dir_.path().string()}, {},
                                   std::chrono::seconds(120));
  }

  TempDir dir_;
  std::uint16_t port_ = 0;
};

// ---- measurements -----------------------------------------------------------

struct Rate {
  std::int64_t messages = 0;
  double seconds = 0;
  double per_second() const { return seconds > 0 ? double(messages) / seconds : 0; }
};

// The sender's end of the send-only phase.
std::int64_t sending_finished_at(const Sender& sender, Settlement settlement) {
  return settlement == Settlement::at_least_once ? sender.done_at() : sender.closed_at();
}

Rate measure_send(const Broker& broker, const std::string& queue, Settlement settlement,
                  std::int64_t messages) {
  Progress progress;
  Sender sender(broker.send_address(queue), settlement, messages, progress);
  {
    Phase phase(progress);
    phase.connect(broker.url(), sender);
    phase.wait_for([&] { return sender.attached(); }, "the sender to attach", kAttachTimeout);
    if (!sender.start()) throw std::runtime_error("the sender's connection is gone");
    phase.wait_for([&] { return sender.closed(); }, "the sends to complete");
  }
  return {messages, seconds_between(sender.started_at(), sending_finished_at(sender, settlement))};
}

void report_mismatched_settlement(const Broker& broker, const Receiver& receiver,
                                  Settlement settlement) {
  if (receiver.mismatched_settlement() == 0) return;
  std::printf("%-9s warning: %lld deliveries were not %s\n", broker.name(),
              static_cast<long long>(receiver.mismatched_settlement()),
              settlement == Settlement::pre_settled ? "pre-settled" : "unsettled");
}

Rate measure_drain(const Broker& broker, const std::string& queue, Settlement settlement,
                   int credit, std::int64_t messages) {
  Progress progress;
  Receiver receiver(broker.receive_address(queue), settlement, credit, messages, progress);
  {
    Phase phase(progress);
    phase.connect(broker.url(), receiver);
    phase.wait_for([&] { return receiver.closed(); }, "the queue to drain");
  }
  report_mismatched_settlement(broker, receiver, settlement);
  return {messages, seconds_between(receiver.opened_at(), receiver.done_at())};
}

// Attaches the sender (which creates the queue), then the receiver; the
// caller then makes the sender send and waits for both to close.
struct SendAndReceive {
  SendAndReceive(const Broker& broker, const std::string& queue, Settlement settlement, int credit,
                 std::int64_t messages, bool record_latency)
      : sender(broker.send_address(queue), settlement, messages, progress,
               record_latency && settlement == Settlement::at_least_once),
        receiver(broker.receive_address(queue), settlement, credit, messages, progress,
                 record_latency),
        phase(progress) {
    phase.connect(broker.url(), sender);
    phase.wait_for([&] { return sender.attached(); }, "the sender to attach", kAttachTimeout);
    phase.connect(broker.url(), receiver);
    phase.wait_for([&] { return receiver.attached(); }, "the receiver to attach", kAttachTimeout);
  }
  void wait_until_closed() {
    phase.wait_for([&] { return sender.closed() && receiver.closed(); }, "every message to arrive");
  }

  Progress progress;
  Sender sender;
  Receiver receiver;
  Phase phase;
};

Rate measure_both(const Broker& broker, const std::string& queue, Settlement settlement, int credit,
                  std::int64_t messages) {
  SendAndReceive both(broker, queue, settlement, credit, messages, false);
  if (!both.sender.start()) throw std::runtime_error("the sender's connection is gone");
  both.wait_until_closed();
  report_mismatched_settlement(broker, both.receiver, settlement);
  const auto end = std::max(both.sender.done_at(), both.receiver.done_at());
  return {messages, seconds_between(both.sender.started_at(), end)};
}

struct Latency {
  std::int64_t messages = 0;
  double achieved_rate = 0;
  Percentiles end_to_end;
  Percentiles accepted;  // at-least-once: from the send to the broker's accept
};

Latency measure_latency(const Broker& broker, const std::string& queue, Settlement settlement,
                        int credit, double seconds, std::int64_t rate) {
  const auto messages = std::max<std::int64_t>(1, std::int64_t(seconds * double(rate)));
  SendAndReceive both(broker, queue, settlement, credit, messages, true);
  const auto interval = std::chrono::nanoseconds(1'000'000'000 / rate);
  const auto start = SteadyClock::now();
  for (std::int64_t i = 0; i < messages; ++i) {
    std::this_thread::sleep_until(start + i * interval);
    if (!both.sender.send_soon()) throw std::runtime_error("the sender's connection is gone");
  }
  const double sent_for = std::chrono::duration<double>(SteadyClock::now() - start).count();
  both.wait_until_closed();
  report_mismatched_settlement(broker, both.receiver, settlement);
  Latency result;
  result.messages = messages;
  result.achieved_rate = double(messages) / sent_for;
  result.end_to_end = percentiles(both.receiver.take_latencies());
  result.accepted = percentiles(both.sender.take_acceptance_latencies());
  return result;
}

// ---- reporting --------------------------------------------------------------

constexpr Settlement kSettlements[] = {Settlement::at_least_once, Settlement::pre_settled};
enum Shape { kSend, kDrain, kBoth, kShapes };
constexpr const char* kShapeNames[] = {"send", "drain", "both"};

struct Target {
  Broker* broker;
  // [settlement][shape]: one rate per run.
  std::vector<Rate> rates[2][kShapes];
  // [settlement]: one measurement per run.
  std::vector<Latency> latencies[2];
};

std::string queue_name(int run, Settlement settlement, const char* shape) {
  return std::string("bench-") + std::to_string(run) + "-" +
         (settlement == Settlement::at_least_once ? "alo" : "settled") + "-" + shape;
}

void print_rate(const char* target, Settlement settlement, const char* shape, const Rate& rate) {
  std::printf("%-9s %-13s %-5s %9.0f msg/s  (%lld messages in %.3f s)\n", target,
              name_of(settlement), shape, rate.per_second(), static_cast<long long>(rate.messages),
              rate.seconds);
  std::fflush(stdout);
}

Rate median(std::vector<Rate> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const Rate& a, const Rate& b) { return a.per_second() < b.per_second(); });
  return runs[runs.size() / 2];
}

// The run with the median p99.
Latency median(std::vector<Latency> runs) {
  std::sort(runs.begin(), runs.end(), [](const Latency& a, const Latency& b) {
    return a.end_to_end.p99_ms < b.end_to_end.p99_ms;
  });
  return runs[runs.size() / 2];
}

void measure_throughput(Target& target, int run, const Options& options) {
  for (std::size_t s = 0; s < 2; ++s) {
    const auto settlement = kSettlements[s];
    const auto queue = queue_name(run, settlement, "send");
    auto& rates = target.rates[s];
    rates[kSend].push_back(measure_send(*target.broker, queue, settlement, options.messages));
    print_rate(target.broker->name(), settlement, "send", rates[kSend].back());
    rates[kDrain].push_back(
        measure_drain(*target.broker, queue, settlement, options.credit, options.messages));
    print_rate(target.broker->name(), settlement, "drain", rates[kDrain].back());
    rates[kBoth].push_back(measure_both(*target.broker, queue_name(run, settlement, "both"),
                                        settlement, options.credit, options.messages));
    print_rate(target.broker->name(), settlement, "both", rates[kBoth].back());
  }
}

void print_percentiles(const char* target, const char* what, const Percentiles& figures) {
  std::printf("%-9s   %-10s p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms\n", target, what,
              figures.p50_ms, figures.p99_ms, figures.max_ms);
}

void print_latency(const char* target, Settlement settlement, const Latency& latency) {
  std::printf("%-9s %s latency: %lld messages sent at %.0f msg/s\n", target, name_of(settlement),
              static_cast<long long>(latency.messages), latency.achieved_rate);
  print_percentiles(target, "end-to-end", latency.end_to_end);
  if (settlement == Settlement::at_least_once)
    print_percentiles(target, "accepted", latency.accepted);
  std::fflush(stdout);
}

void print_summary(const Options& options, const std::vector<Target>& targets) {
  std::printf("\nmedian of %d runs, msg/s:\n%-13s %-5s", options.runs, "", "");
  for (const auto& target : targets) std::printf(" %12s", target.broker->name());
  if (targets.size() == 2) std::printf(" %8s", "ratio");
  std::printf("\n");
  for (std::size_t s = 0; s < 2; ++s) {
    for (int shape = 0; shape < kShapes; ++shape) {
      std::printf("%-13s %-5s", name_of(kSettlements[s]), kShapeNames[shape]);
      std::vector<double> medians;
      for (const auto& target : targets) {
        medians.push_back(median(target.rates[s][shape]).per_second());
        std::printf(" %12.0f", medians.back());
      }
      if (medians.size() == 2) std::printf(" %7.2fx", medians[1] > 0 ? medians[0] / medians[1] : 0);
      std::printf("\n");
    }
  }
  if (options.latency_seconds > 0) {
    std::printf("latency at %lld msg/s, the run with the median p99:\n",
                static_cast<long long>(options.latency_rate));
    for (std::size_t s = 0; s < 2; ++s) {
      for (const auto& target : targets) {
        print_latency(target.broker->name(), kSettlements[s], median(target.latencies[s]));
      }
    }
  }
  if (targets.size() == 2) {
    const double ratio = median(targets[0].rates[0][kBoth]).per_second() /
                         median(targets[1].rates[0][kBoth]).per_second();
    std::printf("junctiond/rabbitmq send+receive at-least-once: %.2fx  (goal >= 5x)\n", ratio);
    for (std::size_t s = 0; s < 2 && options.latency_seconds > 0; ++s) {
      std::printf("p99 at %lld msg/s, %s: junctiond %.3f ms, rabbitmq %.3f ms  (goal: lower)\n",
                  static_cast<long long>(options.latency_rate), name_of(kSettlements[s]),
                  median(targets[0].latencies[s]).end_to_end.p99_ms,
                  median(targets[1].latencies[s]).end_to_end.p99_ms);
    }
  }
}

// The targets take turns, run after run, so that whatever else the shared
// machine is doing falls on both alike.
void run_benchmark(const Options& options, const std::vector<Broker*>& brokers) {
  std::vector<Target> targets;
  for (auto* broker : brokers) targets.push_back({broker, {}, {}});
  for (int run = 0; run < options.runs; ++run) {
    for (auto& target : targets) measure_throughput(target, run, options);
  }
  for (int run = 0; run < options.runs && options.latency_seconds > 0; ++run) {
    for (std::size_t s = 0; s < 2; ++s) {
      for (auto& target : targets) {
        target.latencies[s].push_back(measure_latency(
            *target.broker, queue_name(run, kSettlements[s], "latency"), kSettlements[s],
            options.credit, options.latency_seconds, options.latency_rate));
        print_latency(target.broker->name(), kSettlements[s], target.latencies[s].back());
      }
    }
  }
  print_summary(options, targets);
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse_options(argc, argv);
  std::printf(
      "amqp_bench: %lld messages of %zu bytes, credit %d, %d runs; latency %.1f s at %lld "
      "msg/s\n",
      static_cast<long long>(options.messages), kBodyBytes, options.credit, options.runs,
      options.latency_seconds, static_cast<long long>(options.latency_rate));
  std::fflush(stdout);
  std::optional<Junctiond> junctiond;
  std::optional<RabbitMq> rabbitmq;
  try {
    std::vector<Broker*> brokers;
    if (options.junctiond) brokers.push_back(&junctiond.emplace());
    if (options.rabbitmq) brokers.push_back(&rabbitmq.emplace());
    run_benchmark(options, brokers);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "amqp_bench: %s\n", error.what());
    if (junctiond) std::fprintf(stderr, "junctiond's log:\n%s\n", junctiond->log().c_str());
    return 1;
  }
}
