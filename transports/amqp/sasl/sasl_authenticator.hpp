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

  // For messaging_handler::on_connection_open, before opening: false (and the
  // connection closed with amqp:unauthorized-access) when the client skipped
  // SASL although ANONYMOUS is not offered.
  bool admit(proton::connection& connection) const;

 private:
  std::shared_ptr<const SaslSettings> settings_;
  int served_port_ = -1;
};

}  // namespace junction::amqp
