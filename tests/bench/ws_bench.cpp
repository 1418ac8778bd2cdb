// The WebSocket transport under a Boost.Beast client: one connection
// publishes, another receives, both through junctiond.
//
// throughput  a publisher sends N `publish` frames with 100-byte values,
//             keeping up to --window of them unacknowledged, while a
//             subscriber (broadcast, from latest) counts the `record` frames.
//             Publish rate: N over the first send to the N-th `ack`. Receive
//             rate: N over the first send to the N-th record at the subscriber.
// latency     the publisher sends at a steady --latency-rate for
//             --latency-seconds, each send at its absolute deadline (a late
//             one goes at once, so delays are not hidden), with the send time
//             on the steady clock written into the value. End-to-end: record at
//             the subscriber minus that time; acked: `ack` at the publisher
//             minus it.
//
// Before each phase the topic is created by a first publish, the subscriber
// subscribes and waits for `subscribed`, then warm-up records (6-byte values,
// not counted) are published until the subscriber sees one: from then on its
// subscription is live. A subscriber gives up on missing records after
// kIdleTimeout without a frame and reports them.
//
// Run: tests/ws_bench [records] [--runs=K] [--window=W] [--credit=C]
// [--latency-seconds=S] [--latency-rate=R]. Throughput runs K times (default
// 3); the median counts. --credit is the subscriber's `credit` (default 1000).
// Figures and method: docs/performance.md.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_arguments.hpp"
#include "coalescing_socket.hpp"
#include "latency_figures.hpp"
#include "support/junctiond_process.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::use_awaitable;
using asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using junction::bench::Percentiles;
using junction::bench::percentiles;
using junction::bench::steady_nanoseconds;
using junction::testing::JunctiondProcess;
using junction::testing::TempDir;
// The clients write and read through the broker's coalescing layer: messages
// sent back to back leave in one write, as a good client library sends them.
using WebSocket = websocket::stream<junction::websocket::CoalescingSocket<tcp::socket>>;

constexpr std::size_t kValueBytes = 100;
// Connect, handshake and close; and how long a connection may go without a
// frame before its read fails.
constexpr auto kHandshakeTimeout = std::chrono::seconds(5);
constexpr auto kIdleTimeout = std::chrono::seconds(5);
constexpr auto kSubscribeTimeout = std::chrono::seconds(10);
constexpr auto kWarmUpTimeout = std::chrono::seconds(20);
constexpr auto kWarmUpProbe = std::chrono::milliseconds(200);
constexpr std::string_view kWarmUpValue = "warmup";

struct Options {
  std::int64_t records = 200'000;
  int runs = 3;
  std::int64_t window = 1'000;
  std::int64_t credit = 1'000;
  double latency_seconds = 5;
  std::int64_t latency_rate = 10'000;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr,
               "%s\nusage: ws_bench [records] [--runs=K] [--window=W] [--credit=C] "
               "[--latency-seconds=S] [--latency-rate=R]\n",
               message.c_str());
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options options;
  if (auto error =
          junction::bench::parse_arguments(argc, argv, options.records,
                                           {{"--runs", &options.runs},
                                            {"--window", &options.window},
                                            {"--credit", &options.credit},
                                            {"--latency-seconds", &options.latency_seconds},
                                            {"--latency-rate", &options.latency_rate}})) {
    usage_error(*error);
  }
  if (options.records < 1) usage_error("records must be at least 1");
  if (options.runs < 1) usage_error("runs must be at least 1");
  if (options.window < 1) usage_error("window must be at least 1");
  if (options.credit < 1) usage_error("credit must be at least 1");
  if (options.latency_seconds < 0) usage_error("latency seconds must not be negative");
  if (options.latency_rate < 1) usage_error("latency rate must be at least 1");
  return options;
}

// ---- the few JSON fields the tool reads ------------------------------------

std::size_t skip_space(std::string_view text, std::size_t at) {
  while (at < text.size() &&
         (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r')) {
    ++at;
  }
  return at;
}

// The end of the JSON string whose opening quote is at `at`, past its closing quote.
std::size_t end_of_string(std::string_view text, std::size_t at) {
  for (++at; at < text.size(); ++at) {
    if (text[at] == '\\') {
      ++at;
    } else if (text[at] == '"') {
      return at + 1;
    }
  }
  throw std::runtime_error("unterminated string in " + std::string(text));
}

// The end of the JSON value starting at `at`.
std::size_t end_of_value(std::string_view text, std::size_t at) {
  if (at >= text.size()) throw std::runtime_error("missing value in " + std::string(text));
  if (text[at] == '"') return end_of_string(text, at);
  if (text[at] == '{' || text[at] == '[') {
    int depth = 0;
    while (at < text.size()) {
      const char c = text[at];
      if (c == '"') {
        at = end_of_string(text, at);
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) return at + 1;
      ++at;
    }
    throw std::runtime_error("unterminated value in " + std::string(text));
  }
  while (at < text.size() && text[at] != ',' && text[at] != '}' && text[at] != ']' &&
         text[at] != ' ' && text[at] != '\n') {
    ++at;
  }
  return at;
}

// The raw text of a top-level member of the object `text` (a string keeps its
// quotes), or nullopt. Member names the tool looks for carry no escapes.
std::optional<std::string_view> member(std::string_view text, std::string_view name) {
  auto at = skip_space(text, 0);
  if (at >= text.size() || text[at] != '{')
    throw std::runtime_error("not an object: " + std::string(text));
  at = skip_space(text, at + 1);
  while (at < text.size() && text[at] == '"') {
    const auto name_end = end_of_string(text, at);
    const auto found = text.substr(at + 1, name_end - at - 2);
    at = skip_space(text, name_end);
    if (at >= text.size() || text[at] != ':') break;
    at = skip_space(text, at + 1);
    const auto value_end = end_of_value(text, at);
    if (found == name) return text.substr(at, value_end - at);
    at = skip_space(text, value_end);
    if (at < text.size() && text[at] == ',') at = skip_space(text, at + 1);
  }
  return std::nullopt;
}

// A string member without its quotes (the tool's own values need no unescaping).
std::optional<std::string_view> string_member(std::string_view text, std::string_view name) {
  auto raw = member(text, name);
  if (!raw || raw->size() < 2 || raw->front() != '"') return std::nullopt;
  return raw->substr(1, raw->size() - 2);
}

std::int64_t integer(std::string_view digits) {
  std::int64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') throw std::runtime_error("not a count: " + std::string(digits));
    value = value * 10 + (c - '0');
  }
  return value;
}

// The frame's `op`, and any `error` frame turned into an exception.
std::string_view op_of(std::string_view frame) {
  const auto op = string_member(frame, "op");
  if (!op) throw std::runtime_error("a frame without op: " + std::string(frame));
  if (*op == "error") throw std::runtime_error("junctiond answered " + std::string(frame));
  return *op;
}

// ---- values ----------------------------------------------------------------

// 100 bytes: the send time in steady nanoseconds, the sequence number, padding.
std::string_view stamped_value(std::array<char, kValueBytes + 1>& value, std::int64_t sent_at,
                               std::int64_t sequence) {
  const int length =
      std::snprintf(value.data(), value.size(), "%019lld-%012lld-", static_cast<long long>(sent_at),
                    static_cast<long long>(sequence));
  std::fill(value.begin() + length, value.end() - 1, 'x');
  return {value.data(), kValueBytes};
}

std::int64_t stamp_of(std::string_view value) { return integer(value.substr(0, 19)); }

// Into `frame`, whose capacity is kept from one publish to the next.
void write_publish_frame(std::string& frame, const std::string& topic, std::int64_t id,
                         std::string_view value) {
  frame = "{\"op\":\"publish\",\"id\":";
  char digits[24];
  frame.append(digits, std::size_t(std::snprintf(digits, sizeof digits, "%lld",
                                                 static_cast<long long>(id))));
  frame += ",\"topic\":\"";
  frame += topic;
  frame += "\",\"value\":\"";
  frame += value;
  frame += "\"}";
}

std::string publish_frame(const std::string& topic, std::int64_t id, std::string_view value) {
  std::string frame;
  write_publish_frame(frame, topic, id, value);
  return frame;
}

std::string_view text_of(const beast::flat_buffer& buffer) {
  return {static_cast<const char*>(buffer.data().data()), buffer.size()};
}

// ---- connections -----------------------------------------------------------

asio::awaitable<void> open(WebSocket& socket, std::uint16_t port) {
  // Connecting to a listening loopback port completes or fails at once: no
  // timeout needed before the handshake's.
  auto& stream = beast::get_lowest_layer(socket);
  co_await stream.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port),
                                use_awaitable);
  stream.set_option(tcp::no_delay(true));
  socket.set_option(websocket::stream_base::timeout{kHandshakeTimeout, kIdleTimeout, false});
  co_await socket.async_handshake("127.0.0.1:" + std::to_string(port), "/ws", use_awaitable);
  socket.text(true);
}

asio::awaitable<void> close(WebSocket& socket) {
  beast::error_code ignored;
  co_await socket.async_close(websocket::close_code::normal,
                              asio::redirect_error(use_awaitable, ignored));
}

// Runs `task` on `io` to its end on this thread; its exception, if any, is
// rethrown. The run stops with the task: Beast's idle timer is always pending
// on an open connection and would keep io.run() going.
void run_to_end(asio::io_context& io, asio::awaitable<void> task) {
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr error) {
    failure = error;
    io.stop();
  });
  io.restart();
  io.run();
  if (failure) std::rethrow_exception(failure);
}

// Subscribes (broadcast, from latest) on its own thread and counts the
// records with 100-byte values until `expected` arrived or the connection
// went kIdleTimeout without a frame.
class Subscriber {
 public:
  Subscriber(std::uint16_t port, std::string topic, std::int64_t credit, std::int64_t expected,
             bool collect_latency)
      : topic_(std::move(topic)),
        credit_(credit),
        expected_(expected),
        collect_latency_(collect_latency) {
    if (collect_latency_) latencies_.reserve(std::size_t(expected));
    thread_ = std::thread([this, port] {
      try {
        run_to_end(io_, receive(port));
      } catch (const std::exception& error) {
        failure_ = error.what();
      }
      done_ = true;
    });
  }
  ~Subscriber() { join(); }
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  void wait_subscribed() {
    if (!junction::testing::wait_until([&] { return subscribed_ || done_; }, kSubscribeTimeout)) {
      throw std::runtime_error("no `subscribed` for " + topic_);
    }
    if (!subscribed_) throw std::runtime_error("subscribe to " + topic_ + ": " + failure());
  }
  bool warmed() const { return warmed_; }
  bool done() const { return done_; }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  // After join():
  std::int64_t received() const { return received_; }
  SteadyClock::time_point last_arrival() const { return last_arrival_; }
  std::vector<std::int64_t>& latencies() { return latencies_; }
  std::string failure() const { return done_ ? failure_ : std::string(); }

 private:
  asio::awaitable<void> receive(std::uint16_t port) {
    WebSocket socket(co_await asio::this_coro::executor);
    co_await open(socket, port);
    co_await socket.async_write(
        asio::buffer("{\"op\":\"subscribe\",\"id\":1,\"topic\":\"" + topic_ +
                     "\",\"mode\":\"broadcast\",\"from\":\"latest\",\"credit\":" +
                     std::to_string(credit_) + "}"),
        use_awaitable);
    beast::flat_buffer buffer;
    co_await socket.async_read(buffer, use_awaitable);
    if (op_of(text_of(buffer)) != "subscribed") {
      throw std::runtime_error("expected subscribed, got " + std::string(text_of(buffer)));
    }
    subscribed_ = true;
    while (received_ < expected_) {
      buffer.clear();
      beast::error_code error;
      co_await socket.async_read(buffer, asio::redirect_error(use_awaitable, error));
      if (error == beast::error::timeout) co_return;  // the records missing are reported
      if (error) throw beast::system_error(error);
      const auto arrived = steady_nanoseconds();
      const auto frame = text_of(buffer);
      if (op_of(frame) != "record") continue;
      const auto value = string_member(frame, "value");
      if (!value)
        throw std::runtime_error("a record without a string value: " + std::string(frame));
      if (*value == kWarmUpValue) {
        warmed_ = true;
      } else if (value->size() == kValueBytes) {
        if (collect_latency_) latencies_.push_back(arrived - stamp_of(*value));
        last_arrival_ = SteadyClock::now();
        ++received_;
      }
    }
    co_await close(socket);
  }

  const std::string topic_;
  // Records the broker may have written to the subscriber ahead of the socket.
  const std::int64_t credit_;
  const std::int64_t expected_;
  const bool collect_latency_;
  asio::io_context io_;
  std::atomic<bool> subscribed_{false};
  std::atomic<bool> warmed_{false};
  std::atomic<bool> done_{false};
  std::int64_t received_ = 0;
  SteadyClock::time_point last_arrival_{};
  std::vector<std::int64_t> latencies_;
  std::string failure_;
  std::thread thread_;
};

struct Published {
  std::int64_t acked = 0;
  SteadyClock::time_point started{};
  SteadyClock::time_point last_ack{};
  SteadyClock::time_point last_send{};
  std::vector<std::int64_t> ack_latencies;
};

// One connection on this thread's io_context.
class Publisher {
 public:
  explicit Publisher(std::uint16_t port) : socket_(io_) { run_to_end(io_, open(socket_, port)); }
  ~Publisher() {
    try {
      run_to_end(io_, close(socket_));
    } catch (const std::exception&) {
      // Closing is a courtesy; the figures are already taken.
    }
  }
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Publishes one warm-up record and waits for its ack: creates the topic.
  void publish_warm_up(const std::string& topic) { run_to_end(io_, warm_up(topic, nullptr)); }

  // Publishes warm-up records until `subscriber` sees one.
  void warm_up_until_seen(const std::string& topic, const Subscriber& subscriber) {
    run_to_end(io_, warm_up(topic, &subscriber));
  }

  // Publishes `records` stamped values, at most `window` unacknowledged,
  // each at its deadline when paced with an `interval`.
  Published publish(const std::string& topic, std::int64_t records, std::int64_t window,
                    std::optional<std::chrono::nanoseconds> interval, bool collect_latency) {
    Published result;
    run_to_end(io_, pipeline(topic, records, window, interval, collect_latency, result));
    return result;
  }

 private:
  asio::awaitable<void> warm_up(const std::string& topic, const Subscriber* subscriber) {
    const auto deadline = SteadyClock::now() + kWarmUpTimeout;
    asio::steady_timer pause(socket_.get_executor());
    beast::flat_buffer buffer;
    do {
      co_await socket_.async_write(asio::buffer(publish_frame(topic, 0, kWarmUpValue)),
                                   use_awaitable);
      buffer.clear();
      co_await socket_.async_read(buffer, use_awaitable);
      if (op_of(text_of(buffer)) != "ack") {
        throw std::runtime_error("a warm-up publish was answered with " +
                                 std::string(text_of(buffer)));
      }
      if (!subscriber) co_return;
      const auto probe_end = SteadyClock::now() + kWarmUpProbe;
      while (!subscriber->warmed() && !subscriber->done() && SteadyClock::now() < probe_end) {
        pause.expires_after(std::chrono::milliseconds(1));
        co_await pause.async_wait(use_awaitable);
      }
      if (subscriber->warmed()) co_return;
      if (subscriber->done())
        throw std::runtime_error("the subscriber stopped: " + subscriber->failure());
    } while (SteadyClock::now() < deadline);
    throw std::runtime_error("the subscriber saw no warm-up record on " + topic);
  }

  // A writer and an ack reader on the same connection (Beast allows one read
  // and one write at a time). The writer waits on `window_open` while the
  // window is full; the reader cancels it on each ack.
  asio::awaitable<void> pipeline(const std::string& topic, std::int64_t records,
                                 std::int64_t window,
                                 std::optional<std::chrono::nanoseconds> interval,
                                 bool collect_latency, Published& result) {
    const auto executor = co_await asio::this_coro::executor;
    std::vector<std::int64_t> sent_at(std::size_t(records), 0);
    if (collect_latency) result.ack_latencies.reserve(std::size_t(records));
    asio::steady_timer window_open(executor);
    std::exception_ptr reader_failure;
    std::exception_ptr writer_failure;
    bool reader_done = false;

    auto read_acks = [&]() -> asio::awaitable<void> {
      beast::flat_buffer buffer;
      while (result.acked < records) {
        buffer.clear();
        co_await socket_.async_read(buffer, use_awaitable);
        const auto arrived = steady_nanoseconds();
        const auto frame = text_of(buffer);
        if (op_of(frame) != "ack")
          throw std::runtime_error("expected ack, got " + std::string(frame));
        if (collect_latency) {
          const auto id = member(frame, "id");
          if (!id)
            throw std::runtime_error("an ack without the publish's id: " + std::string(frame));
          const auto sequence = integer(*id);
          if (sequence >= records)
            throw std::runtime_error("an ack for an unknown id: " + std::string(frame));
          result.ack_latencies.push_back(arrived - sent_at[std::size_t(sequence)]);
        }
        ++result.acked;
        result.last_ack = SteadyClock::now();
        window_open.cancel();
      }
    };
    asio::co_spawn(executor, read_acks(), [&](std::exception_ptr error) {
      reader_failure = error;
      reader_done = true;
      window_open.cancel();
    });

    asio::steady_timer pace(executor);
    std::array<char, kValueBytes + 1> value;
    std::string frame;
    result.started = SteadyClock::now();
    for (std::int64_t sequence = 0; sequence < records && !reader_done; ++sequence) {
      if (interval) {
        pace.expires_at(result.started + sequence * *interval);
        co_await pace.async_wait(use_awaitable);
      }
      while (sequence - result.acked >= window && !reader_done) {
        window_open.expires_at(SteadyClock::time_point::max());
        beast::error_code cancelled;
        co_await window_open.async_wait(asio::redirect_error(use_awaitable, cancelled));
      }
      if (reader_done) break;
      const auto now = steady_nanoseconds();
      sent_at[std::size_t(sequence)] = now;
      beast::error_code write_error;
      write_publish_frame(frame, topic, sequence, stamped_value(value, now, sequence));
      co_await socket_.async_write(asio::buffer(frame),
                                   asio::redirect_error(use_awaitable, write_error));
      if (write_error) {
        // The reader uses this frame: end it by closing the socket, wait for it, then fail.
        beast::get_lowest_layer(socket_).close();
        writer_failure = std::make_exception_ptr(beast::system_error(write_error));
        break;
      }
    }
    result.last_send = SteadyClock::now();
    while (!reader_done) {
      window_open.expires_at(SteadyClock::time_point::max());
      beast::error_code cancelled;
      co_await window_open.async_wait(asio::redirect_error(use_awaitable, cancelled));
    }
    if (writer_failure) std::rethrow_exception(writer_failure);
    if (reader_failure) std::rethrow_exception(reader_failure);
  }

  asio::io_context io_;
  WebSocket socket_;
};

// ---- junctiond -------------------------------------------------------------

// junctiond from the build tree with the websocket transport on a free
// loopback port, data in a temp dir, one partition per topic.
class Junctiond {
 public:
  Junctiond()
      : port_(junction::testing::free_port()),
        process_(dir_.path(), "[broker]\ndata_dir = \"" + (dir_.path() / "data").string() +
                                  "\"\n[topics]\ndefault_partitions = 1\n"
                                  "[[transport]]\nplugin = \"websocket\"\nlisten = \"127.0.0.1:" +
                                  std::to_string(port_) + "\"\n") {
    if (!process_.start()) throw std::runtime_error("junctiond did not start:\n" + process_.log());
    std::printf("junctiond: pid %d, websocket on 127.0.0.1:%u\n", int(process_.pid()), port_);
    std::fflush(stdout);
  }
  std::uint16_t port() const { return port_; }
  std::string log() const { return process_.log(); }

 private:
  TempDir dir_;
  std::uint16_t port_;
  JunctiondProcess process_;
};

// A subscriber with a live subscription on a fresh `topic`, and a publisher.
struct Pair {
  Pair(std::uint16_t port, const std::string& topic, std::int64_t credit, std::int64_t expected,
       bool collect_latency)
      : publisher(port) {
    publisher.publish_warm_up(topic);
    subscriber.emplace(port, topic, credit, expected, collect_latency);
    subscriber->wait_subscribed();
    publisher.warm_up_until_seen(topic, *subscriber);
  }
  Publisher publisher;
  std::optional<Subscriber> subscriber;
};

double seconds_between(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// ---- throughput ------------------------------------------------------------

struct Run {
  std::int64_t sent = 0;
  std::int64_t acked = 0;
  std::int64_t received = 0;
  double publish_seconds = 0;
  double receive_seconds = 0;
  double publish_rate() const { return publish_seconds > 0 ? double(acked) / publish_seconds : 0; }
  double receive_rate() const {
    return receive_seconds > 0 ? double(received) / receive_seconds : 0;
  }
};

Run measure_throughput(std::uint16_t port, int run, const Options& options) {
  const std::string topic = "ws-bench-" + std::to_string(run);
  Pair pair(port, topic, options.credit, options.records, false);
  const auto published =
      pair.publisher.publish(topic, options.records, options.window, std::nullopt, false);
  pair.subscriber->join();
  if (!pair.subscriber->failure().empty()) throw std::runtime_error(pair.subscriber->failure());
  Run result;
  result.sent = options.records;
  result.acked = published.acked;
  result.received = pair.subscriber->received();
  result.publish_seconds = seconds_between(published.started, published.last_ack);
  if (result.received > 0) {
    result.receive_seconds = seconds_between(published.started, pair.subscriber->last_arrival());
  }
  return result;
}

void print_run(const char* label, const Run& run) {
  std::printf(
      "%-7s publish %9.0f records/s (%lld acked in %.3f s)   receive %9.0f records/s "
      "(%lld of %lld in %.3f s)\n",
      label, run.publish_rate(), static_cast<long long>(run.acked), run.publish_seconds,
      run.receive_rate(), static_cast<long long>(run.received), static_cast<long long>(run.sent),
      run.receive_seconds);
  std::fflush(stdout);
}

// The run with the median receive rate (the end-to-end figure).
Run median(std::vector<Run> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const Run& a, const Run& b) { return a.receive_rate() < b.receive_rate(); });
  return runs[runs.size() / 2];
}

// ---- latency ---------------------------------------------------------------

struct Latency {
  std::int64_t sent = 0;
  std::int64_t received = 0;
  double achieved_rate = 0;
  Percentiles end_to_end;
  // Tells a slow publish path from a slow delivery path.
  Percentiles acknowledged;
};

Latency measure_latency(std::uint16_t port, const Options& options) {
  const auto to_send = std::max<std::int64_t>(
      1, std::int64_t(options.latency_seconds * double(options.latency_rate)));
  const std::string topic = "ws-bench-latency";
  Pair pair(port, topic, options.credit, to_send, true);
  const auto published =
      pair.publisher.publish(topic, to_send, options.window,
                             std::chrono::nanoseconds(1'000'000'000 / options.latency_rate), true);
  pair.subscriber->join();
  if (!pair.subscriber->failure().empty()) throw std::runtime_error(pair.subscriber->failure());
  Latency result;
  result.sent = to_send;
  result.received = pair.subscriber->received();
  result.achieved_rate = double(to_send) / seconds_between(published.started, published.last_send);
  result.end_to_end = percentiles(std::move(pair.subscriber->latencies()));
  result.acknowledged = percentiles(published.ack_latencies);
  return result;
}

void print_percentiles(const char* what, const Percentiles& figures) {
  std::printf("  %-10s p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms\n", what, figures.p50_ms,
              figures.p99_ms, figures.max_ms);
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse_options(argc, argv);
  std::printf(
      "ws_bench: %lld records of %zu bytes, window %lld, credit %lld, %d runs; latency %.1f s at "
      "%lld records/s\n",
      static_cast<long long>(options.records), kValueBytes, static_cast<long long>(options.window),
      static_cast<long long>(options.credit), options.runs, options.latency_seconds,
      static_cast<long long>(options.latency_rate));
  std::fflush(stdout);
  std::optional<Junctiond> junctiond;
  try {
    junctiond.emplace();
    std::vector<Run> runs;
    std::int64_t missing = 0;
    for (int run = 0; run < options.runs; ++run) {
      runs.push_back(measure_throughput(junctiond->port(), run, options));
      print_run(("run " + std::to_string(run + 1)).c_str(), runs.back());
      missing += runs.back().sent - runs.back().received;
    }
    print_run("median", median(runs));
    if (missing > 0) {
      std::printf("%lld records MISSING at the subscriber over all runs\n",
                  static_cast<long long>(missing));
    }
    bool latency_complete = true;
    if (options.latency_seconds > 0) {
      const auto latency = measure_latency(junctiond->port(), options);
      std::printf("latency: %lld of %lld records received, sent at %.0f records/s\n",
                  static_cast<long long>(latency.received), static_cast<long long>(latency.sent),
                  latency.achieved_rate);
      print_percentiles("end-to-end", latency.end_to_end);
      print_percentiles("acked", latency.acknowledged);
      std::printf("end-to-end p99 %.3f ms  (goal < 5 ms)\n", latency.end_to_end.p99_ms);
      latency_complete = latency.received == latency.sent;
    }
    std::printf("goal: >= 150000 records/s each way\n");
    return missing == 0 && latency_complete ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ws_bench: %s\n", error.what());
    if (junctiond) std::fprintf(stderr, "junctiond's log:\n%s\n", junctiond->log().c_str());
    return 1;
  }
}
