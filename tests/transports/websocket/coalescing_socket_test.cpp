#include "coalescing_socket.hpp"

#include <gtest/gtest.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace junction::websocket {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Coalescing = CoalescingSocket<tcp::socket>;

// Two ends of a real loopback TCP connection on one single-threaded io_context.
struct Loopback {
  Loopback() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    near.next_layer().connect(acceptor.local_endpoint());
    acceptor.accept(far);
  }
  asio::io_context io{1};
  Coalescing near{io};
  tcp::socket far{io};
};

std::string numbered_messages(int count) {
  std::string all;
  for (int i = 0; i < count; ++i) all += "message " + std::to_string(i) + "\n";
  return all;
}

// Writes `messages` one async_write at a time, each after the last completed.
class Writer {
 public:
  Writer(Coalescing& socket, std::vector<std::string> messages)
      : socket_(socket), messages_(std::move(messages)) {}
  void start() { next(); }
  std::size_t completed() const { return completed_; }
  bool completed_inline() const { return completed_inline_; }
  boost::system::error_code error() const { return error_; }

 private:
  void next() {
    if (completed_ == messages_.size()) return;
    initiating_ = true;
    asio::async_write(socket_, asio::buffer(messages_[completed_]),
                      [this](boost::system::error_code error, std::size_t) {
                        completed_inline_ |= initiating_;
                        error_ = error;
                        if (error) return;
                        ++completed_;
                        next();
                      });
    initiating_ = false;
  }

  Coalescing& socket_;
  std::vector<std::string> messages_;
  std::size_t completed_ = 0;
  bool initiating_ = false;
  bool completed_inline_ = false;
  boost::system::error_code error_;
};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = text.find('\n', at) + 1;
    lines.push_back(text.substr(at, end - at));
    at = end;
  }
  return lines;
}

TEST(WebsocketCoalescing, ManyWritesArriveWholeAndInOrderAndNeverCompleteInline) {
  Loopback loopback;
  const auto expected = numbered_messages(20'000);
  Writer writer(loopback.near, split_lines(expected));
  std::string received;
  asio::async_read(loopback.far, asio::dynamic_buffer(received),
                   asio::transfer_exactly(expected.size()),
                   [](boost::system::error_code, std::size_t) {});
  writer.start();
  loopback.io.run_for(std::chrono::seconds(20));
  EXPECT_FALSE(writer.error()) << writer.error().message();
  EXPECT_EQ(writer.completed(), 20'000u);
  EXPECT_FALSE(writer.completed_inline());
  EXPECT_EQ(received, expected);
}

TEST(WebsocketCoalescing, SmallReadsGetEveryByteInOrderThenTheEnd) {
  Loopback loopback;
  const auto expected = numbered_messages(5'000);
  asio::write(loopback.far, asio::buffer(expected));
  loopback.far.shutdown(tcp::socket::shutdown_send);
  std::string received;
  boost::system::error_code end;
  std::function<void()> read_next = [&] {
    auto chunk = std::make_shared<std::array<char, 7>>();
    loopback.near.async_read_some(asio::buffer(*chunk),
                                  [&, chunk](boost::system::error_code error, std::size_t bytes) {
                                    received.append(chunk->data(), bytes);
                                    if (error) {
                                      end = error;
                                      return;
                                    }
                                    read_next();
                                  });
  };
  read_next();
  loopback.io.run_for(std::chrono::seconds(20));
  EXPECT_EQ(end, asio::error::eof);
  EXPECT_EQ(received, expected);
}

TEST(WebsocketCoalescing, AReaderThatStopsHoldsTheWriterThenEverythingArrives) {
  Loopback loopback;
  // Small kernel buffers, so what the layer holds is most of what is in flight.
  loopback.near.next_layer().set_option(asio::socket_base::send_buffer_size(64 * 1024));
  loopback.far.set_option(asio::socket_base::receive_buffer_size(64 * 1024));
  const auto expected = numbered_messages(300'000);  // about 4 MiB
  Writer writer(loopback.near, split_lines(expected));
  writer.start();
  // Nothing reads: the writer must stop being completed well short of the end.
  loopback.io.run_for(std::chrono::milliseconds(500));
  // Each message is at most 15 bytes.
  EXPECT_LT(writer.completed() * 15, Coalescing::kMaxBufferedBytes + 1024 * 1024);

  std::string received;
  asio::async_read(loopback.far, asio::dynamic_buffer(received),
                   asio::transfer_exactly(expected.size()),
                   [](boost::system::error_code, std::size_t) {});
  loopback.io.restart();
  loopback.io.run_for(std::chrono::seconds(20));
  EXPECT_FALSE(writer.error()) << writer.error().message();
  EXPECT_EQ(writer.completed(), 300'000u);
  EXPECT_EQ(received, expected);
}

TEST(WebsocketCoalescing, TeardownSendsWhatIsBufferedBeforeTheEnd) {
  Loopback loopback;
  const auto expected = numbered_messages(1'000);
  Writer writer(loopback.near, split_lines(expected));
  writer.start();
  // Every write completed: the bytes may still be in the layer, as Beast's
  // close frame is when it tears the connection down.
  while (writer.completed() < 1'000 && !writer.error()) {
    ASSERT_EQ(loopback.io.run_one_for(std::chrono::seconds(5)), 1u);
  }
  std::optional<boost::system::error_code> teardown_result;
  async_teardown(boost::beast::role_type::server, loopback.near,
                 [&](boost::system::error_code error) { teardown_result = error; });
  std::string received;
  boost::system::error_code read_end;
  asio::async_read(loopback.far, asio::dynamic_buffer(received),
                   [&](boost::system::error_code error, std::size_t) {
                     read_end = error;
                     loopback.far.close();
                   });
  loopback.io.run_for(std::chrono::seconds(20));
  EXPECT_EQ(read_end, asio::error::eof);
  EXPECT_EQ(received, expected);
  ASSERT_TRUE(teardown_result.has_value());
  EXPECT_FALSE(*teardown_result) << teardown_result->message();
}

}  // namespace
}  // namespace junction::websocket
