#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

namespace junction::websocket {

// Each connection's strand, by its concrete type: Beast and Asio copy and
// query the executor for every operation, which through any_io_executor costs
// a heap-shared copy each time.
using ConnectionExecutor = boost::asio::strand<boost::asio::io_context::executor_type>;
using ConnectionSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, ConnectionExecutor>;

}  // namespace junction::websocket
