// A line-oriented TCP transport: the smallest useful Junction plugin, and a
// template for in-house ones. Try it with `nc 127.0.0.1 7070`:
//
//   PUB <topic> <value>        -> OK <partition> <offset>   | ERR <message>
//   SUB <topic> [earliest]     -> MSG <topic> <partition> <offset> <value> ...
//                                 (every partition, from the latest by default)
//
// Config keys: listen = "127.0.0.1:7070", max_line_bytes = 1049600 (a longer
// line gets "ERR line longer than N bytes" and the connection is closed).
// Threads: one acceptor, one thread per connection; a connection's thread
// closes its socket when done and the acceptor joins it. A transport owns its
// I/O; the kernel calls back on its own threads and the transport hands the
// work over (here: a condition variable).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <list>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <junction/kernel.hpp>
#include <junction/log.hpp>
#include <junction/plugin.hpp>
#include <junction/record_batch.hpp>

namespace line_transport {
namespace {

using junction::Errc;
using junction::Kernel;
using junction::Result;

const junction::Logger& logger() {
  static const junction::Logger instance{"line"};
  return instance;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(std::size_t(n));
  }
  return true;
}

// Splits "host:port"; the whole string must parse.
bool parse_listen(const std::string& text, sockaddr_in& address) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  address = {};
  address.sin_family = AF_INET;
  if (::inet_pton(AF_INET, text.substr(0, colon).c_str(), &address.sin_addr) != 1) return false;
  try {
    std::size_t used = 0;
    const int port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port < 0 || port > 65535) return false;
    address.sin_port = htons(std::uint16_t(port));
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

class LineTransport final : public junction::Transport {
 public:
  explicit LineTransport(junction::ConfigSection& config) {
    listen_ = config.string("listen", "127.0.0.1:7070");
    if (!parse_listen(listen_, address_)) config.fail("listen", "expected \"ipv4:port\"");
    // Room for a PUB of a 1 MiB value (the default max_message_bytes).
    max_line_bytes_ = std::size_t(config.integer("max_line_bytes", (1 << 20) + 1024, 64, 1 << 30));
    config.reject_unknown_keys();
  }

  ~LineTransport() override { stop(); }

  Result<void> start(Kernel& kernel, junction::Coordinator&) override {
    kernel_ = &kernel;
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int yes = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address_), sizeof address_) != 0 ||
        ::listen(listener_, 64) != 0) {
      const std::string reason = std::strerror(errno);
      ::close(listener_);
      listener_ = -1;
      return junction::make_error(Errc::io_error, "cannot listen on " + listen_ + ": " + reason);
    }
    if (::pipe2(wakeup_, O_CLOEXEC) != 0) {
      const std::string reason = std::strerror(errno);
      ::close(listener_);
      listener_ = -1;
      return junction::make_error(Errc::io_error, "pipe2 failed: " + reason);
    }
    acceptor_ = std::thread([this] { accept_loop(); });
    return {};
  }

  void stop() override {
    if (listener_ < 0) return;
    stopping_ = true;
    (void)!::write(wakeup_[1], "x", 1);
    acceptor_.join();
    {
      // A connection closes its own fd (under the mutex); shut down only the
      // open ones so their threads return.
      std::lock_guard lock(connections_mutex_);
      for (auto& connection : connections_) {
        if (connection.fd >= 0) ::shutdown(connection.fd, SHUT_RDWR);
      }
    }
    data_arrived_.notify_all();
    // The acceptor is gone, so nobody else touches the list any more.
    for (auto& connection : connections_) connection.thread.join();
    connections_.clear();
    ::close(listener_);
    ::close(wakeup_[0]);
    ::close(wakeup_[1]);
    listener_ = -1;
  }

  std::string advertised_endpoint() const override { return listen_; }

 private:
  // Guarded by connections_mutex_; fd is -1 once closed.
  struct Connection {
    int fd = -1;
    bool finished = false;
    std::thread thread;
  };

  void accept_loop() {
    pollfd fds[2] = {{listener_, POLLIN, 0}, {wakeup_[0], POLLIN, 0}};
    bool out_of_fds = false;
    while (!stopping_) {
      if (::poll(fds, 2, -1) < 0 || (fds[1].revents & POLLIN)) continue;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
        // The pending connection stays readable: back off instead of spinning.
        if (!out_of_fds) logger().warn() << "out of file descriptors, accepting more slowly";
        out_of_fds = true;
        ::poll(&fds[1], 1, 100);
        continue;
      }
      if (fd < 0) continue;
      out_of_fds = false;
      logger().debug() << "connection accepted";
      std::lock_guard lock(connections_mutex_);
      reap_finished();
      auto& connection = connections_.emplace_back();
      connection.fd = fd;
      connection.thread = std::thread([this, fd, &connection] { run(fd, connection); });
    }
  }

  void run(int fd, Connection& connection) {
    serve(fd);
    std::lock_guard lock(connections_mutex_);
    ::close(fd);
    connection.fd = -1;
    connection.finished = true;
  }

  // Joins the threads of connections that have ended. Holds connections_mutex_.
  void reap_finished() {
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (!it->finished) {
        ++it;
        continue;
      }
      it->thread.join();  // it has only to return from run()
      it = connections_.erase(it);
    }
  }

  void serve(int fd) {
    std::string buffer;
    std::size_t scanned = 0;  // buffer[0, scanned) holds no '\n'
    char chunk[4096];
    for (;;) {
      const auto newline = buffer.find('\n', scanned);
      if ((newline == std::string::npos ? buffer.size() : newline) > max_line_bytes_) {
        write_all(fd, "ERR line longer than " + std::to_string(max_line_bytes_) + " bytes\n");
        return;
      }
      if (newline == std::string::npos) {
        scanned = buffer.size();
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        buffer.append(chunk, std::size_t(n));
        continue;
      }
      std::string line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      scanned = 0;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!handle(fd, line)) return;
    }
  }

  // false ends the connection.
  bool handle(int fd, const std::string& line) {
    std::istringstream words(line);
    std::string command, topic;
    words >> command >> topic;
    if (command == "PUB" && !topic.empty()) {
      std::string value;
      std::getline(words >> std::ws, value);
      junction::Record record;
      record.value = value;
      auto ack = kernel_->produce_and_wait(topic, junction::kAnyPartition, {record});
      if (!ack) return write_all(fd, "ERR " + ack.error().message + "\n");
      return write_all(fd, "OK " + std::to_string(ack->partition) + " " +
                               std::to_string(ack->base_offset) + "\n");
    }
    if (command == "SUB" && !topic.empty()) {
      std::string from;
      words >> from;
      return subscribe(fd, topic, from == "earliest");
    }
    return write_all(fd, "ERR expected 'PUB <topic> <value>' or 'SUB <topic> [earliest]'\n");
  }

  // Streams every partition of `topic` until the client goes or we stop. A
  // subscriber sends nothing more: input is discarded, its end ends the stream.
  bool subscribe(int fd, const std::string& topic, bool from_earliest) {
    auto info = kernel_->ensure_topic(topic);
    if (!info) return write_all(fd, "ERR " + info.error().message + "\n");
    std::vector<std::int64_t> positions;
    for (std::int32_t p = 0; p < info->partitions; ++p) {
      auto offsets = kernel_->offsets(topic, p);
      if (!offsets) return write_all(fd, "ERR " + offsets.error().message + "\n");
      positions.push_back(from_earliest ? offsets->log_start_offset : offsets->high_watermark);
    }
    if (!write_all(fd, "OK subscribed\n")) return false;

    auto woken = std::make_shared<std::atomic<bool>>(false);
    while (!stopping_) {
      bool sent = false;
      for (std::int32_t p = 0; p < info->partitions; ++p) {
        auto fetched = kernel_->fetch(topic, p, positions[p], 1 << 20);
        if (!fetched) return write_all(fd, "ERR " + fetched.error().message + "\n");
        auto records = junction::batch::decode_all(fetched->batches);
        if (!records) return write_all(fd, "ERR " + records.error().message + "\n");
        for (const auto& stored : *records) {
          if (stored.offset < positions[p]) continue;
          const std::string out = "MSG " + topic + " " + std::to_string(p) + " " +
                                  std::to_string(stored.offset) + " " +
                                  stored.record.value.value_or("") + "\n";
          if (!write_all(fd, out)) return false;
          positions[p] = stored.offset + 1;
          sent = true;
        }
      }
      if (sent) continue;
      wait_for_any(topic, positions, woken);
      if (peer_closed(fd)) return false;
    }
    return false;
  }

  // Without this an idle subscription would outlive its client.
  static bool peer_closed(int fd) {
    pollfd pfd{fd, POLLIN | POLLRDHUP, 0};
    while (::poll(&pfd, 1, 0) > 0) {
      if (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) return true;
      char discard[256];
      const ssize_t n = ::recv(fd, discard, sizeof discard, 0);
      if (n == 0 || (n < 0 && errno != EINTR)) return true;
    }
    return false;
  }

  void wait_for_any(const std::string& topic, const std::vector<std::int64_t>& positions,
                    const std::shared_ptr<std::atomic<bool>>& woken) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    woken->store(false);
    std::vector<std::shared_ptr<junction::DataWait>> waits;
    for (std::int32_t p = 0; p < std::int32_t(positions.size()); ++p) {
      auto wait = kernel_->wait_for_data(topic, p, positions[p], deadline, [this, woken](bool) {
        {
          std::lock_guard lock(wait_mutex_);
          woken->store(true);
        }
        data_arrived_.notify_all();
      });
      if (wait) waits.push_back(std::move(wait.value()));
    }
    std::unique_lock lock(wait_mutex_);
    data_arrived_.wait_until(lock, deadline, [&] { return woken->load() || stopping_.load(); });
    lock.unlock();
    for (auto& wait : waits) wait->cancel();
  }

  std::string listen_;
  sockaddr_in address_{};
  Kernel* kernel_ = nullptr;
  std::size_t max_line_bytes_ = 0;
  int listener_ = -1;
  int wakeup_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex connections_mutex_;
  std::list<Connection> connections_;
  std::mutex wait_mutex_;
  std::condition_variable data_arrived_;
};

std::unique_ptr<junction::Transport> create(junction::ConfigSection& config) {
  return std::make_unique<LineTransport>(config);
}

}  // namespace
}  // namespace line_transport

JUNCTION_TRANSPORT_PLUGIN("line", "line-oriented TCP transport (example)", line_transport::create)
