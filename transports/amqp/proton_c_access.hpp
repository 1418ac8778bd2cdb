#pragma once

#include <proton/connection.h>
#include <proton/delivery.h>
#include <proton/link.h>
#include <proton/session.h>
#include <proton/transport.h>

#include <proton/connection.hpp>
#include <proton/delivery.hpp>
#include <proton/link.hpp>
#include <proton/session.hpp>
#include <proton/transport.hpp>

namespace junction::amqp {

// The C object behind a Proton C++ wrapper, for what the C++ API lacks
// (link max-message-size, remote link properties, a rejected disposition
// with an error condition, SASL plugins). A member pointer taken through a
// derived class reaches the protected accessor without casting the object.
template <class Wrapper, class Raw>
struct ProtonCAccess : Wrapper {
  static Raw* get(const Wrapper& wrapper) {
    Raw* (proton::internal::object<Raw>::*accessor)() const = &ProtonCAccess::pn_object;
    return (wrapper.*accessor)();
  }
};

inline pn_link_t* c_link(const proton::link& link) {
  return ProtonCAccess<proton::link, pn_link_t>::get(link);
}
inline pn_delivery_t* c_delivery(const proton::delivery& delivery) {
  return ProtonCAccess<proton::delivery, pn_delivery_t>::get(delivery);
}
inline pn_session_t* c_session(const proton::session& session) {
  return ProtonCAccess<proton::session, pn_session_t>::get(session);
}
inline pn_connection_t* c_connection(const proton::connection& connection) {
  return ProtonCAccess<proton::connection, pn_connection_t>::get(connection);
}
inline pn_transport_t* c_transport(const proton::transport& transport) {
  return ProtonCAccess<proton::transport, pn_transport_t>::get(transport);
}

}  // namespace junction::amqp
