#include "websocket_transport.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/dll/runtime_symbol_info.hpp>
#include <thread>
#include <vector>

#include "junction/asio_listener.hpp"
#include "session.hpp"
#include "session_registry.hpp"
#include "websocket_logger.hpp"

namespace junction::websocket {
namespace asio = boost::asio;

namespace {

// How long stop() lets connections flush and close before cutting them.
constexpr auto kStopGrace = std::chrono::seconds(5);

std::filesystem::path console_dir_for(const WebsocketConfig& config) {
  if (!config.console_dir.empty()) return config.console_dir;
  // Installed (and copied in the build tree) next to this plugin's .so.
  return std::filesystem::path(boost::dll::this_line_location()).parent_path() /
         "websocket-console";
}

}  // namespace

struct WebsocketTransport::Running {
  Running(Kernel& kernel, const WebsocketConfig& config)
      : context{kernel, config, console_dir_for(config), std::make_shared<CallbackGate>(),
                registry},
        acceptor(io),
        work(io.get_executor()) {}

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto socket = co_await acceptor.async_accept(asio::make_strand(io), asio::use_awaitable);
      boost::system::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      Session::create(std::move(socket), context)->start();
    }
  }

  // Declared first: sessions still queued in `io` unregister when it is destroyed.
  SessionRegistry registry;
  asio::io_context io;
  SessionContext context;
  asio::ip::tcp::acceptor acceptor;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::vector<std::thread> threads;
};

WebsocketTransport::WebsocketTransport(WebsocketConfig config) : config_(std::move(config)) {}

WebsocketTransport::~WebsocketTransport() { stop(); }

Result<void> WebsocketTransport::start(Kernel& kernel, Coordinator&) {
  auto running = std::make_unique<Running>(kernel, config_);
  auto& acceptor = running->acceptor;
  if (auto listening = listen_on(acceptor, config_.listen_host, config_.listen_port); !listening) {
    return listening.error();
  }
  const std::string where = config_.listen_host + ":" + std::to_string(config_.listen_port);
  websocket_logger().info() << "listening on " << where << ", console files in "
                            << running->context.console_dir.string();

  asio::co_spawn(acceptor.get_executor(), running->accept_loop(), asio::detached);
  for (int i = 0; i < config_.io_threads; ++i) {
    running->threads.emplace_back([io = &running->io] { io->run(); });
  }
  running_ = std::move(running);
  return {};
}

void WebsocketTransport::stop() {
  if (!running_) return;
  auto& running = *running_;
  asio::post(running.io, [&running] {
    boost::system::error_code ignored;
    running.acceptor.close(ignored);
  });
  for (auto& session : running.registry.snapshot()) session->shut_down();
  if (!running.registry.wait_until_empty(std::chrono::steady_clock::now() + kStopGrace)) {
    websocket_logger().warn() << "connections still open at shutdown; cutting them";
  }
  running.context.gate->close();
  running.work.reset();
  running.io.stop();
  for (auto& thread : running.threads) thread.join();
  running_.reset();
}

std::string WebsocketTransport::advertised_endpoint() const {
  if (!running_) return {};
  auto endpoint = running_->acceptor.local_endpoint();
  return "ws://" + config_.listen_host + ":" + std::to_string(endpoint.port()) + "/ws";
}

}  // namespace junction::websocket
