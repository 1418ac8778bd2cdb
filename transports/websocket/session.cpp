#include "session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/defer.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <optional>

#include "coalescing_socket.hpp"
#include "json/json_writer.hpp"
#include "outbox.hpp"
#include "protocol_handler.hpp"
#include "session_registry.hpp"
#include "static_files.hpp"
#include "websocket_logger.hpp"

namespace junction::websocket {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ws = beast::websocket;
using tcp = asio::ip::tcp;
using HttpStream = beast::basic_stream<tcp, ConnectionExecutor>;
using WebsocketStream = ws::stream<CoalescingSocket<ConnectionSocket>>;

namespace {

constexpr auto kHttpRequestTimeout = std::chrono::seconds(30);
constexpr auto kHandshakeTimeout = std::chrono::seconds(30);
constexpr std::uint32_t kMaxHttpHeaderBytes = 16 * 1024;
constexpr std::uint64_t kMaxHttpBodyBytes = 64 * 1024;
// Messages queued for the socket before the connection stops reading
// requests: the client must read its replies for more to be served.
constexpr std::size_t kMaxQueuedMessages = 4096;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response make_response(const Request& request, http::status status, std::string content_type,
                       std::string body) {
  Response response{status, request.version()};
  response.set(http::field::server, "junction");
  response.set(http::field::content_type, content_type);
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response plain_response(const Request& request, http::status status, std::string text) {
  return make_response(request, status, "text/plain; charset=utf-8", std::move(text) + "\n");
}

std::string_view target_path(const Request& request) {
  std::string_view target(request.target().data(), request.target().size());
  return target.substr(0, target.find('?'));
}

// Compares without an early exit, so response time does not reveal how much
// of a guessed token was right.
bool same_secret(std::string_view given, std::string_view expected) {
  unsigned char difference = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i) {
    const char wanted = i < expected.size() ? expected[i] : '\0';
    difference |= static_cast<unsigned char>(given[i] ^ wanted);
  }
  return difference == 0;
}

class WebsocketSession final : public Session, private Outbox {
 public:
  WebsocketSession(ConnectionSocket socket, SessionContext& context)
      : context_(context),
        http_(std::move(socket)),
        reader_wait_(http_.get_executor()),
        handler_(context.kernel, http_.get_executor(), context.gate, *this) {}

  ~WebsocketSession() override { context_.registry.remove(this); }

  void start() override {
    handler_.set_owner(shared_from_this());
    context_.registry.add(shared_from_this());
    asio::co_spawn(http_.get_executor(), serve(shared_from_this()), asio::detached);
  }

  void shut_down() override {
    asio::post(executor(), [self = shared_from_this(), this] {
      if (!websocket_) {
        boost::system::error_code ignored;
        http_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        http_.close();
        return;
      }
      close_requested_ = true;
      if (!writing_) start_close();
    });
  }

 private:
  asio::any_io_executor executor() {
    return websocket_ ? websocket_->get_executor() : http_.get_executor();
  }

  asio::awaitable<void> serve(std::shared_ptr<Session> self) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(kMaxHttpHeaderBytes);
      parser.body_limit(kMaxHttpBodyBytes);
      boost::system::error_code error;
      http_.expires_after(kHttpRequestTimeout);
      co_await http::async_read(http_, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, error));
      if (error) co_return;
      auto request = parser.release();
      if (ws::is_upgrade(request)) {
        auto refusal = check_upgrade(request);
        if (!refusal) {
          co_await run_websocket(std::move(request));
          co_return;
        }
        refusal->keep_alive(false);
        co_await http::async_write(http_, *refusal,
                                   asio::redirect_error(asio::use_awaitable, error));
        break;
      }
      auto response = answer_http(request);
      co_await http::async_write(http_, response, asio::redirect_error(asio::use_awaitable, error));
      if (error || !response.keep_alive()) break;
    }
    boost::system::error_code ignored;
    http_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  std::optional<Response> check_upgrade(const Request& request) {
    if (target_path(request) != "/ws")
      return plain_response(request, http::status::not_found, "WebSocket endpoint is /ws");
    const auto& config = context_.config;
    if (!config.allowed_origins.empty()) {
      auto origin = request.find(http::field::origin);
      // No Origin: not a browser, which the origin check cannot protect anyway.
      if (origin != request.end()) {
        std::string_view given(origin->value().data(), origin->value().size());
        bool allowed = false;
        for (const auto& candidate : config.allowed_origins) allowed |= candidate == given;
        if (!allowed) return plain_response(request, http::status::forbidden, "origin not allowed");
      }
    }
    if (!config.auth_token.empty()) {
      auto header = request.find(http::field::authorization);
      std::string_view given;
      if (header != request.end()) given = {header->value().data(), header->value().size()};
      constexpr std::string_view kScheme = "Bearer ";
      bool valid = given.substr(0, kScheme.size()) == kScheme &&
                   same_secret(given.substr(kScheme.size()), config.auth_token);
      if (!valid) {
        auto response =
            plain_response(request, http::status::unauthorized, "missing or wrong bearer token");
        response.set(http::field::www_authenticate, "Bearer");
        return response;
      }
    }
    return std::nullopt;
  }

  Response answer_http(const Request& request) {
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      auto response = plain_response(request, http::status::method_not_allowed, "use GET");
      response.set(http::field::allow, "GET, HEAD");
      return response;
    }
    auto path = target_path(request);
    if (path == "/ws")
      return plain_response(request, http::status::upgrade_required, "WebSocket upgrade expected");
    if (path == "/api/topics")
      return make_response(request, http::status::ok, "application/json", topics_json());
    auto file = load_static_file(context_.console_dir, path);
    if (!file) return plain_response(request, http::status::not_found, "not found");
    auto response =
        make_response(request, http::status::ok, file->content_type, std::move(file->body));
    response.set(http::field::cache_control, "no-cache");
    if (request.method() == http::verb::head) {
      response.body().clear();
    }
    return response;
  }

  std::string topics_json() {
    std::string out = "[";
    for (const auto& topic : context_.kernel.list_topics()) {
      if (out.size() > 1) out += ',';
      JsonObjectWriter entry;
      out += std::move(entry.string("name", topic.name).integer("partitions", topic.partitions))
                 .finish();
    }
    return out + "]";
  }

  asio::awaitable<void> run_websocket(Request request) {
    http_.expires_never();
    websocket_.emplace(http_.release_socket());
    auto& socket = *websocket_;
    const auto& config = context_.config;
    ws::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = kHandshakeTimeout;
    if (config.ping_interval_ms > 0) {
      // Beast pings after half the idle timeout and closes after all of it.
      timeouts.idle_timeout = std::chrono::milliseconds(2ull * config.ping_interval_ms);
      timeouts.keep_alive_pings = true;
    } else {
      timeouts.idle_timeout = ws::stream_base::none();
      timeouts.keep_alive_pings = false;
    }
    socket.set_option(timeouts);
    ws::permessage_deflate deflate;
    deflate.server_enable = true;
    socket.set_option(deflate);
    socket.set_option(ws::stream_base::decorator(
        [](ws::response_type& response) { response.set(http::field::server, "junction"); }));
    socket.read_message_max(config.max_message_bytes);
    // A message goes out as one frame, however large: fewer headers and
    // writes for a big record.
    socket.auto_fragment(false);
    socket.text(true);
    boost::system::error_code error;
    co_await socket.async_accept(request, asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return;
    accepted_ = true;
    // stop() may have come during the handshake.
    if (close_requested_) start_close();
    // One buffer for every message: it keeps its capacity.
    beast::flat_buffer message;
    while (!closed_) {
      if (handler_.saturated() || outgoing_.size() >= kMaxQueuedMessages) {
        handler_.flush_publishes();
      }
      while (!closed_ && (handler_.saturated() || outgoing_.size() >= kMaxQueuedMessages)) {
        reader_wait_.expires_at(asio::steady_timer::time_point::max());
        reader_waiting_ = true;
        co_await reader_wait_.async_wait(asio::redirect_error(asio::use_awaitable, error));
        reader_waiting_ = false;
      }
      if (closed_) break;
      message.clear();
      co_await socket.async_read(message, asio::redirect_error(asio::use_awaitable, error));
      if (error) break;
      if (!socket.got_text()) {
        handler_.flush_publishes();
        send(std::move(JsonObjectWriter()
                           .string("op", "error")
                           .string("code", "bad_request")
                           .string("message", "binary messages are not accepted; send JSON text"))
                 .finish(),
             {});
        continue;
      }
      // Bytes already in the socket: the client sent more with this message,
      // so its publishes can go to the kernel together.
      boost::system::error_code unknown;
      const bool more_follows = socket.next_layer().buffered_input() > 0 ||
                                beast::get_lowest_layer(socket).available(unknown) > 0;
      handler_.handle_message(
          std::string_view(static_cast<const char*>(message.data().data()), message.size()),
          more_follows);
    }
    if (error && error != ws::error::closed && error != asio::error::operation_aborted) {
      websocket_logger().debug() << "connection ended: " << error.message();
    }
    finish();
  }

  void finish() {
    closed_ = true;
    outgoing_.clear();
    handler_.close();
  }

  void send(std::string text, std::function<void()> on_written) override {
    if (closed_ || !accepted_) return;
    outgoing_.push_back({std::move(text), std::move(on_written)});
    if (writing_ || close_requested_) return;
    // Started once the current handler is done, so the messages it queues
    // (the acks of a batch, the records of a delivery) are written back to
    // back and the coalescing layer sends them in one write.
    writing_ = true;
    asio::defer(websocket_->get_executor(), [self = shared_from_this(), this] { write_next(); });
  }

  // Called for every message written: the timer is touched only when the
  // reader waits on it.
  void wake_reader() override {
    if (reader_waiting_) reader_wait_.cancel();
  }

  void write_next() {
    if (outgoing_.empty() || closed_) {
      writing_ = false;
      if (close_requested_ && !closed_) start_close();
      return;
    }
    writing_ = true;
    websocket_->async_write(
        asio::buffer(outgoing_.front().text),
        [self = shared_from_this(), this](boost::system::error_code error, std::size_t) {
          if (error || closed_) {
            writing_ = false;
            if (!closed_) finish();
            return;
          }
          auto written = std::move(outgoing_.front().on_written);
          outgoing_.pop_front();
          if (written) written();
          wake_reader();
          write_next();
        });
  }

  void start_close() {
    if (close_started_ || !accepted_) return;
    close_started_ = true;
    websocket_->async_close(ws::close_code::going_away,
                            [self = shared_from_this(), this](boost::system::error_code) {
                              finish();
                              wake_reader();
                            });
  }

  struct Outgoing {
    std::string text;
    std::function<void()> on_written;
  };

  SessionContext& context_;
  HttpStream http_;
  std::optional<WebsocketStream> websocket_;
  asio::steady_timer reader_wait_;
  bool reader_waiting_ = false;
  ProtocolHandler handler_;
  std::deque<Outgoing> outgoing_;
  bool accepted_ = false;
  bool writing_ = false;
  bool close_requested_ = false;
  bool close_started_ = false;
  bool closed_ = false;
};

}  // namespace

std::shared_ptr<Session> Session::create(ConnectionSocket socket, SessionContext& context) {
  return std::make_shared<WebsocketSession>(std::move(socket), context);
}

}  // namespace junction::websocket
