#include "kafka_transport.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/host_name.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>
#include <vector>

#include "groups/group_coordinator.hpp"
#include "junction/asio_listener.hpp"
#include "kafka_logger.hpp"
#include "producers/producer_id_allocator.hpp"
#include "producers/producer_state.hpp"
#include "server/broker_context.hpp"
#include "server/session.hpp"
#include "server/session_registry.hpp"

namespace junction::kafka {
namespace asio = boost::asio;

namespace {

// How long stop() lets pending answers (long polls, fsyncs) finish.
constexpr auto kStopGrace = std::chrono::seconds(5);

GroupSettings group_settings(const KafkaConfig& config) {
  GroupSettings settings;
  settings.min_session_timeout = std::chrono::milliseconds(config.group_min_session_timeout_ms);
  settings.max_session_timeout = std::chrono::milliseconds(config.group_max_session_timeout_ms);
  settings.initial_rebalance_delay =
      std::chrono::milliseconds(config.group_initial_rebalance_delay_ms);
  return settings;
}

}  // namespace

struct KafkaTransport::Running {
  Running(Kernel& kernel, Coordinator& coordinator, const KafkaConfig& config)
      : producer_ids(kernel.broker_id()),
        producer_states(kernel),
        groups(io, group_settings(config)),
        context{kernel, coordinator, config, {}, 0, io, producer_ids, producer_states, groups},
        acceptor(io),
        work(io.get_executor()) {}

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto socket = co_await acceptor.async_accept(asio::make_strand(io), asio::use_awaitable);
      std::make_shared<Session>(std::move(socket), context, sessions)->start();
    }
  }

  asio::io_context io;
  ProducerIdAllocator producer_ids;
  ProducerStateTable producer_states;
  GroupCoordinator groups;
  BrokerContext context;
  asio::ip::tcp::acceptor acceptor;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  SessionRegistry sessions;
  std::vector<std::thread> threads;
};

KafkaTransport::KafkaTransport(KafkaConfig config) : config_(std::move(config)) {}

KafkaTransport::~KafkaTransport() { stop(); }

Result<void> KafkaTransport::start(Kernel& kernel, Coordinator& coordinator) {
  auto running = std::make_unique<Running>(kernel, coordinator, config_);
  auto& acceptor = running->acceptor;
  if (auto listening = listen_on(acceptor, config_.listen_host, config_.listen_port); !listening) {
    return listening.error();
  }
  const auto address = acceptor.local_endpoint().address();

  auto& context = running->context;
  context.advertised_host = config_.advertised_host;
  context.advertised_port = config_.advertised_port;
  if (context.advertised_host.empty()) {
    context.advertised_host =
        address.is_unspecified() ? asio::ip::host_name() : address.to_string();
    context.advertised_port = acceptor.local_endpoint().port();
  }

  asio::co_spawn(acceptor.get_executor(), running->accept_loop(), asio::detached);
  for (int i = 0; i < config_.io_threads; ++i) {
    running->threads.emplace_back([io = &running->io] { io->run(); });
  }
  running_ = std::move(running);
  return {};
}

void KafkaTransport::stop() {
  if (!running_) return;
  auto& running = *running_;
  asio::post(running.io, [&running] {
    boost::system::error_code ignored;
    running.acceptor.close(ignored);
  });
  // Held JoinGroup/SyncGroup answers keep their sessions alive until dropped.
  running.groups.stop();
  for (auto& session : running.sessions.snapshot()) session->close("broker shutting down");
  if (!running.sessions.wait_until_empty(std::chrono::steady_clock::now() + kStopGrace)) {
    kafka_logger().warn() << "connections still had answers pending at shutdown";
  }
  running.work.reset();
  running.io.stop();
  for (auto& thread : running.threads) thread.join();
  running_.reset();
}

std::string KafkaTransport::advertised_endpoint() const {
  if (!running_) return {};
  return running_->context.advertised_host + ":" +
         std::to_string(running_->context.advertised_port);
}

}  // namespace junction::kafka
