#include "server/session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "kafka_logger.hpp"
#include "protocol/wire_reader.hpp"
#include "server/broker_context.hpp"
#include "server/session_registry.hpp"

namespace junction::kafka {
namespace asio = boost::asio;

namespace {

constexpr std::size_t kInitialInputBuffer = 64 * 1024;
// api_key, api_version and correlation_id: the least a request frame holds.
constexpr std::int32_t kMinimumFrame = 8;

void store_int32(char* at, std::int32_t value) {
  auto u = static_cast<std::uint32_t>(value);
  at[0] = static_cast<char>(u >> 24);
  at[1] = static_cast<char>(u >> 16);
  at[2] = static_cast<char>(u >> 8);
  at[3] = static_cast<char>(u);
}

std::int32_t load_int32(const char* at) {
  auto byte = [at](int i) { return static_cast<std::uint32_t>(static_cast<std::uint8_t>(at[i])); };
  return static_cast<std::int32_t>(byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3));
}

std::string describe_peer(const asio::ip::tcp::socket& socket) {
  boost::system::error_code error;
  auto endpoint = socket.remote_endpoint(error);
  if (error) return "unknown peer";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, BrokerContext& context, SessionRegistry& registry)
    : socket_(std::move(socket)),
      context_(context),
      registry_(registry),
      peer_(describe_peer(socket_)),
      input_(kInitialInputBuffer),
      slot_freed_(socket_.get_executor()) {
  socket_.set_option(asio::ip::tcp::no_delay(true));
}

Session::~Session() { registry_.remove(); }

void Session::start() {
  registry_.add(shared_from_this());
  asio::co_spawn(socket_.get_executor(), read_loop(shared_from_this()), asio::detached);
}

void Session::close(std::string reason) {
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), reason = std::move(reason)] { self->close_now(reason); });
}

void Session::close_now(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  if (!reason.empty())
    kafka_logger().warn() << "closing connection from " << peer_ << ": " << reason;
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  slot_freed_.cancel();
  auto pending = std::move(slots_);
  slots_.clear();
  for (auto& slot : pending)
    for (auto& cancel : slot.abandon) cancel();
}

asio::awaitable<void> Session::fill(std::size_t bytes) {
  if (input_.size() - input_begin_ < bytes) {
    std::memmove(input_.data(), input_.data() + input_begin_, input_end_ - input_begin_);
    input_end_ -= input_begin_;
    input_begin_ = 0;
    if (input_.size() < bytes) input_.resize(bytes);
  }
  while (input_end_ - input_begin_ < bytes) {
    input_end_ += co_await socket_.async_read_some(
        asio::buffer(input_.data() + input_end_, input_.size() - input_end_), asio::use_awaitable);
  }
}

// `self` is a parameter so the coroutine frame owns the session from creation.
asio::awaitable<void> Session::read_loop(std::shared_ptr<Session> self) {
  const auto max_inflight = static_cast<std::size_t>(context_.config.max_inflight_requests);
  try {
    while (!closed_) {
      while (slots_.size() >= max_inflight && !closed_) {
        slot_freed_.expires_at(asio::steady_timer::time_point::max());
        boost::system::error_code ignored;
        co_await slot_freed_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      }
      co_await fill(4);
      const auto size = load_int32(input_.data() + input_begin_);
      if (size < kMinimumFrame || size > context_.config.max_request_bytes) {
        close_now("request size " + std::to_string(size) + " is outside 8.." +
                  std::to_string(context_.config.max_request_bytes) + " (max_request_bytes)");
        break;
      }
      co_await fill(4 + static_cast<std::size_t>(size));
      if (closed_) break;
      dispatch(std::string_view(input_.data() + input_begin_ + 4, static_cast<std::size_t>(size)));
      input_begin_ += 4 + static_cast<std::size_t>(size);
    }
  } catch (const boost::system::system_error& error) {
    if (error.code() == asio::error::eof || error.code() == asio::error::connection_reset ||
        error.code() == asio::error::operation_aborted) {
      close_now("");
    } else {
      close_now(error.code().message());
    }
  } catch (const std::exception& error) {
    close_now(std::string("internal error: ") + error.what());
  }
}

void Session::dispatch(std::string_view frame) {
  WireReader header(frame);
  Request request;
  request.api_key = static_cast<ApiKey>(header.int16());
  request.api_version = header.int16();
  request.correlation_id = header.int32();
  request.client_id = header.nullable_string();
  request.peer = peer_;
  if (!header.ok()) return close_now("truncated request header");

  const HandlerEntry* entry = find_handler(request.api_key);
  if (!entry) {
    return close_now("unknown API key " + std::to_string(static_cast<int>(request.api_key)));
  }
  // ApiVersions answers any version (too new ones with UNSUPPORTED_VERSION in
  // v0, so the client can retry lower); its response header is always v0.
  const bool is_api_versions = request.api_key == ApiKey::api_versions;
  const bool supported =
      request.api_version >= entry->min_version && request.api_version <= entry->max_version;
  if (!supported && !is_api_versions) {
    return close_now("unsupported version " + std::to_string(request.api_version) + " of API " +
                     std::to_string(static_cast<int>(request.api_key)));
  }
  const bool flexible = supported && entry->first_flexible_version >= 0 &&
                        request.api_version >= entry->first_flexible_version;
  if (flexible) header.skip_tagged_fields();
  if (!header.ok()) return close_now("truncated request header");
  request.body = header.rest();

  Slot& slot = slots_.emplace_back();
  store_int32(slot.header + 4, request.correlation_id);
  slot.header_size = flexible && !is_api_versions ? 9 : 8;
  const std::uint64_t id = first_slot_id_ + slots_.size() - 1;
  entry->handle(context_, request, Responder(shared_from_this(), id));
}

Session::Slot* Session::find_slot(std::uint64_t id) {
  if (closed_ || id < first_slot_id_ || id - first_slot_id_ >= slots_.size()) return nullptr;
  return &slots_[id - first_slot_id_];
}

void Session::complete(std::uint64_t slot, std::optional<std::string> body) {
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), slot, body = std::move(body)]() mutable {
               Slot* pending = self->find_slot(slot);
               if (!pending || pending->done) return;
               pending->done = true;
               pending->body = std::move(body);
               pending->abandon.clear();
               self->write_completed();
             });
}

void Session::reject(std::uint64_t slot, std::string reason) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), slot, reason = std::move(reason)] {
    if (self->find_slot(slot)) self->close_now(reason);
  });
}

void Session::on_abandon(std::uint64_t slot, std::function<void()> cancel) {
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), slot, cancel = std::move(cancel)]() mutable {
               Slot* pending = self->find_slot(slot);
               if (pending && !pending->done) {
                 pending->abandon.push_back(std::move(cancel));
               } else if (self->closed_) {
                 cancel();
               }
             });
}

void Session::write_completed() {
  if (writing_ || closed_ || slots_.empty() || !slots_.front().done) return;
  writing_ = true;
  asio::co_spawn(socket_.get_executor(), write_loop(shared_from_this()), asio::detached);
}

asio::awaitable<void> Session::write_loop(std::shared_ptr<Session> self) {
  std::vector<asio::const_buffer> buffers;
  try {
    while (!closed_ && !slots_.empty() && slots_.front().done) {
      buffers.clear();
      std::size_t ready = 0;
      for (auto& slot : slots_) {
        if (!slot.done) break;
        ++ready;
        if (!slot.body) continue;
        const auto size = slot.header_size - 4 + slot.body->size();
        store_int32(slot.header, static_cast<std::int32_t>(size));
        buffers.emplace_back(slot.header, slot.header_size);
        buffers.emplace_back(slot.body->data(), slot.body->size());
      }
      if (!buffers.empty()) co_await asio::async_write(socket_, buffers, asio::use_awaitable);
      if (closed_) break;
      for (std::size_t i = 0; i < ready; ++i) slots_.pop_front();
      first_slot_id_ += ready;
      slot_freed_.cancel();
    }
  } catch (const boost::system::system_error& error) {
    close_now(error.code() == asio::error::broken_pipe ? "" : error.code().message());
  }
  writing_ = false;
}

}  // namespace junction::kafka
