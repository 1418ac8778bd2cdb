#pragma once

#include <memory>

#include <proton/connection.hpp>
#include <proton/connection_options.hpp>
#include <proton/listener.hpp>

#include "junction/log.hpp"
#include "sasl/sasl_config.hpp"

namespace junction::amqp {

struct SaslSettings;

// Junction's server side of SASL: ANONYMOUS and PLAIN, checked against
// SaslConfig. Debian's Proton is built without Cyrus SASL, so its own server
// side cannot check PLAIN; and Proton C++ hands out no accepted transport before
// the SASL exchange starts. So while any authenticator exists, Junction's
// implementation is Proton's default for every transport of the process, and a
// connection finds its authenticator by the local port it was accepted on.
// Proton transports that act as clients in this process fail SASL meanwhile.
class SaslAuthenticator {
 public:
  SaslAuthenticator(SaslConfig config, const Logger& logger);
  ~SaslAuthenticator();
  SaslAuthenticator(const SaslAuthenticator&) = delete;
  SaslAuthenticator& operator=(const SaslAuthenticator&) = delete;

  // For listen_handler::on_accept: offers only the configured mechanisms on
  // the accepted connection, and serves the listener's port from now on.
  proton::connection_options accept(proton::listener& listener);

  // Whether the connection may be used: it authenticated through SASL, or it
  // skipped SASL while ANONYMOUS is offered (Proton lets a client skip SASL,
  // and offers no way to forbid it before the transport is in use).
  bool admitted(const proton::connection& connection) const;

  // For messaging_handler::on_connection_open, before opening: closes a
  // connection that is not admitted with amqp:unauthorized-access, logged.
  // Frames the client pipelined behind its open still arrive as events: the
  // session, link and message handlers must check admitted() as well.
  bool admit(proton::connection& connection) const;

 private:
  std::shared_ptr<const SaslSettings> settings_;
  int served_port_ = -1;
};

}  // namespace junction::amqp
