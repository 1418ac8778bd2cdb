// MemberService: announces every new member as a `member.signed-up` event,
// through the Kafka protocol with librdkafka's C++ API.
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/events.hpp"
#include "common/service_flags.hpp"
#include "common/service_log.hpp"

namespace {

using Clock = std::chrono::steady_clock;
const std::string kTopic = "member.signed-up";
const email::ServiceLog kLog("member-service");

// librdkafka reports every failed connection attempt; one line per outage is
// enough to follow the story.
class BrokerWatch : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    if (event.type() != RdKafka::Event::EVENT_ERROR) return;
    if (event.err() != RdKafka::ERR__ALL_BROKERS_DOWN && event.err() != RdKafka::ERR__TRANSPORT) {
      kLog.line("librdkafka: ", event.str());
      return;
    }
    if (!broker_away) kLog.line("broker unreachable; librdkafka buffers and retries");
    broker_away = true;
  }

  bool broker_away = false;
};

// Delivery reports arrive on poll(); reports that took long show the broker
// was away while librdkafka kept the events and retried. They come in a burst
// when it is back, and make one line.
class DeliveryCounter : public RdKafka::DeliveryReportCb {
 public:
  explicit DeliveryCounter(BrokerWatch& watch) : watch_(watch) {}

  void dr_cb(RdKafka::Message& message) override {
    const auto sequence = reinterpret_cast<std::intptr_t>(message.msg_opaque());
    const auto id = email::json_string_field(
        std::string_view(static_cast<const char*>(message.payload()), message.len()), "id");
    if (message.err() != RdKafka::ERR_NO_ERROR) {
      ++failed;
      kLog.line("LOST ", id.value_or("?"), ": ", message.errstr());
      return;
    }
    ++delivered;
    watch_.broker_away = false;
    const auto waited = Clock::now() - sent_at.at(sequence);
    if (waited < std::chrono::seconds(1)) return;
    if (late_count_++ == 0) first_late_ = id.value_or("?");
    last_late_ = id.value_or("?");
    longest_wait_ = std::max(longest_wait_, waited);
  }

  // After each poll: one line for the late reports it served.
  void report_late() {
    if (late_count_ == 0) return;
    kLog.line("delivered ", first_late_, " .. ", last_late_, " (", late_count_,
              " events) after up to ",
              std::chrono::duration_cast<std::chrono::milliseconds>(longest_wait_).count(),
              " ms: librdkafka kept and retried them");
    late_count_ = 0;
    longest_wait_ = {};
  }

  std::vector<Clock::time_point> sent_at;
  long delivered = 0;
  long failed = 0;

 private:
  BrokerWatch& watch_;
  long late_count_ = 0;
  std::string first_late_;
  std::string last_late_;
  Clock::duration longest_wait_{};
};

std::unique_ptr<RdKafka::Producer> make_producer(const std::string& broker,
                                                 DeliveryCounter& deliveries, BrokerWatch& watch) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  const std::pair<const char*, std::string> settings[] = {
      {"bootstrap.servers", broker},
      {"client.id", "member-service"},
      // Exactly once into the log even when a retry follows a lost answer.
      {"enable.idempotence", "true"},
      // Long enough to ride out a broker restart.
      {"message.timeout.ms", "60000"},
      {"reconnect.backoff.ms", "100"},
      {"reconnect.backoff.max.ms", "500"},
      {"linger.ms", "5"},
  };
  for (const auto& [name, value] : settings) {
    if (conf->set(name, value, error) != RdKafka::Conf::CONF_OK) {
      kLog.line("bad setting ", name, ": ", error);
      return nullptr;
    }
  }
  conf->set("dr_cb", &deliveries, error);
  conf->set("event_cb", &watch, error);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), error));
  if (!producer) kLog.line("cannot create the producer: ", error);
  return producer;
}

}  // namespace

int main(int argc, char** argv) {
  const email::ServiceFlags flags(argc, argv,
                                  {{"broker", "127.0.0.1:9092"}, {"count", "20"}, {"rate", "4"}});
  const long count = flags.number("count");
  const auto interval = std::chrono::milliseconds(1000 / std::max(1L, flags.number("rate")));

  BrokerWatch watch;
  DeliveryCounter deliveries(watch);
  const auto producer = make_producer(flags.text("broker"), deliveries, watch);
  if (!producer) return 1;
  kLog.line("emitting ", count, " events on ", kTopic, " via Kafka at ", flags.text("broker"));

  auto next_send = Clock::now();
  for (long sequence = 1; sequence <= count; ++sequence) {
    const std::string value = email::member_signed_up_json(sequence);
    const std::string key = *email::json_string_field(value, "email");
    deliveries.sent_at.resize(sequence + 1);
    deliveries.sent_at[sequence] = Clock::now();
    RdKafka::ErrorCode result;
    while ((result = producer->produce(
                kTopic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0,
                reinterpret_cast<void*>(static_cast<std::intptr_t>(sequence)))) ==
           RdKafka::ERR__QUEUE_FULL) {
      producer->poll(100);
      deliveries.report_late();
    }
    if (result != RdKafka::ERR_NO_ERROR) {
      kLog.line("cannot produce: ", RdKafka::err2str(result));
      return 1;
    }
    kLog.line("emit ", *email::json_string_field(value, "id"), "  ",
              *email::json_string_field(value, "name"), " signed up");
    next_send += interval;
    while (Clock::now() < next_send) {
      const auto wait =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_send - Clock::now());
      producer->poll(static_cast<int>(wait.count()) + 1);
      deliveries.report_late();
    }
  }

  // Every event must be stored before the service may say it is done.
  producer->flush(90000);
  deliveries.report_late();
  const long unconfirmed = count - deliveries.delivered - deliveries.failed;
  kLog.line("done: ", count, " emitted, ", deliveries.delivered, " confirmed by the broker",
            deliveries.failed + unconfirmed > 0 ? ", SOME LOST" : "");
  return deliveries.delivered == count ? 0 : 1;
}
