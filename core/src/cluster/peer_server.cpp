#include "cluster/peer_server.hpp"

#include "cluster/peer_connection.hpp"  // first: it puts <utility> before Asio

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

#include "cluster/cluster_logger.hpp"
#include "junction/asio_listener.hpp"
#include "junction/log.hpp"

namespace junction::cluster {
namespace asio = boost::asio;

namespace {

constexpr auto kStopGrace = std::chrono::seconds(5);

std::string describe(const asio::ip::tcp::socket& socket) {
  boost::system::error_code error;
  auto endpoint = socket.remote_endpoint(error);
  if (error) return "an unknown peer";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

// The streams one connected broker subscribed through this connection. Used
// only on the connection's strand.
class ServedPeer {
 public:
  ServedPeer(std::shared_ptr<PeerConnection> connection, PeerService& service)
      : connection_(std::move(connection)), service_(service) {}

  void handle(PeerMessage message) {
    std::visit([this](auto& m) { on(m); }, message);
  }

  void detach_all() {
    for (auto& [stream, consumer] : consumers_) consumer->detach();
    consumers_.clear();
  }

 private:
  void on(Produce& m) {
    service_.serve_produce(
        m.topic, m.partition, std::move(m.batch),
        [connection = connection_, correlation = m.correlation](Result<ProduceAck> result) {
          ProduceResult answer{correlation, {}, {}};
          if (result) {
            answer.ack = *result;
          } else {
            answer.status = Status::of(result.error());
          }
          connection->send(encode_frame(answer));
        });
  }

  void on(Subscribe& m) {
    ConsumerOptions options;
    options.max_unacked_records = m.window_records;
    options.max_unacked_bytes = m.window_bytes;
    options.on_closed = [connection = connection_, stream = m.stream](const Error& error) {
      connection->send(encode_frame(Closed{stream, Status::of(error)}));
    };
    auto consumer = service_.serve_subscribe(
        m.spec, options, [connection = connection_, stream = m.stream](DeliveryBatch batch) {
          connection->send(encode_delivery(stream, batch));
        });
    Subscribed answer{m.stream, {}};
    if (consumer) {
      if (auto old = consumers_.find(m.stream); old != consumers_.end()) old->second->detach();
      consumers_[m.stream] = std::move(consumer.value());
    } else {
      answer.status = Status::of(consumer.error());
    }
    connection_->send(encode_frame(answer));
  }

  void on(Settle& m) {
    auto found = consumers_.find(m.stream);
    if (found == consumers_.end()) return;
    Consumer& consumer = *found->second;
    Result<void> settled;
    switch (m.kind) {
      case SettleKind::ack:
        settled = consumer.ack(m.partition, m.offset);
        break;
      case SettleKind::ack_through:
        settled = consumer.ack_through(m.partition, m.offset);
        break;
      case SettleKind::nack:
        settled = consumer.nack(m.partition, m.offset);
        break;
      case SettleKind::reject:
        settled = consumer.reject(m.partition, m.offset);
        break;
    }
    if (!settled) {
      logger().debug() << "settling " << m.partition << "@" << m.offset << " for "
                       << connection_->peer_name() << ": " << settled.error().message;
    }
  }

  void on(SetWindow& m) {
    if (auto found = consumers_.find(m.stream); found != consumers_.end())
      found->second->set_max_unacked(m.records, m.bytes);
  }

  void on(Detach& m) {
    auto found = consumers_.find(m.stream);
    if (found == consumers_.end()) return;
    found->second->detach();
    consumers_.erase(found);
  }

  void on(DeleteSubscription& m) {
    DeleteSubscriptionResult answer{m.correlation, {}};
    if (auto deleted = service_.serve_delete_subscription(m.topic, m.name); !deleted)
      answer.status = Status::of(deleted.error());
    connection_->send(encode_frame(answer));
  }

  // Answers and handshakes are never requests.
  template <class Other>
  void on(Other&) {
    connection_->close("unexpected message type for a request");
  }

  std::shared_ptr<PeerConnection> connection_;
  PeerService& service_;
  std::map<std::uint64_t, std::shared_ptr<Consumer>> consumers_;
};

}  // namespace

struct PeerServer::Impl : std::enable_shared_from_this<PeerServer::Impl> {
  Impl(PeerRuntime& runtime, std::int32_t self_id, PeerService& service)
      : io(runtime.io()), acceptor(io), self_id(self_id), service(service) {}

  asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
    for (;;) {
      boost::system::error_code error;
      auto socket = co_await acceptor.async_accept(
          asio::make_strand(io), asio::redirect_error(asio::use_awaitable, error));
      if (error) co_return;
      serve(std::move(socket));
    }
  }

  void serve(asio::ip::tcp::socket socket) {
    std::string name = describe(socket);
    auto connection = std::make_shared<PeerConnection>(std::move(socket), std::move(name));
    auto served = std::make_shared<ServedPeer>(connection, service);
    {
      std::lock_guard lock(mutex);
      if (stopping) return;
      connections.push_back(connection);
      ++open;
    }
    std::weak_ptr<PeerConnection> weak = connection;
    connection->start(
        self_id, std::nullopt,
        [served](PeerMessage message) { served->handle(std::move(message)); },
        [served, self = shared_from_this(), weak] {
          served->detach_all();
          std::lock_guard lock(self->mutex);
          std::erase_if(self->connections, [&weak](const auto& c) {
            return !c.owner_before(weak) && !weak.owner_before(c);
          });
          --self->open;
          self->closed.notify_all();
        });
  }

  asio::io_context& io;
  asio::ip::tcp::acceptor acceptor;
  const std::int32_t self_id;
  PeerService& service;
  std::string bound;
  std::mutex mutex;
  std::condition_variable closed;
  std::vector<std::weak_ptr<PeerConnection>> connections;
  std::size_t open = 0;
  bool stopping = false;
};

Result<std::unique_ptr<PeerServer>> PeerServer::listen(PeerRuntime& runtime,
                                                       const HostPort& address,
                                                       std::int32_t self_id, PeerService& service) {
  auto impl = std::make_shared<Impl>(runtime, self_id, service);
  if (auto listening = listen_on(impl->acceptor, address.host, address.port); !listening) {
    return make_error(listening.error().code, "inter-broker channel: " + listening.error().message);
  }
  const auto ip = impl->acceptor.local_endpoint().address();
  impl->bound = ip.to_string() + ":" + std::to_string(impl->acceptor.local_endpoint().port());
  asio::co_spawn(impl->acceptor.get_executor(), impl->accept_loop(impl), asio::detached);
  return std::unique_ptr<PeerServer>(new PeerServer(std::move(impl)));
}

PeerServer::PeerServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

PeerServer::~PeerServer() { stop(); }

std::string PeerServer::bound_endpoint() const { return impl_->bound; }

void PeerServer::stop() {
  std::vector<std::weak_ptr<PeerConnection>> connections;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
    connections = impl_->connections;
  }
  asio::post(impl_->io, [impl = impl_] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
  });
  for (auto& weak : connections) {
    if (auto connection = weak.lock()) connection->close("");
  }
  std::unique_lock lock(impl_->mutex);
  if (!impl_->closed.wait_for(lock, kStopGrace, [this] { return impl_->open == 0; })) {
    logger().warn() << "inter-broker connections were still open at shutdown";
  }
}

}  // namespace junction::cluster
