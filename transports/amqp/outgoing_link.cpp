#include "outgoing_link.hpp"

#include <proton/error_condition.hpp>
#include <proton/sender.hpp>

#include "amqp_conditions.hpp"

namespace junction::amqp {

std::shared_ptr<OutgoingLink> OutgoingLink::open(proton::sender& sender, LinkContext&) {
  refuse_link(sender,
              proton::error_condition(kNotImplemented, "receiving from the broker is not ready"));
  return nullptr;
}

void OutgoingLink::on_sendable(proton::sender&) {}
void OutgoingLink::on_drain_start(proton::sender&) {}
void OutgoingLink::on_accept(proton::tracker&) {}
void OutgoingLink::on_reject(proton::tracker&) {}
void OutgoingLink::on_release(proton::tracker&) {}
void OutgoingLink::on_settle(proton::tracker&) {}
void OutgoingLink::closed() {}

}  // namespace junction::amqp
