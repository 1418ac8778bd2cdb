// OrderService: announces every completed order as an `order.completed` event,
// through AMQP 1.0 with Qpid Proton C++. Deliveries stay unsettled until the
// broker accepts them; whatever was not accepted when the connection dropped
// is sent again once Proton has reconnected (at-least-once).
#include <proton/annotation_key.hpp>
#include <proton/connection.hpp>
#include <proton/connection_options.hpp>
#include <proton/container.hpp>
#include <proton/delivery_mode.hpp>
#include <proton/message.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/reconnect_options.hpp>
#include <proton/sender.hpp>
#include <proton/sender_options.hpp>
#include <proton/symbol.hpp>
#include <proton/tracker.hpp>
#include <proton/transport.hpp>
#include <proton/work_queue.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "common/events.hpp"
#include "common/service_flags.hpp"
#include "common/service_log.hpp"

namespace {

const std::string kAddress = "order.completed";
const email::ServiceLog kLog("order-service");

class OrderEmitter : public proton::messaging_handler {
 public:
  OrderEmitter(std::string url, long count, proton::duration interval)
      : url_(std::move(url)), count_(count), interval_(interval) {}

  long accepted() const { return accepted_; }

 private:
  void on_container_start(proton::container& container) override {
    kLog.line("emitting ", count_, " events to ", kAddress, " via AMQP 1.0 at ", url_);
    const auto retry = proton::reconnect_options()
                           .delay(proton::duration(100))
                           .max_delay(proton::duration(500))
                           .delay_multiplier(1.5);
    container.open_sender(
        url_ + "/" + kAddress,
        proton::sender_options().delivery_mode(proton::delivery_mode::AT_LEAST_ONCE),
        proton::connection_options().reconnect(retry).idle_timeout(proton::duration(2000)));
  }

  void on_sender_open(proton::sender& sender) override {
    if (sender_) return;  // a reconnect reopens the same link
    sender_ = sender;
    schedule_next_order();
  }

  void on_connection_open(proton::connection& connection) override {
    connected_ = true;
    if (!connection.reconnected()) return;
    kLog.line("reconnected; sending the ", waiting_.size(),
              " events the broker has not accepted yet");
  }

  void on_transport_error(proton::transport& transport) override {
    // Trackers of the lost connection will never be settled: their events go
    // back in front of the queue, in order, to be sent on the next connection.
    // Every failed attempt to reconnect lands here too: one line per outage.
    if (!connected_) return;
    connected_ = false;
    std::vector<long> unaccepted;
    for (const auto& [tracker, sequence] : in_flight_) unaccepted.push_back(sequence);
    in_flight_.clear();
    std::sort(unaccepted.begin(), unaccepted.end());
    waiting_.insert(waiting_.begin(), unaccepted.begin(), unaccepted.end());
    kLog.line("connection lost (", transport.error().what(), "); ", unaccepted.size(),
              " events unaccepted, Proton reconnects");
  }

  void on_sendable(proton::sender& sender) override { send_waiting(); }

  void on_tracker_accept(proton::tracker& tracker) override {
    if (settle(tracker) == 0) return;
    ++accepted_;
    if (accepted_ == count_) {
      kLog.line("done: ", count_, " emitted, ", accepted_, " accepted by the broker");
      tracker.connection().close();
    }
  }

  void on_tracker_reject(proton::tracker& tracker) override {
    const long sequence = settle(tracker);
    kLog.line("REJECTED order-", sequence, ": ", tracker.sender().error().what());
    tracker.connection().close();
  }

  // Released or modified: the broker did not take it this time; try again.
  void on_tracker_release(proton::tracker& tracker) override {
    waiting_.push_front(settle(tracker));
    send_waiting();
  }

  long settle(const proton::tracker& tracker) {
    const auto found = std::find_if(in_flight_.begin(), in_flight_.end(),
                                    [&](const auto& entry) { return entry.first == tracker; });
    if (found == in_flight_.end()) return 0;
    const long sequence = found->second;
    in_flight_.erase(found);
    return sequence;
  }

  void schedule_next_order() {
    if (next_sequence_ > count_) return;
    sender_.connection().work_queue().schedule(interval_, [this] {
      const long sequence = next_sequence_++;
      const std::string value = email::order_completed_json(sequence);
      kLog.line("emit ", *email::json_string_field(value, "id"), "  ",
                *email::json_string_field(value, "name"), " paid ",
                *email::json_string_field(value, "total"));
      waiting_.push_back(sequence);
      send_waiting();
      schedule_next_order();
    });
  }

  void send_waiting() {
    while (connected_ && sender_ && sender_.credit() > 0 && !waiting_.empty()) {
      const long sequence = waiting_.front();
      waiting_.pop_front();
      const std::string value = email::order_completed_json(sequence);
      proton::message message(value);
      message.content_type("application/json");
      message.message_annotations().put(
          proton::annotation_key(proton::symbol("x-opt-partition-key")),
          *email::json_string_field(value, "email"));
      in_flight_.emplace_back(sender_.send(message), sequence);
    }
  }

  std::string url_;
  long count_;
  proton::duration interval_;
  proton::sender sender_;
  long next_sequence_ = 1;
  long accepted_ = 0;
  bool connected_ = false;
  std::deque<long> waiting_;
  std::vector<std::pair<proton::tracker, long>> in_flight_;
};

}  // namespace

int main(int argc, char** argv) {
  const email::ServiceFlags flags(argc, argv,
                                  {{"broker", "127.0.0.1:5672"}, {"count", "20"}, {"rate", "4"}});
  const long count = flags.number("count");
  OrderEmitter emitter("amqp://" + flags.text("broker"), count,
                       proton::duration(1000 / std::max(1L, flags.number("rate"))));
  try {
    proton::container(emitter, "order-service").run();
  } catch (const std::exception& error) {
    kLog.line("failed: ", error.what());
    return 1;
  }
  return emitter.accepted() == count ? 0 : 1;
}
