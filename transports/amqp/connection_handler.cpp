#include "connection_handler.hpp"

#include <proton/container.hpp>
#include <proton/delivery.hpp>
#include <proton/duration.hpp>
#include <proton/error_condition.hpp>
#include <proton/receiver.hpp>
#include <proton/sender.hpp>
#include <proton/session.hpp>
#include <proton/tracker.hpp>
#include <proton/transport.hpp>
#include <proton/work_queue.hpp>

#include "amqp_conditions.hpp"
#include "amqp_logger.hpp"
#include "incoming_link.hpp"
#include "outgoing_link.hpp"
#include "proton_c_access.hpp"

namespace junction::amqp {
namespace {

// How long a client closed by stop() gets to answer with its own close.
const proton::duration kCloseAnswerWait(1000);

}  // namespace

ConnectionHandler::ConnectionHandler(Kernel& kernel, const AmqpConfig& config,
                                     KernelCallbackTracker& callbacks, ConnectionRegistry& registry)
    : context_{kernel, config, callbacks, nullptr}, registry_(registry) {}

ConnectionHandler::~ConnectionHandler() = default;

// Clients may keep a connection closed with amqp:connection:forced open to
// reconnect (Python's Proton does), so the socket is dropped if the client has
// not answered the close in time.
void ConnectionHandler::close_for_shutdown() {
  if (connection_.closed()) return;
  connection_.close(proton::error_condition(kConnectionForced, "the broker is stopping"));
  connection_.container().schedule(
      kCloseAnswerWait, [mailbox = context_.mailbox, weak = weak_from_this()] {
        mailbox->post([weak] {
          if (auto self = weak.lock())
            pn_transport_close_tail(c_transport(self->connection_.transport()));
        });
      });
}

// Comes with the client's open (after SASL), or at the close of a connection
// that never opened.
void ConnectionHandler::on_transport_open(proton::transport& transport) {
  if (context_.mailbox) return;
  connection_ = transport.connection();
  context_.mailbox = std::make_shared<ConnectionMailbox>(connection_.work_queue());
  registry_.attach_mailbox(this, context_.mailbox);
}

void ConnectionHandler::on_connection_open(proton::connection& connection) {
  connection_ = connection;
  if (!connection.active()) connection.open();
}

void ConnectionHandler::on_receiver_open(proton::receiver& receiver) {
  if (auto link = IncomingLink::open(receiver, context_)) {
    incoming_.emplace(c_link(receiver), std::move(link));
  }
}

void ConnectionHandler::on_message(proton::delivery& delivery, proton::message& message) {
  auto found = incoming_.find(c_link(delivery.receiver()));
  if (found != incoming_.end()) found->second->on_message(delivery, message);
}

void ConnectionHandler::on_receiver_close(proton::receiver& receiver) { incoming_closed(receiver); }
void ConnectionHandler::on_receiver_detach(proton::receiver& receiver) {
  incoming_closed(receiver);
}

void ConnectionHandler::incoming_closed(proton::receiver& receiver) {
  auto found = incoming_.find(c_link(receiver));
  if (found == incoming_.end()) return;
  found->second->closed();
  incoming_.erase(found);
}

void ConnectionHandler::on_sender_open(proton::sender& sender) {
  if (auto link = OutgoingLink::open(sender, context_)) {
    outgoing_.emplace(c_link(sender), std::move(link));
  }
}

OutgoingLink* ConnectionHandler::outgoing(const proton::link& link) {
  auto found = outgoing_.find(c_link(link));
  return found == outgoing_.end() ? nullptr : found->second.get();
}

void ConnectionHandler::on_sendable(proton::sender& sender) {
  if (auto* link = outgoing(sender)) link->on_sendable(sender);
}
void ConnectionHandler::on_sender_drain_start(proton::sender& sender) {
  if (auto* link = outgoing(sender)) link->on_drain_start(sender);
}
void ConnectionHandler::on_tracker_accept(proton::tracker& tracker) {
  if (auto* link = outgoing(tracker.sender())) link->on_accept(tracker);
}
void ConnectionHandler::on_tracker_reject(proton::tracker& tracker) {
  if (auto* link = outgoing(tracker.sender())) link->on_reject(tracker);
}
void ConnectionHandler::on_tracker_release(proton::tracker& tracker) {
  if (auto* link = outgoing(tracker.sender())) link->on_release(tracker);
}
void ConnectionHandler::on_tracker_settle(proton::tracker& tracker) {
  if (auto* link = outgoing(tracker.sender())) link->on_settle(tracker);
}

void ConnectionHandler::on_sender_close(proton::sender& sender) { outgoing_closed(sender); }
void ConnectionHandler::on_sender_detach(proton::sender& sender) { outgoing_closed(sender); }

void ConnectionHandler::outgoing_closed(proton::sender& sender) {
  auto found = outgoing_.find(c_link(sender));
  if (found == outgoing_.end()) return;
  found->second->closed();
  outgoing_.erase(found);
}

// Ending a session ends its links without a detach for each.
void ConnectionHandler::on_session_close(proton::session& session) {
  pn_session_t* ended = c_session(session);
  for (auto it = incoming_.begin(); it != incoming_.end();) {
    if (pn_link_session(it->first) != ended) {
      ++it;
      continue;
    }
    it->second->closed();
    it = incoming_.erase(it);
  }
  for (auto it = outgoing_.begin(); it != outgoing_.end();) {
    if (pn_link_session(it->first) != ended) {
      ++it;
      continue;
    }
    it->second->closed();
    it = outgoing_.erase(it);
  }
}

void ConnectionHandler::close_all_links() {
  for (auto& [raw, link] : incoming_) link->closed();
  for (auto& [raw, link] : outgoing_) link->closed();
  incoming_.clear();
  outgoing_.clear();
}

void ConnectionHandler::abandon() {
  if (context_.mailbox) context_.mailbox->close();
  close_all_links();
}

void ConnectionHandler::on_transport_error(proton::transport& transport) {
  auto error = transport.error();
  amqp_logger().info() << "connection closed on error: " << error.name() << ": "
                       << error.description();
}

void ConnectionHandler::on_transport_close(proton::transport&) {
  close_all_links();
  if (context_.mailbox) context_.mailbox->close();
  // Proton holds no reference to this handler after this event; the registry
  // drops the last one, so nothing may touch members below.
  registry_.remove(this);
}

void ConnectionHandler::on_error(const proton::error_condition& condition) {
  amqp_logger().info() << "connection error: " << condition.name() << ": "
                       << condition.description();
}

void ConnectionRegistry::add(std::shared_ptr<ConnectionHandler> handler) {
  std::lock_guard lock(mutex_);
  auto* key = handler.get();
  handlers_.emplace(key, Entry{std::move(handler), nullptr});
}

void ConnectionRegistry::attach_mailbox(ConnectionHandler* handler,
                                        std::shared_ptr<ConnectionMailbox> mailbox) {
  std::lock_guard lock(mutex_);
  if (auto found = handlers_.find(handler); found != handlers_.end()) {
    found->second.mailbox = std::move(mailbox);
  }
}

void ConnectionRegistry::remove(ConnectionHandler* handler) {
  std::shared_ptr<ConnectionHandler> removed;
  {
    std::lock_guard lock(mutex_);
    auto found = handlers_.find(handler);
    if (found == handlers_.end()) return;
    removed = std::move(found->second.handler);
    handlers_.erase(found);
  }
}

// Handlers are only ever dropped on their own connection's thread, so this
// posts weak references and holds the lock instead of copying owners out.
std::size_t ConnectionRegistry::close_all() {
  std::lock_guard lock(mutex_);
  std::size_t asked = 0;
  for (auto& [key, entry] : handlers_) {
    if (!entry.mailbox) continue;
    std::weak_ptr<ConnectionHandler> weak = entry.handler;
    bool posted = entry.mailbox->post([weak] {
      if (auto handler = weak.lock()) handler->close_for_shutdown();
    });
    asked += posted ? 1 : 0;
  }
  return asked;
}

void ConnectionRegistry::abandon_all() {
  std::unordered_map<ConnectionHandler*, Entry> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(handlers_);
  }
  for (auto& [key, entry] : left) entry.handler->abandon();
}

std::size_t ConnectionRegistry::size() {
  std::lock_guard lock(mutex_);
  return handlers_.size();
}

}  // namespace junction::amqp
