#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "frame_codec.hpp"
#include "junction/kernel.hpp"
#include "junction/log.hpp"
#include "kernel_mailbox.hpp"
#include "socket_io.hpp"

namespace junction::zeromq {

// DEALER consumers of named (queue / multicast) subscriptions: one kernel
// consumer per (peer, topic), a window equal to the peer's credit, acks and
// nacks passed through, and peers silent past the heartbeat detached so their
// unacked records go to the others. I/O thread only.
class QueueSessions {
 public:
  using Send = std::function<bool(const Envelope&, const std::vector<std::string_view>&)>;

  QueueSessions(Kernel& kernel, std::shared_ptr<KernelMailbox> mailbox,
                std::chrono::milliseconds heartbeat, Send send, const Logger& log);
  ~QueueSessions();

  void subscribe(const Envelope& peer, const SubscribeCommand& command);
  void settle(const Envelope& peer, const SettleCommand& command);
  void unsubscribe(const Envelope& peer, const std::string& topic);
  // Any frame from a peer proves it alive.
  void heard_from(const Envelope& peer);
  void detach_silent_peers();
  void detach_all();

 private:
  struct Session {
    std::uint64_t id = 0;
    Envelope peer;
    std::string group;
    std::shared_ptr<Consumer> consumer;
  };
  using SessionKey = std::pair<std::string, std::string>;  // identity, topic

  void deliver(std::uint64_t id, const DeliveryBatch& batch);
  void closed_by_kernel(std::uint64_t id, const Error& error);
  Session* find(std::uint64_t id);
  void erase(std::map<SessionKey, Session>::iterator session);
  void error(const Envelope& peer, const char* code, const std::string& text);

  Kernel& kernel_;
  std::shared_ptr<KernelMailbox> mailbox_;
  std::chrono::milliseconds heartbeat_;
  Send send_;
  const Logger& log_;
  std::uint64_t next_id_ = 1;
  std::map<SessionKey, Session> sessions_;
  // Kernel callbacks name their session by id: a key may be reused by a new
  // session after a detach, an id never is.
  std::map<std::uint64_t, SessionKey> keys_by_id_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_heard_;
};

}  // namespace junction::zeromq
