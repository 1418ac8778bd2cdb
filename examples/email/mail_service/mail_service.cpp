// MailService: consumes `member.signed-up` and `order.completed` as one queue
// group over ZeroMQ (Junction's J1 protocol, docs/transports/zeromq.md) and
// sends one mail per event into an outbox folder, acknowledging each record
// only once its mail is on disk. Runs until SIGTERM or SIGINT.
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include "common/service_flags.hpp"
#include "common/service_log.hpp"
#include "mail_text.hpp"
#include "outbox.hpp"

namespace {

using Clock = std::chrono::steady_clock;
const std::vector<std::string> kTopics = {"member.signed-up", "order.completed"};
// Below a third of the broker's heartbeat_ms (3000 in broker.toml).
constexpr auto kPingInterval = std::chrono::milliseconds(500);

volatile std::sig_atomic_t stop_requested = 0;

// ZeroMQ reconnects the DEALER by itself; these events tell the service when
// a (new) broker is there, so that it joins the group again: a restarted
// broker does not know this client.
class BrokerLink : public zmq::monitor_t {
 public:
  bool join_needed = false;
  bool lost = false;
  int connections = 0;

 private:
  void on_event_handshake_succeeded(const zmq_event_t&, const char*) override {
    join_needed = true;
    ++connections;
  }
  void on_event_disconnected(const zmq_event_t&, const char*) override { lost = true; }
};

class MailService {
 public:
  MailService(zmq::context_t& context, const email::ServiceFlags& flags)
      : log_(flags.text("name")),
        outbox_(flags.text("outbox"), flags.text("name") + "-" + std::to_string(::getpid())),
        group_(flags.text("group")),
        credit_(std::to_string(std::max(1L, flags.number("credit")))),
        ack_batch_(flags.number("ack-batch-ms")),
        dealer_(context, zmq::socket_type::dealer) {
    // Time for the last acknowledgements to leave when the service stops.
    dealer_.set(zmq::sockopt::linger, 1000);
    // Nothing is queued for a broker that is not there: a command is sent to
    // the live broker or not at all (unacked records come back anyway).
    dealer_.set(zmq::sockopt::immediate, 1);
    dealer_.set(zmq::sockopt::reconnect_ivl, 100);
    dealer_.set(zmq::sockopt::reconnect_ivl_max, 500);
    // ZMTP heartbeats notice a broker that vanished without closing its end.
    dealer_.set(zmq::sockopt::heartbeat_ivl, 500);
    dealer_.set(zmq::sockopt::heartbeat_timeout, 2000);
    link_.init(dealer_, "inproc://mail-service-link",
               ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED);
    dealer_.connect(flags.text("broker"));
    log_.line("consuming ", kTopics[0], " + ", kTopics[1], " as group \"", group_,
              "\" via ZeroMQ at ", flags.text("broker"));
  }

  void run() {
    while (!stop_requested) {
      watch_link();
      zmq::pollitem_t item{dealer_.handle(), 0, ZMQ_POLLIN, 0};
      try {
        zmq::poll(&item, 1, std::chrono::milliseconds(100));
      } catch (const zmq::error_t& error) {
        if (error.num() != EINTR) throw;
      }
      std::vector<zmq::message_t> frames;
      while (zmq::recv_multipart(dealer_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
        handle(frames);
        frames.clear();
      }
      if (!unacked_.empty() && Clock::now() - first_unacked_at_ >= ack_batch_) acknowledge();
      if (Clock::now() - last_sent_ > kPingInterval) send({"PING"});
    }
    acknowledge();
    log_.line("done: handled ", handled_, " records, wrote ", written_, " mails, ", duplicates_,
              " redelivered with their mail already in the outbox");
  }

 private:
  void watch_link() {
    while (link_.check_event(0)) {
    }
    if (link_.lost) {
      link_.lost = false;
      if (unacked_.empty()) {
        log_.line("broker connection lost");
      } else {
        log_.line("broker connection lost; ", unacked_.size(),
                  " written mails not acknowledged yet: they will come again");
      }
      unacked_.clear();
    }
    if (link_.join_needed) {
      link_.join_needed = false;
      if (link_.connections == 1) {
        log_.line("connected; joining group \"", group_, "\"");
      } else {
        log_.line("broker is back; joining group \"", group_, "\" again");
      }
      for (const auto& topic : kTopics) send({"SUB", topic, group_, credit_, "earliest"});
    }
  }

  void send(std::vector<std::string> command) {
    command.insert(command.begin(), "J1");
    std::vector<zmq::const_buffer> frames;
    for (const auto& frame : command) frames.push_back(zmq::buffer(frame));
    // A broker that just went away drops the command; the records it concerns
    // are redelivered after the reconnect.
    (void)zmq::send_multipart(dealer_, frames, zmq::send_flags::dontwait);
    last_sent_ = Clock::now();
  }

  void handle(const std::vector<zmq::message_t>& frames) {
    if (frames.size() < 2 || frames[0].to_string_view() != "J1") return;
    const auto kind = frames[1].to_string_view();
    if (kind == "MSG" && frames.size() >= 8) return deliver(frames);
    if (kind == "OK" && frames.size() == 4) {
      log_.line("joined group \"", frames[3].to_string_view(), "\" of ",
                frames[2].to_string_view());
    } else if (kind == "ERR" && frames.size() >= 4) {
      log_.line("broker says ", frames[2].to_string_view(), ": ", frames[3].to_string_view());
    }
  }

  void deliver(const std::vector<zmq::message_t>& frames) {
    const std::string topic = frames[2].to_string();
    const std::string partition = frames[3].to_string();
    const std::string offset = frames[4].to_string();
    const auto mail = email::compose_mail(topic, frames[7].to_string());
    if (!mail) {
      // Redelivering it would not help: acknowledge and say so.
      log_.line("skipped ", topic, "/", partition, "@", offset,
                ": not an event this service knows");
    } else if (outbox_.send(mail->event_id, mail->text) == email::Outbox::Result::written) {
      ++written_;
      log_.line("mail to ", mail->to, " for ", mail->event_id);
    } else {
      ++duplicates_;
      log_.line(mail->event_id, " redelivered; its mail is already in the outbox");
    }
    ++handled_;
    if (unacked_.empty()) first_unacked_at_ = Clock::now();
    unacked_.push_back({topic, partition, offset});
    if (ack_batch_.count() == 0) acknowledge();
  }

  void acknowledge() {
    for (const auto& [topic, partition, offset] : unacked_) send({"ACK", topic, partition, offset});
    unacked_.clear();
  }

  email::ServiceLog log_;
  email::Outbox outbox_;
  std::string group_;
  std::string credit_;
  // Acknowledging in batches saves round trips; a record whose mail is
  // written but whose ack has not gone out yet is what a lost connection
  // gets redelivered, and what the outbox recognises.
  std::chrono::milliseconds ack_batch_;
  struct Position {
    std::string topic;
    std::string partition;
    std::string offset;
  };
  std::vector<Position> unacked_;
  Clock::time_point first_unacked_at_;
  zmq::socket_t dealer_;
  BrokerLink link_;
  Clock::time_point last_sent_;
  long handled_ = 0;
  long written_ = 0;
  long duplicates_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const email::ServiceFlags flags(argc, argv,
                                  {{"broker", "tcp://127.0.0.1:5555"},
                                   {"outbox", "outbox"},
                                   {"name", "mail-service"},
                                   {"group", "mail"},
                                   {"credit", "5"},
                                   {"ack-batch-ms", "0"}});
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  try {
    zmq::context_t context;
    MailService(context, flags).run();
  } catch (const std::exception& error) {
    email::ServiceLog(flags.text("name")).line("failed: ", error.what());
    return 1;
  }
  return 0;
}
