#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <algorithm>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/defer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace junction::websocket {

// The layer under a Beast WebSocket stream that turns many messages into one
// system call, both ways. Beast 1.74 writes every message with its own
// async_write, so a burst of acks or records cost one sendmsg (and, on
// loopback, one wake-up of the peer) each. Here a write copies its bytes into
// an outgoing buffer and completes at once (through the executor, never
// inline); the buffer goes to the socket in one write when the writers pause,
// and what is written while that write is on the wire leaves in the next one.
// Beast also reads through a 1 536-byte buffer, about ten small messages per
// recvmsg: reads here take what has arrived, up to kMaxReadBytes, and hand it
// out.
//
// `Socket`'s executor must run one handler at a time (a strand, or an
// io_context run by one thread): the layer's state is touched by the
// operations and their completions without a lock. At most one write and one
// read may be outstanding, as for any AsyncStream.
template <class Socket>
class CoalescingSocket {
 public:
  using executor_type = typename Socket::executor_type;
  using next_layer_type = Socket;

  // Buffered bytes that start a write even while writers are still busy: the
  // peer starts reading a long burst before it ends.
  static constexpr std::size_t kFlushBytes = 64 * 1024;
  // Above this, a write's completion is held until a flush makes room: a
  // client that does not read cannot grow the buffer further.
  static constexpr std::size_t kMaxBufferedBytes = 512 * 1024;
  // A read asks for kMinReadBytes, twice as much after a read that filled
  // it, half as much after one that brought less than a quarter: an idle
  // connection keeps a small buffer, a busy one reads in large gulps.
  static constexpr std::size_t kMinReadBytes = 4 * 1024;
  static constexpr std::size_t kMaxReadBytes = 64 * 1024;
  // A write buffer larger than this is freed once written.
  static constexpr std::size_t kKeptWriteBytes = 2 * kFlushBytes;

  // Constructs the socket from `args` (a socket to take over, or an executor).
  template <class... Args>
  explicit CoalescingSocket(Args&&... args)
      : state_(std::make_shared<State>(Socket(std::forward<Args>(args)...))) {}

  executor_type get_executor() noexcept { return state_->socket.get_executor(); }
  Socket& next_layer() noexcept { return state_->socket; }
  const Socket& next_layer() const noexcept { return state_->socket; }

  // Bytes received and not yet read from this layer.
  std::size_t buffered_input() const noexcept { return state_->input.size(); }

  template <class MutableBuffers, class ReadHandler>
  auto async_read_some(const MutableBuffers& buffers, ReadHandler&& handler) {
    return boost::asio::async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
        [](auto&& handler, const std::shared_ptr<State>& state, const MutableBuffers& buffers) {
          state->read(buffers, std::forward<decltype(handler)>(handler));
        },
        handler, state_, buffers);
  }

  template <class ConstBuffers, class WriteHandler>
  auto async_write_some(const ConstBuffers& buffers, WriteHandler&& handler) {
    return boost::asio::async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
        [](auto&& handler, const std::shared_ptr<State>& state, const ConstBuffers& buffers) {
          state->write(buffers, std::forward<decltype(handler)>(handler));
        },
        handler, state_, buffers);
  }

  // What Beast's close needs: everything buffered (the close frame among it)
  // reaches the peer before the TCP connection is shut down.
  template <class TeardownHandler>
  void async_teardown(boost::beast::role_type role, TeardownHandler&& handler) {
    state_->when_drained([state = state_, role, handler = std::forward<TeardownHandler>(handler)](
                             boost::system::error_code error) mutable {
      if (error) {
        boost::asio::post(state->socket.get_executor(),
                          boost::beast::bind_front_handler(std::move(handler), error));
        return;
      }
      using boost::beast::websocket::async_teardown;
      async_teardown(role, state->socket, std::move(handler));
    });
  }

 private:
  // A completion that waits for the socket: move-only, as handlers are.
  struct Waiting {
    virtual ~Waiting() = default;
    virtual void complete(boost::system::error_code error) = 0;
  };
  template <class Function>
  struct WaitingFunction final : Waiting {
    explicit WaitingFunction(Function f) : function(std::move(f)) {}
    void complete(boost::system::error_code error) override { function(error); }
    Function function;
  };
  template <class Function>
  static std::unique_ptr<Waiting> waiting(Function function) {
    return std::make_unique<WaitingFunction<Function>>(std::move(function));
  }

  // Shared with the operations in flight, which keep it alive however the
  // connection ends.
  struct State : std::enable_shared_from_this<State> {
    explicit State(Socket s) : socket(std::move(s)) {}

    // Completions go through the socket's executor and from there, as Asio
    // does for its own operations, to the handler's associated executor.
    template <class Handler>
    void complete_later(Handler&& handler, boost::system::error_code error, std::size_t bytes) {
      boost::asio::defer(socket.get_executor(), boost::beast::bind_front_handler(
                                                    std::forward<Handler>(handler), error, bytes));
    }

    template <class ConstBuffers, class Handler>
    void write(const ConstBuffers& buffers, Handler&& handler) {
      if (failure) {
        complete_later(std::forward<Handler>(handler), failure, 0);
        return;
      }
      const std::size_t bytes = boost::asio::buffer_size(buffers);
      pending.commit(boost::asio::buffer_copy(pending.prepare(bytes), buffers));
      ++writes;
      schedule_flush();
      if (pending.size() <= kMaxBufferedBytes) {
        complete_later(std::forward<Handler>(handler), {}, bytes);
        return;
      }
      held = waiting([self = this->shared_from_this(), handler = std::forward<Handler>(handler),
                      bytes](boost::system::error_code error) mutable {
        self->complete_later(std::move(handler), error, error ? 0 : bytes);
      });
    }

    template <class MutableBuffers, class Handler>
    void read(const MutableBuffers& buffers, Handler&& handler) {
      if (input.size() > 0 || boost::asio::buffer_size(buffers) == 0) {
        const std::size_t bytes = boost::asio::buffer_copy(buffers, input.data());
        input.consume(bytes);
        complete_later(std::forward<Handler>(handler), {}, bytes);
        return;
      }
      socket.async_read_some(
          input.prepare(read_size),
          boost::asio::bind_executor(
              socket.get_executor(),
              [self = this->shared_from_this(), buffers, handler = std::forward<Handler>(handler)](
                  boost::system::error_code error, std::size_t received) mutable {
                self->input.commit(received);
                self->adapt_read_size(received);
                const std::size_t bytes = boost::asio::buffer_copy(buffers, self->input.data());
                self->input.consume(bytes);
                // Already on the socket's executor: a handler on the same
                // strand runs inline.
                auto executor =
                    boost::asio::get_associated_executor(handler, self->socket.get_executor());
                boost::asio::dispatch(executor,
                                      boost::beast::bind_front_handler(
                                          std::move(handler),
                                          bytes > 0 ? boost::system::error_code{} : error, bytes));
              }));
    }

    void adapt_read_size(std::size_t received) {
      if (received == read_size) {
        read_size = std::min(2 * read_size, kMaxReadBytes);
      } else if (received < read_size / 4 && read_size > kMinReadBytes) {
        read_size /= 2;
        if (read_size == kMinReadBytes) input.shrink_to_fit();
      }
    }

    template <class Function>
    void when_drained(Function function) {
      if (failure || (pending.size() == 0 && !flushing)) {
        function(failure);
        return;
      }
      drained = waiting(std::move(function));
    }

    void schedule_flush() {
      if (flushing || flush_scheduled) return;
      flush_scheduled = true;
      boost::asio::defer(socket.get_executor(), [self = this->shared_from_this()] {
        self->flush_scheduled = false;
        self->flush_when_writers_pause();
      });
    }

    // A writer that wrote since the last look is likely to write again at
    // once (the next message of a burst): those bytes join this flush, unless
    // enough are buffered already. A pass with no write sends what there is.
    void flush_when_writers_pause() {
      if (flushing || pending.size() == 0 || failure) return;
      if (writes != writes_seen && pending.size() < kFlushBytes) {
        writes_seen = writes;
        schedule_flush();
        return;
      }
      writes_seen = writes;
      flushing = true;
      std::swap(pending, on_the_wire);
      boost::asio::async_write(
          socket, on_the_wire.data(),
          [self = this->shared_from_this()](boost::system::error_code error, std::size_t) {
            self->flushed(error);
          });
    }

    void flushed(boost::system::error_code error) {
      flushing = false;
      on_the_wire.clear();
      if (on_the_wire.capacity() > kKeptWriteBytes) on_the_wire.shrink_to_fit();
      if (error) failure = error;
      if (held && (failure || pending.size() <= kMaxBufferedBytes)) {
        std::exchange(held, nullptr)->complete(failure);
      }
      if (!failure && pending.size() > 0) {
        flush_when_writers_pause();
      } else if (drained) {
        std::exchange(drained, nullptr)->complete(failure);
      }
    }

    Socket socket;
    boost::beast::flat_buffer input;
    std::size_t read_size = kMinReadBytes;
    boost::beast::flat_buffer pending;
    boost::beast::flat_buffer on_the_wire;
    // Writes so far, and as counted when the flush last looked.
    std::uint64_t writes = 0;
    std::uint64_t writes_seen = 0;
    bool flushing = false;
    bool flush_scheduled = false;
    boost::system::error_code failure;
    std::unique_ptr<Waiting> held;
    std::unique_ptr<Waiting> drained;
  };

  std::shared_ptr<State> state_;
};

// Beast's customisation point for closing a WebSocket over this layer.
template <class Socket, class TeardownHandler>
void async_teardown(boost::beast::role_type role, CoalescingSocket<Socket>& stream,
                    TeardownHandler&& handler) {
  stream.async_teardown(role, std::forward<TeardownHandler>(handler));
}

}  // namespace junction::websocket
