#pragma once

// For plugins built on Asio: binding a listening socket the way every
// Junction listener does. Header-only, so plugins without Asio never see it.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>

#include "junction/result.hpp"

namespace junction {

// Resolves `host` (an address or a name), then opens, binds with
// reuse_address and listens. The error names "host:port" and the cause.
inline Result<void> listen_on(boost::asio::ip::tcp::acceptor& acceptor, const std::string& host,
                              std::uint16_t port) {
  namespace asio = boost::asio;
  const std::string where = host + ":" + std::to_string(port);
  boost::system::error_code error;
  auto address = asio::ip::make_address(host, error);
  if (error) {
    asio::ip::tcp::resolver resolver(acceptor.get_executor());
    auto results = resolver.resolve(host, "", error);
    if (!error && !results.empty()) address = results.begin()->endpoint().address();
  }
  if (error) return make_error(Errc::io_error, "cannot resolve " + where + ": " + error.message());
  const asio::ip::tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error)
    return make_error(Errc::io_error, "cannot listen on " + where + ": " + error.message());
  return {};
}

}  // namespace junction
