#include "cluster/peer_connection.hpp"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "cluster/cluster_logger.hpp"
#include "cluster/peer_runtime.hpp"
#include "junction/log.hpp"

namespace junction::cluster {
namespace asio = boost::asio;

namespace {

struct Ticker : std::enable_shared_from_this<Ticker> {
  Ticker(asio::io_context& io, std::chrono::milliseconds period, std::function<void()> tick)
      : timer(io), period(period), tick(std::move(tick)) {}

  void arm() {
    timer.expires_after(period);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (error) return;
      self->tick();
      self->arm();
    });
  }

  asio::steady_timer timer;
  std::chrono::milliseconds period;
  std::function<void()> tick;
};

}  // namespace

// How long stop() lets closing connections finish their handlers.
constexpr auto kDrainGrace = std::chrono::seconds(5);

struct PeerRuntime::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<Ticker>> tickers;
  std::mutex mutex;
  std::condition_variable drained;
  int running = 0;
};

PeerRuntime::PeerRuntime(int threads) : impl_(std::make_unique<Impl>()) {
  impl_->running = threads;
  for (int i = 0; i < threads; ++i) {
    impl_->threads.emplace_back([impl = impl_.get()] {
      impl->io.run();
      std::lock_guard lock(impl->mutex);
      --impl->running;
      impl->drained.notify_all();
    });
  }
}

PeerRuntime::~PeerRuntime() { stop(); }

asio::io_context& PeerRuntime::io() { return impl_->io; }

void PeerRuntime::every(std::chrono::milliseconds period, std::function<void()> tick) {
  auto ticker = std::make_shared<Ticker>(impl_->io, period, std::move(tick));
  impl_->tickers.push_back(ticker);
  ticker->arm();
}

void PeerRuntime::stop() {
  if (impl_->threads.empty()) return;
  // Lets closing connections run their handlers (which break the cycles
  // between connections and their owners) before the threads go.
  asio::post(impl_->io, [tickers = impl_->tickers] {
    for (const auto& ticker : tickers) ticker->timer.cancel();
  });
  impl_->work.reset();
  {
    std::unique_lock lock(impl_->mutex);
    impl_->drained.wait_for(lock, kDrainGrace, [this] { return impl_->running == 0; });
  }
  impl_->io.stop();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
  impl_->tickers.clear();
}

PeerConnection::PeerConnection(asio::ip::tcp::socket socket, std::string peer_name)
    : socket_(std::move(socket)), peer_name_(std::move(peer_name)) {
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

void PeerConnection::start(std::int32_t self_id, std::optional<std::int32_t> expected_peer,
                           MessageHandler on_message, ClosedHandler on_closed) {
  expected_peer_ = expected_peer;
  on_message_ = std::move(on_message);
  on_closed_ = std::move(on_closed);
  send(encode_frame(Hello{kPeerProtocolVersion, self_id}));
  asio::co_spawn(socket_.get_executor(), read_loop(shared_from_this()), asio::detached);
}

void PeerConnection::send(std::string frame) {
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), frame = std::move(frame)]() mutable {
               self->queue(std::move(frame));
             });
}

void PeerConnection::close(std::string reason) {
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), reason = std::move(reason)] { self->close_now(reason); });
}

void PeerConnection::queue(std::string frame) {
  if (closed_) return;
  outbox_.push_back(std::move(frame));
  if (!writing_) write_next();
}

void PeerConnection::write_next() {
  writing_ = true;
  asio::async_write(
      socket_, asio::buffer(outbox_.front()),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
        self->outbox_.pop_front();
        if (error) {
          self->close_now(self->closed_ ? "" : "write failed: " + error.message());
          return;
        }
        if (self->outbox_.empty() || self->closed_) {
          self->writing_ = false;
        } else {
          self->write_next();
        }
      });
}

asio::awaitable<void> PeerConnection::read_loop(std::shared_ptr<PeerConnection> self) {
  std::array<char, kFrameHeaderSize> header{};
  std::string body;
  bool greeted = false;
  std::string reason;
  for (;;) {
    boost::system::error_code error;
    co_await asio::async_read(socket_, asio::buffer(header),
                              asio::redirect_error(asio::use_awaitable, error));
    if (error) break;
    auto length = frame_length(header.data());
    if (!length) {
      reason = length.error().message;
      break;
    }
    body.resize(*length);
    co_await asio::async_read(socket_, asio::buffer(body),
                              asio::redirect_error(asio::use_awaitable, error));
    if (error) break;
    auto message = decode_frame(body);
    if (!message) {
      reason = message.error().message;
      break;
    }
    if (!greeted) {
      const auto* hello = std::get_if<Hello>(&*message);
      if (!hello) {
        reason = "the first frame is not a Hello";
        break;
      }
      if (hello->version != kPeerProtocolVersion) {
        reason = "protocol version " + std::to_string(hello->version) + ", this broker speaks " +
                 std::to_string(kPeerProtocolVersion);
        break;
      }
      if (expected_peer_ && hello->broker_id != *expected_peer_) {
        reason = "it says it is broker " + std::to_string(hello->broker_id) + ", expected " +
                 std::to_string(*expected_peer_);
        break;
      }
      peer_id_ = hello->broker_id;
      greeted = true;
      continue;
    }
    if (closed_) break;
    on_message_(std::move(message.value()));
  }
  close_now(reason);
}

void PeerConnection::close_now(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  if (!reason.empty()) {
    logger().warn() << "closing inter-broker connection with " << peer_name_
                    << (peer_id_ >= 0 ? " (broker " + std::to_string(peer_id_) + ")" : "") << ": "
                    << reason;
  }
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  if (auto closed = std::move(on_closed_)) closed();
  on_message_ = nullptr;
}

}  // namespace junction::cluster
