#include "queue_sessions.hpp"

namespace junction::zeromq {
namespace {

// Credit bounds records; bytes are bounded only to keep one peer's share of
// broker memory sane.
constexpr std::uint64_t kMaxUnackedBytes = 64u << 20;

}  // namespace

QueueSessions::QueueSessions(Kernel& kernel, std::shared_ptr<KernelMailbox> mailbox,
                             std::chrono::milliseconds heartbeat, Send send, const Logger& log)
    : kernel_(kernel),
      mailbox_(std::move(mailbox)),
      heartbeat_(heartbeat),
      send_(std::move(send)),
      log_(log) {}

QueueSessions::~QueueSessions() { detach_all(); }

void QueueSessions::error(const Envelope& peer, const char* code, const std::string& text) {
  send_(peer, {kVersion, "ERR", code, text});
}

void QueueSessions::subscribe(const Envelope& peer, const SubscribeCommand& command) {
  SessionKey key{peer.front(), command.topic};
  if (auto existing = sessions_.find(key); existing != sessions_.end()) {
    if (existing->second.group != command.group) {
      return error(peer, codes::bad_request,
                   "SUB: this peer already consumes \"" + command.topic + "\" in group \"" +
                       existing->second.group + "\"");
    }
    // A repeated SUB changes the credit, as AMQP link credit would.
    existing->second.consumer->set_max_unacked(command.credit, kMaxUnackedBytes);
    send_(peer, {kVersion, "OK", command.topic, command.group});
    return;
  }
  const auto id = next_id_++;
  SubscriptionSpec spec;
  spec.topic = command.topic;
  spec.name = command.group;
  spec.mode = DeliveryMode::queue;
  spec.start = command.start;
  ConsumerOptions options;
  options.max_unacked_records = command.credit;
  options.max_unacked_bytes = kMaxUnackedBytes;
  options.on_closed = [this, mailbox = mailbox_, id](const Error& error) {
    mailbox->post([this, id, error] { closed_by_kernel(id, error); });
  };
  auto consumer =
      kernel_.subscribe(spec, options, [this, mailbox = mailbox_, id](DeliveryBatch batch) {
        mailbox->post([this, id, batch = std::move(batch)] { deliver(id, batch); });
      });
  if (!consumer) {
    return error(peer, error_code(consumer.error().code), consumer.error().message);
  }
  sessions_.emplace(key, Session{id, peer, command.group, std::move(*consumer)});
  keys_by_id_.emplace(id, key);
  log_.debug() << "peer joined group \"" << command.group << "\" of topic \"" << command.topic
               << "\" with credit " << command.credit;
  send_(peer, {kVersion, "OK", command.topic, command.group});
}

QueueSessions::Session* QueueSessions::find(std::uint64_t id) {
  auto key = keys_by_id_.find(id);
  if (key == keys_by_id_.end()) return nullptr;
  return &sessions_.at(key->second);
}

void QueueSessions::erase(std::map<SessionKey, Session>::iterator session) {
  session->second.consumer->detach();
  keys_by_id_.erase(session->second.id);
  sessions_.erase(session);
}

void QueueSessions::deliver(std::uint64_t id, const DeliveryBatch& batch) {
  auto* session = find(id);
  // Detached meanwhile: the kernel has already given these records to others.
  if (!session) return;
  std::vector<std::string_view> frames;
  for (const auto& delivered : batch.records) {
    const auto& stored = *delivered.record;
    const auto partition = decimal(delivered.partition);
    const auto offset = decimal(stored.offset);
    const auto timestamp = decimal(stored.record.timestamp_ms);
    frames.assign({kVersion, "MSG", batch.topic, partition, offset, timestamp});
    append_record_frames(stored.record, frames);
    if (!send_(session->peer, frames)) {
      // Unroutable or full: let another consumer have it now rather than
      // after the ack timeout.
      [[maybe_unused]] auto nacked = session->consumer->nack(delivered.partition, stored.offset);
    }
  }
}

void QueueSessions::settle(const Envelope& peer, const SettleCommand& command) {
  auto session = sessions_.find({peer.front(), command.topic});
  if (session == sessions_.end()) {
    return error(peer, codes::not_subscribed,
                 "no subscription to \"" + command.topic + "\" on this peer");
  }
  auto& consumer = *session->second.consumer;
  auto settled = command.ack ? consumer.ack(command.partition, command.offset)
                             : consumer.nack(command.partition, command.offset);
  if (!settled) error(peer, error_code(settled.error().code), settled.error().message);
}

void QueueSessions::unsubscribe(const Envelope& peer, const std::string& topic) {
  auto session = sessions_.find({peer.front(), topic});
  if (session == sessions_.end()) {
    return error(peer, codes::not_subscribed, "no subscription to \"" + topic + "\" on this peer");
  }
  erase(session);
  send_(peer, {kVersion, "OK", topic});
}

void QueueSessions::heard_from(const Envelope& peer) {
  last_heard_[peer.front()] = std::chrono::steady_clock::now();
}

void QueueSessions::detach_silent_peers() {
  const auto now = std::chrono::steady_clock::now();
  for (auto peer = last_heard_.begin(); peer != last_heard_.end();) {
    if (now - peer->second <= heartbeat_) {
      ++peer;
      continue;
    }
    for (auto session = sessions_.begin(); session != sessions_.end();) {
      if (session->first.first == peer->first) {
        log_.info() << "detached a silent consumer of \"" << session->first.second << "\" (group \""
                    << session->second.group << "\"): no frame for " << heartbeat_.count() << " ms";
        erase(session++);
      } else {
        ++session;
      }
    }
    peer = last_heard_.erase(peer);
  }
}

void QueueSessions::closed_by_kernel(std::uint64_t id, const Error& closed) {
  auto key = keys_by_id_.find(id);
  if (key == keys_by_id_.end()) return;
  auto session = sessions_.find(key->second);
  error(session->second.peer, error_code(closed.code), closed.message);
  erase(session);
}

void QueueSessions::detach_all() {
  while (!sessions_.empty()) erase(sessions_.begin());
}

}  // namespace junction::zeromq
