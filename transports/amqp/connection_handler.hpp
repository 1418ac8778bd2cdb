#pragma once

#include <memory>
#include <mutex>
#include <proton/connection.hpp>
#include <proton/messaging_handler.hpp>
#include <unordered_map>

#include "link_context.hpp"

struct pn_link_t;

namespace junction::amqp {

class IncomingLink;
class OutgoingLink;
class ConnectionRegistry;

// One client connection: dispatches link events to the link objects. Lives
// from the accept until its transport closes, when it removes itself from the
// registry (Proton sends it nothing after that).
class ConnectionHandler final : public proton::messaging_handler,
                                public std::enable_shared_from_this<ConnectionHandler> {
 public:
  ConnectionHandler(Kernel& kernel, const AmqpConfig& config, KernelCallbackTracker& callbacks,
                    ConnectionRegistry& registry);
  ~ConnectionHandler() override;

  // On the connection's thread: closes it with amqp:connection:forced.
  void close_for_shutdown();
  // After the container stopped without this connection's close event: drops
  // its links (detaching their consumers) with no more posts to Proton.
  void abandon();

  void on_transport_open(proton::transport& transport) override;
  void on_connection_open(proton::connection& connection) override;
  void on_receiver_open(proton::receiver& receiver) override;
  void on_message(proton::delivery& delivery, proton::message& message) override;
  void on_receiver_close(proton::receiver& receiver) override;
  void on_receiver_detach(proton::receiver& receiver) override;
  void on_sender_open(proton::sender& sender) override;
  void on_sendable(proton::sender& sender) override;
  void on_sender_drain_start(proton::sender& sender) override;
  void on_tracker_accept(proton::tracker& tracker) override;
  void on_tracker_reject(proton::tracker& tracker) override;
  void on_tracker_release(proton::tracker& tracker) override;
  void on_tracker_settle(proton::tracker& tracker) override;
  void on_sender_close(proton::sender& sender) override;
  void on_sender_detach(proton::sender& sender) override;
  void on_session_close(proton::session& session) override;
  void on_transport_error(proton::transport& transport) override;
  void on_transport_close(proton::transport& transport) override;
  void on_error(const proton::error_condition& condition) override;

 private:
  void incoming_closed(proton::receiver& receiver);
  void outgoing_closed(proton::sender& sender);
  OutgoingLink* outgoing(const proton::link& link);
  void close_all_links();

  LinkContext context_;
  ConnectionRegistry& registry_;
  proton::connection connection_;
  std::unordered_map<pn_link_t*, std::shared_ptr<IncomingLink>> incoming_;
  std::unordered_map<pn_link_t*, std::shared_ptr<OutgoingLink>> outgoing_;
};

// Every live connection, so stop() can close them. Used only by Proton
// threads and stop().
class ConnectionRegistry {
 public:
  void add(std::shared_ptr<ConnectionHandler> handler);
  // The connection has opened; from now on stop() can reach it.
  void attach_mailbox(ConnectionHandler* handler, std::shared_ptr<ConnectionMailbox> mailbox);
  void remove(ConnectionHandler* handler);
  // Asks every connection to close; returns how many were asked.
  std::size_t close_all();
  // Once the container has stopped: abandons and drops what is left.
  void abandon_all();
  std::size_t size();

 private:
  struct Entry {
    std::shared_ptr<ConnectionHandler> handler;
    std::shared_ptr<ConnectionMailbox> mailbox;
  };
  std::mutex mutex_;
  std::unordered_map<ConnectionHandler*, Entry> handlers_;
};

}  // namespace junction::amqp
