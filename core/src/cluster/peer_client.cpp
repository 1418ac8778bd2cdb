#include "cluster/peer_client.hpp"

#include "cluster/peer_connection.hpp"  // first: it puts <utility> before Asio

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <vector>

#include "cluster/cluster_logger.hpp"
#include "junction/config.hpp"
#include "junction/log.hpp"

namespace junction::cluster {
namespace asio = boost::asio;

// Everything below runs on `strand`.
struct PeerClient::Impl : std::enable_shared_from_this<PeerClient::Impl> {
  Impl(PeerRuntime& runtime, std::int32_t self_id, std::int32_t peer_id)
      : io(runtime.io()), strand(asio::make_strand(io)), self_id(self_id), peer_id(peer_id) {}

  template <class F>
  void run(F f) {
    asio::post(strand, [self = shared_from_this(), f = std::move(f)]() mutable { f(*self); });
  }

  Error lost(const std::string& why) const {
    return make_error(Errc::leader_not_available,
                      "broker " + std::to_string(peer_id) + " cannot be reached: " + why);
  }

  // Sends now, or once connected; frames keep their order either way.
  void send(std::string frame) {
    if (closed) return;
    if (connection) {
      connection->send(std::move(frame));
      return;
    }
    waiting.push_back(std::move(frame));
    if (!connecting) connect();
  }

  void connect() {
    connecting = true;
    asio::co_spawn(strand, dial(shared_from_this(), endpoint, ++generation), asio::detached);
  }

  asio::awaitable<void> dial(std::shared_ptr<Impl> self, std::string target,
                             std::uint64_t attempt) {
    auto address = parse_host_port(target);
    boost::system::error_code error;
    asio::ip::tcp::socket socket(strand);
    if (!address) {
      failed(attempt, target.empty() ? "no cluster endpoint is known"
                                     : "bad cluster endpoint '" + target + "'");
      co_return;
    }
    asio::ip::tcp::resolver resolver(strand);
    auto endpoints =
        co_await resolver.async_resolve(address->host, std::to_string(address->port),
                                        asio::redirect_error(asio::use_awaitable, error));
    if (!error) {
      co_await asio::async_connect(socket, endpoints,
                                   asio::redirect_error(asio::use_awaitable, error));
    }
    if (attempt != generation || closed) co_return;
    if (error) {
      failed(attempt, "connecting to " + target + ": " + error.message());
      co_return;
    }
    auto fresh = std::make_shared<PeerConnection>(std::move(socket), target);
    std::weak_ptr<PeerConnection> weak = fresh;
    fresh->start(
        self_id, peer_id, [self](PeerMessage message) { self->handle(std::move(message)); },
        [self, weak] {
          self->run([weak](Impl& impl) {
            if (impl.connection && weak.lock() == impl.connection) {
              impl.connection.reset();
              impl.fail_all(impl.lost("the connection was closed"));
            }
          });
        });
    connection = fresh;
    connecting = false;
    for (auto& frame : waiting) connection->send(std::move(frame));
    waiting.clear();
  }

  void failed(std::uint64_t attempt, const std::string& why) {
    if (attempt != generation) return;
    connecting = false;
    waiting.clear();
    logger().debug() << "inter-broker channel to broker " << peer_id << ": " << why;
    fail_all(lost(why));
  }

  void fail_all(const Error& error) {
    auto produces = std::move(pending_produces);
    pending_produces.clear();
    auto deletes = std::move(pending_deletes);
    pending_deletes.clear();
    auto ended = std::move(streams);
    streams.clear();
    for (auto& [correlation, done] : produces) done(error);
    for (auto& [correlation, done] : deletes) done(error);
    for (auto& [stream, events] : ended) events.ended(error);
  }

  void drop_connection(const std::string& why) {
    ++generation;
    connecting = false;
    waiting.clear();
    if (connection) connection->close("");
    connection.reset();
    fail_all(lost(why));
  }

  void handle(PeerMessage message) {
    run([message = std::move(message)](Impl& impl) mutable {
      std::visit([&impl](auto& m) { impl.on(m); }, message);
    });
  }

  void on(ProduceResult& m) {
    auto found = pending_produces.find(m.correlation);
    if (found == pending_produces.end()) return;
    auto done = std::move(found->second);
    pending_produces.erase(found);
    if (m.status.code) {
      done(m.status.error());
    } else {
      done(m.ack);
    }
  }
  void on(Subscribed& m) {
    if (!m.status.code) return;
    end_stream(m.stream, m.status.error());
  }
  void on(Deliver& m) {
    auto found = streams.find(m.stream);
    if (found != streams.end()) found->second.deliver(std::move(m));
  }
  void on(Closed& m) { end_stream(m.stream, m.status.error()); }
  void on(DeleteSubscriptionResult& m) {
    auto found = pending_deletes.find(m.correlation);
    if (found == pending_deletes.end()) return;
    auto done = std::move(found->second);
    pending_deletes.erase(found);
    if (m.status.code) {
      done(m.status.error());
    } else {
      done(Result<void>{});
    }
  }
  template <class Other>
  void on(Other&) {
    if (connection) connection->close("unexpected message type for an answer");
  }

  void end_stream(std::uint64_t stream, const Error& error) {
    auto found = streams.find(stream);
    if (found == streams.end()) return;
    auto events = std::move(found->second);
    streams.erase(found);
    events.ended(error);
  }

  asio::io_context& io;
  asio::strand<asio::io_context::executor_type> strand;
  const std::int32_t self_id;
  const std::int32_t peer_id;
  std::string endpoint;
  std::shared_ptr<PeerConnection> connection;
  std::vector<std::string> waiting;
  bool connecting = false;
  bool closed = false;
  std::uint64_t generation = 0;
  std::uint64_t next_correlation = 1;
  std::map<std::uint64_t, ProduceCallback> pending_produces;
  std::map<std::uint64_t, std::function<void(Result<void>)>> pending_deletes;
  std::map<std::uint64_t, StreamEvents> streams;
  std::atomic<std::uint64_t> next_stream{1};
};

PeerClient::PeerClient(PeerRuntime& runtime, std::int32_t self_id, std::int32_t peer_id)
    : impl_(std::make_shared<Impl>(runtime, self_id, peer_id)) {}

PeerClient::~PeerClient() { close(); }

std::int32_t PeerClient::peer_id() const { return impl_->peer_id; }

void PeerClient::set_endpoint(const std::string& endpoint) {
  impl_->run([endpoint](Impl& impl) {
    if (impl.endpoint == endpoint) return;
    impl.endpoint = endpoint;
    impl.drop_connection("its cluster endpoint changed");
  });
}

void PeerClient::produce(const std::string& topic, std::int32_t partition, std::string batch,
                         ProduceCallback done) {
  impl_->run(
      [topic, partition, batch = std::move(batch), done = std::move(done)](Impl& impl) mutable {
        if (impl.closed) return done(impl.lost("the broker is shutting down"));
        const auto correlation = impl.next_correlation++;
        impl.pending_produces.emplace(correlation, std::move(done));
        impl.send(encode_frame(Produce{correlation, topic, partition, std::move(batch)}));
      });
}

std::uint64_t PeerClient::subscribe(const SubscriptionSpec& spec, std::uint32_t window_records,
                                    std::uint64_t window_bytes, StreamEvents events) {
  const auto stream = impl_->next_stream.fetch_add(1);
  impl_->run(
      [stream, spec, window_records, window_bytes, events = std::move(events)](Impl& impl) mutable {
        if (impl.closed) return events.ended(impl.lost("the broker is shutting down"));
        impl.streams.emplace(stream, std::move(events));
        impl.send(encode_frame(Subscribe{stream, spec, window_records, window_bytes}));
      });
  return stream;
}

void PeerClient::settle(SettleKind kind, std::uint64_t stream, std::int32_t partition,
                        std::int64_t offset) {
  impl_->run([=](Impl& impl) {
    if (impl.streams.contains(stream))
      impl.send(encode_frame(Settle{kind, stream, partition, offset}));
  });
}

void PeerClient::set_window(std::uint64_t stream, std::uint32_t records, std::uint64_t bytes) {
  impl_->run([=](Impl& impl) {
    if (impl.streams.contains(stream)) impl.send(encode_frame(SetWindow{stream, records, bytes}));
  });
}

void PeerClient::detach(std::uint64_t stream) {
  impl_->run([=](Impl& impl) {
    if (impl.streams.erase(stream) == 0) return;
    if (impl.connection || impl.connecting) impl.send(encode_frame(Detach{stream}));
  });
}

void PeerClient::delete_subscription(const std::string& topic, const std::string& name,
                                     std::function<void(Result<void>)> done) {
  impl_->run([topic, name, done = std::move(done)](Impl& impl) mutable {
    if (impl.closed) return done(impl.lost("the broker is shutting down"));
    const auto correlation = impl.next_correlation++;
    impl.pending_deletes.emplace(correlation, std::move(done));
    impl.send(encode_frame(DeleteSubscription{correlation, topic, name}));
  });
}

void PeerClient::close() {
  impl_->run([](Impl& impl) {
    if (impl.closed) return;
    impl.closed = true;
    impl.drop_connection("the broker is shutting down");
  });
}

}  // namespace junction::cluster
