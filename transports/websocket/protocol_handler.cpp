#include "protocol_handler.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/post.hpp>

#include "byte_encoding.hpp"
#include "json/json_writer.hpp"

namespace junction::websocket {
namespace {

// Publishes awaiting the kernel before the connection stops reading, so a
// client that never reads its acks cannot grow the broker's memory.
constexpr std::size_t kMaxPublishesInFlight = 1024;
// Publishes held for one kernel produce at most: bounds the wait of the first.
constexpr std::size_t kMaxBatchRecords = 256;
// Room a record takes in a RecordBatch v2 beyond its bytes (length,
// attributes, deltas, varints), per header, and the batch's own header;
// generous, so a batch of records that fit is never over the topic's limit.
constexpr std::size_t kRecordOverhead = 40;
constexpr std::size_t kHeaderOverhead = 10;
constexpr std::size_t kBatchOverhead = 61 + 64;
constexpr std::int64_t kDefaultCredit = 100;
constexpr std::int64_t kMaxCredit = 100000;
// Written records of a broadcast subscription settled by one ack_through:
// each settle takes the subscription's lock and may wake the dispatcher.
constexpr std::size_t kRecordsPerAckThrough = 32;
// Bytes a consumer may hold unacked besides its record credit.
constexpr std::uint64_t kMaxUnackedBytes = 64u << 20;

// A request that cannot be served; becomes an `error` message.
struct Refusal {
  std::string code;
  std::string message;
};

const char* error_code_for(Errc code) {
  switch (code) {
    case Errc::record_too_large:
      return "record_too_large";
    case Errc::unknown_topic:
      return "unknown_topic";
    case Errc::unknown_partition:
      return "unknown_partition";
    case Errc::invalid_argument:
      return "bad_request";
    case Errc::offset_out_of_range:
      return "offset_out_of_range";
    case Errc::shutting_down:
      return "shutting_down";
    case Errc::timeout:
      return "timeout";
    default:
      return "broker_error";
  }
}

const JsonValue* optional_member(const JsonValue& request, std::string_view name) {
  const auto* member = request.find(name);
  return member && !member->is_null() ? member : nullptr;
}

const std::string& required_string(const JsonValue& request, std::string_view name) {
  const auto* member = request.find(name);
  if (!member) throw Refusal{"bad_request", "missing field \"" + std::string(name) + "\""};
  if (!member->is_string())
    throw Refusal{"bad_request", "field \"" + std::string(name) + "\" must be a string"};
  return member->as_string();
}

std::string optional_string(const JsonValue& request, std::string_view name) {
  const auto* member = optional_member(request, name);
  if (!member) return {};
  if (!member->is_string())
    throw Refusal{"bad_request", "field \"" + std::string(name) + "\" must be a string"};
  return member->as_string();
}

std::int64_t required_integer(const JsonValue& request, std::string_view name, std::int64_t min,
                              std::int64_t max) {
  const auto* member = request.find(name);
  if (!member) throw Refusal{"bad_request", "missing field \"" + std::string(name) + "\""};
  if (!member->is_integer() || member->as_integer() < min || member->as_integer() > max)
    throw Refusal{"bad_request", "field \"" + std::string(name) + "\" must be an integer from " +
                                     std::to_string(min) + " to " + std::to_string(max)};
  return member->as_integer();
}

constexpr std::int64_t kMaxInt32 = 2147483647;
constexpr std::int64_t kMaxInt64 = 9223372036854775807;

// Bytes as the client sent them: UTF-8 text, or base64 under "encoding".
std::string decode_bytes(const std::string& text, bool base64, std::string_view field) {
  if (!base64) return text;
  auto bytes = base64_decode(text);
  if (!bytes) throw Refusal{"bad_request", "field \"" + std::string(field) + "\" is not base64"};
  return std::move(*bytes);
}

bool is_base64_encoding(const JsonValue& request) {
  auto encoding = optional_string(request, "encoding");
  if (encoding.empty() || encoding == "utf8") return false;
  if (encoding == "base64") return true;
  throw Refusal{"bad_request", "field \"encoding\" must be \"utf8\" or \"base64\""};
}

Record record_from_request(const JsonValue& request) {
  const bool base64 = is_base64_encoding(request);
  Record record;
  if (const auto* key = optional_member(request, "key")) {
    if (!key->is_string()) throw Refusal{"bad_request", "field \"key\" must be a string"};
    record.key = decode_bytes(key->as_string(), base64, "key");
  }
  const auto* value = request.find("value");
  if (!value) throw Refusal{"bad_request", "missing field \"value\""};
  if (value->is_string()) {
    record.value = decode_bytes(value->as_string(), base64, "value");
  } else if (!value->is_null()) {
    throw Refusal{"bad_request", "field \"value\" must be a string or null"};
  }
  if (const auto* headers = optional_member(request, "headers")) {
    if (!headers->is_object())
      throw Refusal{"bad_request", "field \"headers\" must be an object of strings"};
    for (const auto& [name, header_value] : headers->as_object()) {
      Header header{decode_bytes(name, base64, "headers"), std::nullopt};
      if (header_value.is_string()) {
        header.value = decode_bytes(header_value.as_string(), base64, "headers");
      } else if (!header_value.is_null()) {
        throw Refusal{"bad_request", "header \"" + name + "\" must be a string or null"};
      }
      record.headers.push_back(std::move(header));
    }
  }
  if (const auto* timestamp = optional_member(request, "timestamp")) {
    if (!timestamp->is_integer() || timestamp->as_integer() < 0)
      throw Refusal{"bad_request", "field \"timestamp\" must be a non-negative integer"};
    record.timestamp_ms = timestamp->as_integer();
  }
  return record;
}

std::size_t encoded_bytes(const Record& record) {
  std::size_t bytes = kRecordOverhead;
  if (record.key) bytes += record.key->size();
  if (record.value) bytes += record.value->size();
  for (const auto& header : record.headers) {
    bytes += kHeaderOverhead + header.key.size() + (header.value ? header.value->size() : 0);
  }
  return bytes;
}

DeliveryMode parse_mode(const JsonValue& request) {
  auto mode = optional_string(request, "mode");
  if (mode.empty() || mode == "broadcast") return DeliveryMode::broadcast;
  if (mode == "queue") return DeliveryMode::queue;
  if (mode == "multicast") return DeliveryMode::multicast;
  throw Refusal{"bad_request", "field \"mode\" must be broadcast, queue or multicast"};
}

std::optional<StartPosition> parse_start(const JsonValue& request) {
  const auto* from = optional_member(request, "from");
  if (!from) return std::nullopt;
  if (from->is_string()) {
    if (from->as_string() == "earliest") return StartPosition::earliest();
    if (from->as_string() == "latest") return StartPosition::latest();
  } else if (from->is_object()) {
    if (from->find("offset"))
      return StartPosition::at_offset(required_integer(*from, "offset", 0, kMaxInt64));
    if (from->find("timestamp"))
      return StartPosition::at_timestamp(required_integer(*from, "timestamp", 0, kMaxInt64));
  }
  throw Refusal{"bad_request",
                "field \"from\" must be \"earliest\", \"latest\", {\"offset\": N} or "
                "{\"timestamp\": MS}"};
}

bool record_is_text(const Record& record) {
  if (record.key && !is_valid_utf8(*record.key)) return false;
  if (record.value && !is_valid_utf8(*record.value)) return false;
  for (const auto& header : record.headers) {
    if (!is_valid_utf8(header.key)) return false;
    if (header.value && !is_valid_utf8(*header.value)) return false;
  }
  return true;
}

// Fields and punctuation of a `record` message besides its bytes.
constexpr std::size_t kRecordMessageOverhead = 160;

std::string record_message(const std::string& topic, const std::string& group,
                           const DeliveredRecord& delivered) {
  const auto& stored = *delivered.record;
  const auto& record = stored.record;
  const bool text = record_is_text(record);
  std::size_t expected = kRecordMessageOverhead + topic.size() + group.size();
  if (record.key) expected += record.key->size();
  if (record.value) expected += record.value->size();
  // Base64 takes 4/3 of the bytes; the headers' object is built apart.
  if (!text) expected += expected / 3;
  JsonObjectWriter message(expected);
  auto put_bytes = [&](std::string_view name, const std::optional<std::string>& value) {
    if (!value) {
      message.null(name);
    } else if (text) {
      message.string(name, *value);
    } else {
      message.string(name, base64_encode(*value));
    }
  };
  auto append_bytes = [text](std::string& out, const std::string& value) {
    if (text) {
      append_json_string(out, value);
    } else {
      append_json_string(out, base64_encode(value));
    }
  };
  message.string("op", "record").string("topic", topic);
  if (!group.empty()) message.string("group", group);
  message.integer("partition", delivered.partition)
      .integer("offset", stored.offset)
      .integer("timestamp", record.timestamp_ms)
      .integer("attempt", delivered.attempt);
  put_bytes("key", record.key);
  put_bytes("value", record.value);
  std::string headers = "{";
  for (const auto& header : record.headers) {
    if (headers.size() > 1) headers += ',';
    append_bytes(headers, header.key);
    headers += ':';
    if (header.value) {
      append_bytes(headers, *header.value);
    } else {
      headers += "null";
    }
  }
  headers += '}';
  message.raw("headers", headers);
  if (!text) message.string("encoding", "base64");
  return std::move(message).finish();
}

JsonObjectWriter reply(std::string_view op, const JsonValue* id) {
  JsonObjectWriter message;
  message.string("op", op);
  if (id) message.raw("id", serialize_json(*id));
  return message;
}

}  // namespace

ProtocolHandler::ProtocolHandler(Kernel& kernel, ConnectionExecutor strand,
                                 std::shared_ptr<CallbackGate> gate, Outbox& outbox)
    : kernel_(kernel), strand_(std::move(strand)), gate_(std::move(gate)), outbox_(outbox) {}

bool ProtocolHandler::saturated() const { return publishes_in_flight_ >= kMaxPublishesInFlight; }

void ProtocolHandler::handle_message(std::string_view text, bool more_follows) {
  dispatch(text);
  if (!more_follows || held_.records.size() >= kMaxBatchRecords) flush_publishes();
}

void ProtocolHandler::dispatch(std::string_view text) {
  std::string parse_error;
  auto request = parse_json(text, parse_error);
  if (!request) return refuse(nullptr, "bad_json", parse_error);
  if (!request->is_object()) return refuse(nullptr, "bad_json", "a message must be an object");
  const JsonValue* id = optional_member(*request, "id");
  try {
    const auto& op = required_string(*request, "op");
    if (op == "publish") return publish(*request, id);
    // Other requests act at once: what was published before them goes first.
    flush_publishes();
    if (op == "subscribe") {
      subscribe(*request, id);
    } else if (op == "ack" || op == "nack") {
      settle(*request, id, op == "ack");
    } else if (op == "unsubscribe") {
      unsubscribe(*request, id);
    } else {
      send_error(id, "unknown_op", "unknown op \"" + op + "\"");
    }
  } catch (const Refusal& refusal) {
    refuse(id, refusal.code, refusal.message);
  }
}

void ProtocolHandler::publish(const JsonValue& request, const JsonValue* id) {
  const auto& topic = required_string(request, "topic");
  std::int32_t partition = kAnyPartition;
  if (optional_member(request, "partition"))
    partition = static_cast<std::int32_t>(required_integer(request, "partition", 0, kMaxInt32));
  auto record = record_from_request(request);
  auto info = kernel_.ensure_topic(topic);
  if (!info) throw Refusal{error_code_for(info.error().code), info.error().message};
  if (partition != kAnyPartition && partition >= info->partitions)
    throw Refusal{"unknown_partition", "topic \"" + topic + "\" has " +
                                           std::to_string(info->partitions) + " partitions"};
  // A keyed record's partition is fixed now, so it joins only its own
  // partition's batch; unkeyed ones share one the kernel picks per batch.
  if (partition == kAnyPartition && record.key) {
    auto chosen = kernel_.choose_partition(topic, record.key);
    if (!chosen) throw Refusal{error_code_for(chosen.error().code), chosen.error().message};
    partition = *chosen;
  }
  const std::size_t bytes = encoded_bytes(record);
  const auto limit = static_cast<std::size_t>(info->config.max_message_bytes);
  if (!held_.records.empty() && (held_.topic != topic || held_.partition != partition ||
                                 kBatchOverhead + held_.bytes + bytes > limit)) {
    flush_publishes();
  }
  if (held_.records.empty()) {
    held_.topic = topic;
    held_.partition = partition;
  }
  held_.records.push_back(std::move(record));
  held_.replies.push_back(PublishReply{id ? serialize_json(*id) : std::string(), {}, {}});
  held_.bytes += bytes;
  ++publishes_in_flight_;
}

void ProtocolHandler::flush_publishes() {
  if (held_.replies.empty()) return;
  auto batch = std::exchange(held_, PublishBatch{});
  const std::uint64_t sequence = first_produced_ + produced_.size();
  produced_.push_back(ProducedBatch{batch.topic, std::move(batch.replies), std::nullopt});
  // Refusals only: nothing to wait for beyond the batches before.
  if (batch.records.empty()) return produced(sequence, ProduceAck{});
  // The callback holds the connection so the acks can still be written.
  auto answer = [this, owner = owner_.lock(), sequence](Result<ProduceAck> result) {
    produced(sequence, std::move(result));
  };
  kernel_.produce(batch.topic, batch.partition, std::move(batch.records),
                  [gate = gate_, strand = strand_,
                   answer = std::move(answer)](Result<ProduceAck> result) mutable {
                    gate->run([&] {
                      boost::asio::post(strand, [answer = std::move(answer),
                                                 result = std::move(result)]() mutable {
                        answer(std::move(result));
                      });
                    });
                  });
}

void ProtocolHandler::produced(std::uint64_t sequence, Result<ProduceAck> result) {
  if (closed_) return;
  produced_[sequence - first_produced_].result = std::move(result);
  answer_produced();
}

void ProtocolHandler::answer_produced() {
  bool answered = false;
  while (!produced_.empty() && produced_.front().result) {
    answer_publishes(produced_.front());
    produced_.pop_front();
    ++first_produced_;
    answered = true;
  }
  if (answered) outbox_.wake_reader();
}

void ProtocolHandler::answer_publishes(const ProducedBatch& batch) {
  const auto& result = *batch.result;
  std::int64_t index = 0;
  for (const auto& entry : batch.replies) {
    JsonObjectWriter message;
    if (!entry.error_code.empty()) {
      message.string("op", "error");
      if (!entry.id.empty()) message.raw("id", entry.id);
      message.string("code", entry.error_code).string("message", entry.error_message);
      outbox_.send(std::move(message).finish());
      continue;
    }
    --publishes_in_flight_;
    if (!result) {
      message.string("op", "error");
      if (!entry.id.empty()) message.raw("id", entry.id);
      message.string("code", error_code_for(result.error().code))
          .string("message", result.error().message);
    } else {
      message.string("op", "ack");
      if (!entry.id.empty()) message.raw("id", entry.id);
      message.string("topic", batch.topic)
          .integer("partition", result->partition)
          .integer("offset", result->base_offset + index++);
    }
    outbox_.send(std::move(message).finish());
  }
}

void ProtocolHandler::subscribe(const JsonValue& request, const JsonValue* id) {
  SubscriptionSpec spec;
  spec.topic = required_string(request, "topic");
  spec.mode = parse_mode(request);
  spec.name = optional_string(request, "group");
  if (spec.mode != DeliveryMode::broadcast && spec.name.empty())
    throw Refusal{"bad_request", "queue and multicast subscriptions need a \"group\""};
  if (spec.mode == DeliveryMode::broadcast && !spec.name.empty())
    throw Refusal{"bad_request", "a broadcast subscription takes no \"group\""};
  spec.start = parse_start(request);
  if (const auto* key_shared = optional_member(request, "key_shared")) {
    if (!key_shared->is_bool()) throw Refusal{"bad_request", "field \"key_shared\" must be a bool"};
    spec.key_shared = key_shared->as_bool();
  }
  std::int64_t credit = kDefaultCredit;
  if (optional_member(request, "credit"))
    credit = required_integer(request, "credit", 1, kMaxCredit);
  if (find(spec.topic, spec.name))
    throw Refusal{"already_subscribed", "this connection already subscribes to \"" + spec.topic +
                                            "\"" + (spec.name.empty() ? "" : " as " + spec.name)};
  if (auto info = kernel_.ensure_topic(spec.topic); !info)
    throw Refusal{error_code_for(info.error().code), info.error().message};

  const auto subscription_id = next_subscription_id_++;
  ConsumerOptions options;
  options.max_unacked_records = static_cast<std::uint32_t>(credit);
  options.max_unacked_bytes = kMaxUnackedBytes;
  std::weak_ptr<void> owner = owner_;
  options.on_closed = [this, owner, gate = gate_, strand = strand_,
                       subscription_id](const Error& error) {
    gate->run([&] {
      boost::asio::post(strand, [this, owner, subscription_id, error] {
        if (auto alive = owner.lock()) subscription_closed(subscription_id, error);
      });
    });
  };
  // Deliveries run on kernel threads: they only hand the batch to the strand.
  auto deliver_on_strand = [this, owner, gate = gate_, strand = strand_,
                            subscription_id](DeliveryBatch batch) {
    gate->run([&] {
      boost::asio::post(strand, [this, owner, subscription_id, batch = std::move(batch)]() mutable {
        if (auto alive = owner.lock()) deliver(subscription_id, std::move(batch));
      });
    });
  };
  auto consumer = kernel_.subscribe(spec, options, std::move(deliver_on_strand));
  if (!consumer) throw Refusal{error_code_for(consumer.error().code), consumer.error().message};
  subscriptions_[subscription_id] =
      Subscription{spec.topic, spec.name, spec.mode, std::move(consumer.value())};
  auto message = reply("subscribed", id);
  message.string("topic", spec.topic).string("mode", to_string(spec.mode));
  if (!spec.name.empty()) message.string("group", spec.name);
  outbox_.send(std::move(message).finish());
}

void ProtocolHandler::deliver(std::uint64_t subscription_id, DeliveryBatch batch) {
  // A batch posted just before an unsubscribe belongs to a detached consumer.
  auto found = subscriptions_.find(subscription_id);
  if (found == subscriptions_.end()) return;
  const auto& subscription = found->second;
  const auto& records = batch.records;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& delivered = records[i];
    std::function<void()> on_written;
    // A broadcast subscriber has nothing to ack: a record counts as done once
    // written, which keeps its window (credit) sliding at the socket's pace.
    // One ack covers a stretch of a partition's records; the last record of
    // the batch always acks, so the window reopens whatever the credit.
    const bool ends_stretch = i + 1 == records.size() ||
                              records[i + 1].partition != delivered.partition ||
                              (i + 1) % kRecordsPerAckThrough == 0;
    if (subscription.mode == DeliveryMode::broadcast && ends_stretch) {
      on_written = [this, subscription_id, partition = delivered.partition,
                    offset = delivered.record->offset] {
        auto still = subscriptions_.find(subscription_id);
        if (still != subscriptions_.end())
          (void)still->second.consumer->ack_through(partition, offset);
      };
    }
    outbox_.send(record_message(batch.topic, subscription.group, delivered), std::move(on_written));
  }
}

void ProtocolHandler::subscription_closed(std::uint64_t subscription_id, const Error& error) {
  auto found = subscriptions_.find(subscription_id);
  if (found == subscriptions_.end()) return;
  auto message = reply("error", nullptr);
  message.string("code", "subscription_closed")
      .string("message", error.message)
      .string("topic", found->second.topic);
  if (!found->second.group.empty()) message.string("group", found->second.group);
  subscriptions_.erase(found);
  outbox_.send(std::move(message).finish());
}

ProtocolHandler::Subscription* ProtocolHandler::find(std::string_view topic, std::string_view group,
                                                     std::uint64_t* id_out) {
  for (auto& [id, subscription] : subscriptions_) {
    if (subscription.topic == topic && subscription.group == group) {
      if (id_out) *id_out = id;
      return &subscription;
    }
  }
  return nullptr;
}

void ProtocolHandler::settle(const JsonValue& request, const JsonValue* id, bool ack) {
  const auto& topic = required_string(request, "topic");
  auto group = optional_string(request, "group");
  auto partition = static_cast<std::int32_t>(required_integer(request, "partition", 0, kMaxInt32));
  auto offset = required_integer(request, "offset", 0, kMaxInt64);
  auto* subscription = find(topic, group);
  if (!subscription)
    throw Refusal{"not_subscribed",
                  "no subscription to \"" + topic + "\"" + (group.empty() ? "" : " as " + group)};
  auto result = ack ? subscription->consumer->ack(partition, offset)
                    : subscription->consumer->nack(partition, offset);
  if (!result) send_error(id, "bad_ack", result.error().message);
}

void ProtocolHandler::unsubscribe(const JsonValue& request, const JsonValue* id) {
  const auto& topic = required_string(request, "topic");
  auto group = optional_string(request, "group");
  std::uint64_t subscription_id = 0;
  auto* subscription = find(topic, group, &subscription_id);
  if (!subscription)
    throw Refusal{"not_subscribed",
                  "no subscription to \"" + topic + "\"" + (group.empty() ? "" : " as " + group)};
  subscription->consumer->detach();
  subscriptions_.erase(subscription_id);
  auto message = reply("unsubscribed", id);
  message.string("topic", topic);
  if (!group.empty()) message.string("group", group);
  outbox_.send(std::move(message).finish());
}

void ProtocolHandler::refuse(const JsonValue* id, std::string_view code, std::string_view message) {
  if (publishes_in_flight_ == 0 && held_.replies.empty()) return send_error(id, code, message);
  held_.replies.push_back(PublishReply{id ? serialize_json(*id) : std::string(), std::string(code),
                                       std::string(message)});
}

void ProtocolHandler::send_error(const JsonValue* id, std::string_view code,
                                 std::string_view message) {
  outbox_.send(
      std::move(reply("error", id).string("code", code).string("message", message)).finish());
}

void ProtocolHandler::close() {
  if (closed_) return;
  closed_ = true;
  held_ = PublishBatch{};
  produced_.clear();
  for (auto& [id, subscription] : subscriptions_) subscription.consumer->detach();
  subscriptions_.clear();
}

}  // namespace junction::websocket
