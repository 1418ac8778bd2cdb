#include "amqp_transport.hpp"

#include <chrono>
#include <future>
#include <proton/container.hpp>
#include <proton/duration.hpp>
#include <proton/listen_handler.hpp>
#include <proton/listener.hpp>
#include <proton/work_queue.hpp>
#include <thread>

#include "amqp_logger.hpp"
#include "connection_handler.hpp"
#include "connection_options.hpp"
#include "kernel_callback_tracker.hpp"

namespace junction::amqp {
namespace {

// How long start() waits for the listening socket, and stop() for clients to
// close and the kernel to answer what is in flight.
constexpr auto kListenTimeout = std::chrono::seconds(10);
constexpr auto kStopGrace = std::chrono::seconds(5);

}  // namespace

struct AmqpTransport::Running : proton::listen_handler {
  Running(Kernel& kernel, const AmqpConfig& config)
      : kernel(kernel), config(config), container("junction-amqp") {}

  proton::connection_options on_accept(proton::listener&) override {
    auto handler = std::make_shared<ConnectionHandler>(kernel, config, callbacks, connections);
    auto options = accepted_connection_options(config, *handler);
    connections.add(std::move(handler));
    return options;
  }

  void on_open(proton::listener& opened) override {
    port = opened.port();
    if (!listen_reported) {
      listen_reported = true;
      listening.set_value(std::string());
    }
  }

  void on_error(proton::listener&, const std::string& what) override {
    if (!listen_reported) {
      listen_reported = true;
      listening.set_value(what.empty() ? "cannot listen" : what);
    }
    amqp_logger().error() << "listener on " << config.listen_host << ":" << config.listen_port
                          << ": " << what;
  }

  Kernel& kernel;
  const AmqpConfig& config;
  // Declared first so handlers, which hold Proton objects, go before it.
  proton::container container;
  proton::listener listener;
  KernelCallbackTracker callbacks;
  ConnectionRegistry connections;
  std::promise<std::string> listening;
  bool listen_reported = false;
  int port = 0;
  std::thread runner;
  std::promise<void> finished;
};

AmqpTransport::AmqpTransport(AmqpConfig config) : config_(std::move(config)) {}

AmqpTransport::~AmqpTransport() { stop(); }

Result<void> AmqpTransport::start(Kernel& kernel, Coordinator&) {
  running_ = std::make_unique<Running>(kernel, config_);
  auto& running = *running_;
  auto listen_result = running.listening.get_future();
  const auto address = config_.listen_host + ":" + std::to_string(config_.listen_port);
  running.listener = running.container.listen(address, running);
  running.runner = std::thread([&running, threads = config_.container_threads] {
    try {
      running.container.run(threads);
    } catch (const std::exception& error) {
      amqp_logger().error() << "the Proton container stopped: " << error.what();
    }
    running.finished.set_value();
  });
  std::string failure;
  if (listen_result.wait_for(kListenTimeout) != std::future_status::ready) {
    failure = "no answer from the listener";
  } else {
    failure = listen_result.get();
  }
  if (!failure.empty()) {
    running.container.stop();
    running.runner.join();
    running_.reset();
    return make_error(Errc::io_error, "amqp cannot listen on " + address + ": " + failure);
  }
  amqp_logger().info() << "listening on " << advertised_endpoint();
  return {};
}

// Closes the listener and every connection from inside the container, so
// clients see a proper close; the container then ends by itself once nothing
// is open. Whatever is still open after the grace period is aborted.
void AmqpTransport::stop() {
  if (!running_) return;
  auto& running = *running_;
  auto finished = running.finished.get_future();
  try {
    running.container.schedule(proton::duration::IMMEDIATE, [&running] {
      running.listener.stop();
      running.connections.close_all();
    });
  } catch (const std::exception& error) {
    amqp_logger().warn() << "cannot schedule the graceful stop: " << error.what();
  }
  if (finished.wait_for(kStopGrace) != std::future_status::ready) {
    amqp_logger().warn() << running.connections.size()
                         << " connections did not close in time; aborting them";
    running.container.stop();
  }
  running.runner.join();
  running.connections.abandon_all();
  if (!running.callbacks.wait_idle(kStopGrace)) {
    amqp_logger().error() << "kernel callbacks still pending after stop";
  }
  running_.reset();
}

std::string AmqpTransport::advertised_endpoint() const {
  const int port = running_ ? running_->port : config_.listen_port;
  return config_.listen_host + ":" + std::to_string(port);
}

}  // namespace junction::amqp
