// Produce (v3-8, RecordBatch v2 only). Each partition's records are split
// into batches and appended through the kernel in order; batches of an
// idempotent producer go through the ProducerStateTable, which drops retried
// duplicates. One answer once every partition has its result: the kernel
// acknowledges after the append, or after the fsync with flush = "always".
// With one broker acks = -1 and acks = 1 wait for the same thing. A topic
// that does not exist is created by the kernel's append when the broker's
// auto_create is on, as Kafka does on produce.
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/handlers.hpp"
#include "junction/kernel.hpp"
#include "junction/record_batch.hpp"
#include "junction/topic.hpp"
#include "kafka_logger.hpp"
#include "producers/producer_state.hpp"
#include "protocol/error_code.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"
#include "server/cluster_view.hpp"

namespace junction::kafka {
namespace {

struct PartitionRecords {
  std::int32_t index = 0;
  std::optional<std::string_view> records;  // borrows the request frame
};

struct TopicRecords {
  std::string name;
  std::vector<PartitionRecords> partitions;
};

struct ProduceRequest {
  std::optional<std::string> transactional_id;
  std::int16_t acks = 1;
  std::vector<TopicRecords> topics;
};

std::optional<ProduceRequest> decode(const Request& request) {
  WireReader in(request.body);
  ProduceRequest decoded;
  decoded.transactional_id = in.nullable_string();
  decoded.acks = in.int16();
  in.int32();  // timeout_ms: appends never wait on other brokers here
  auto topic_count = in.array_length(6);
  decoded.topics.reserve(static_cast<std::size_t>(topic_count));
  for (std::int32_t t = 0; t < topic_count && in.ok(); ++t) {
    auto& topic = decoded.topics.emplace_back();
    topic.name = in.string();
    auto partition_count = in.array_length(8);
    topic.partitions.reserve(static_cast<std::size_t>(partition_count));
    for (std::int32_t p = 0; p < partition_count && in.ok(); ++p) {
      auto& partition = topic.partitions.emplace_back();
      partition.index = in.int32();
      partition.records = in.nullable_bytes();
    }
  }
  if (!in.ok()) return std::nullopt;
  return decoded;
}

struct Batch {
  batch::Header header;
  std::string_view bytes;
};

// Splits a partition's records into whole RecordBatch v2 batches, or says
// why they are not.
AppendOutcome split_batches(std::optional<std::string_view> records, std::vector<Batch>& batches) {
  AppendOutcome refused;
  if (!records || records->empty()) {
    refused.error = ErrorCode::invalid_record;
    refused.message = "a produce needs at least one record batch";
    return refused;
  }
  auto rest = *records;
  while (!rest.empty()) {
    auto header = batch::parse_header(rest);
    if (!header) {
      refused.error = to_error_code(header.error().code);
      refused.message = header.error().message;
      return refused;
    }
    if (header->total_size() > rest.size()) {
      refused.error = ErrorCode::corrupt_message;
      refused.message = "truncated batch: Length announces " +
                        std::to_string(header->total_size()) + " bytes, only " +
                        std::to_string(rest.size()) + " present";
      return refused;
    }
    if (header->is_transactional() || header->is_control()) {
      refused.error = ErrorCode::transactional_id_authorization_failed;
      refused.message = "transactions are not supported";
      return refused;
    }
    batches.push_back(Batch{*header, rest.substr(0, header->total_size())});
    rest.remove_prefix(header->total_size());
  }
  // The kernel checks each batch as it appends it; with several, one bad
  // batch must not leave the ones before it appended. (Clients send one.)
  if (batches.size() > 1) {
    for (const auto& batch : batches) {
      if (auto valid = batch::validate(batch.bytes); !valid) {
        refused.error = to_error_code(valid.error().code);
        refused.message = valid.error().message;
        return refused;
      }
    }
  }
  return refused;
}

void log_transactions_refused_once() {
  static std::atomic<bool> logged{false};
  if (!logged.exchange(true)) {
    kafka_logger().warn()
        << "refusing transactional produce requests: transactions are not supported";
  }
}

struct PartitionResult {
  std::int32_t index = 0;
  AppendOutcome refused;               // found before any append
  std::vector<AppendOutcome> batches;  // one slot per batch, filled by its callback
};

struct TopicResult {
  std::string name;
  std::vector<PartitionResult> partitions;
};

// The request while its partitions complete on kernel threads. Each callback
// writes only its own slot; the last one to finish (the acq_rel countdown
// orders the writes before it) builds the answer.
class PendingProduce : public std::enable_shared_from_this<PendingProduce> {
 public:
  PendingProduce(BrokerContext& context, std::int16_t version, std::int16_t acks,
                 Responder responder)
      : context_(context), version_(version), acks_(acks), responder_(std::move(responder)) {}

  std::vector<TopicResult> topics;

  // `count` completions to wait for, on top of the one the issuer holds.
  void expect(std::size_t count) { outstanding_.fetch_add(count, std::memory_order_relaxed); }
  void complete_one() {
    if (outstanding_.fetch_sub(1, std::memory_order_acq_rel) == 1) finish();
  }

 private:
  static const AppendOutcome* first_error(const PartitionResult& partition) {
    if (partition.refused.error != ErrorCode::none) return &partition.refused;
    for (const auto& batch : partition.batches)
      if (batch.error != ErrorCode::none) return &batch;
    return nullptr;
  }

  void finish() {
    if (acks_ == 0) return finish_without_answer();
    WireWriter out;
    out.array_length(topics.size());
    for (const auto& topic : topics) {
      out.string(topic.name);
      out.array_length(topic.partitions.size());
      for (const auto& partition : topic.partitions) {
        const AppendOutcome* error = first_error(partition);
        out.int32(partition.index);
        out.int16(wire(error ? error->error : ErrorCode::none));
        out.int64(error ? -1 : partition.batches.front().ack.base_offset);
        // Topics here always keep the producer's CreateTime.
        if (version_ >= 2) out.int64(-1);
        if (version_ >= 5) {
          std::int64_t log_start = -1;
          if (!error) {
            auto offsets = context_.kernel.offsets(topic.name, partition.index);
            if (offsets) log_start = offsets->log_start_offset;
          }
          out.int64(log_start);
        }
        if (version_ >= 8) {
          out.array_length(0);  // record_errors: a batch fails as a whole
          out.nullable_string(error ? std::optional<std::string>(error->message) : std::nullopt);
        }
      }
    }
    if (version_ >= 1) out.int32(0);  // throttle_time_ms
    responder_.send(out.take());
  }

  // acks = 0 has no answer; like Kafka, a failure closes the connection so
  // the producer notices and refreshes its metadata.
  void finish_without_answer() {
    for (const auto& topic : topics) {
      for (const auto& partition : topic.partitions) {
        if (const AppendOutcome* error = first_error(partition)) {
          return responder_.reject("produce with acks=0 to " + topic.name + "/" +
                                   std::to_string(partition.index) + " failed: " + error->message);
        }
      }
    }
    responder_.send_nothing();
  }

  BrokerContext& context_;
  const std::int16_t version_;
  const std::int16_t acks_;
  Responder responder_;
  std::atomic<std::size_t> outstanding_{1};
};

}  // namespace

void handle_produce(BrokerContext& context, const Request& request, Responder responder) {
  auto decoded = decode(request);
  if (!decoded) return responder.reject("malformed Produce request");

  auto pending = std::make_shared<PendingProduce>(context, request.api_version, decoded->acks,
                                                  std::move(responder));
  const bool valid_acks = decoded->acks == 0 || decoded->acks == 1 || decoded->acks == -1;
  if (decoded->transactional_id) log_transactions_refused_once();

  // Everything is decided and sized before the first append, since the
  // kernel may call back at once, on this thread.
  std::vector<std::vector<std::vector<Batch>>> batches(decoded->topics.size());
  std::size_t batch_count = 0;
  pending->topics.resize(decoded->topics.size());
  for (std::size_t t = 0; t < decoded->topics.size(); ++t) {
    const auto& topic = decoded->topics[t];
    auto& result = pending->topics[t];
    result.name = topic.name;
    result.partitions.resize(topic.partitions.size());
    batches[t].resize(topic.partitions.size());
    const bool valid_name = validate_topic_name(topic.name).ok();
    for (std::size_t p = 0; p < topic.partitions.size(); ++p) {
      auto& partition = result.partitions[p];
      partition.index = topic.partitions[p].index;
      auto& refused = partition.refused;
      if (!valid_acks) {
        refused.error = ErrorCode::invalid_required_acks;
        refused.message = "acks must be 0, 1 or -1, not " + std::to_string(decoded->acks);
      } else if (decoded->transactional_id) {
        refused.error = ErrorCode::transactional_id_authorization_failed;
        refused.message = "transactions are not supported";
      } else if (!valid_name) {
        refused.error = ErrorCode::invalid_topic_exception;
        refused.message = "invalid topic name '" + topic.name + "'";
      } else if (auto moved = leadership_error(context, topic.name, partition.index);
                 moved != ErrorCode::none) {
        refused.error = moved;
        refused.message = "partition " + std::to_string(partition.index) + " of '" + topic.name +
                          "' is not led by this broker";
      } else {
        refused = split_batches(topic.partitions[p].records, batches[t][p]);
        if (refused.error == ErrorCode::transactional_id_authorization_failed) {
          log_transactions_refused_once();
        }
      }
      if (refused.error != ErrorCode::none) {
        batches[t][p].clear();
        continue;
      }
      partition.batches.resize(batches[t][p].size());
      batch_count += batches[t][p].size();
    }
  }
  pending->expect(batch_count);

  for (std::size_t t = 0; t < batches.size(); ++t) {
    const auto& topic_name = pending->topics[t].name;
    for (std::size_t p = 0; p < batches[t].size(); ++p) {
      auto& partition = pending->topics[t].partitions[p];
      for (std::size_t b = 0; b < batches[t][p].size(); ++b) {
        const auto& batch = batches[t][p][b];
        auto done = [pending, slot = &partition.batches[b]](const AppendOutcome& outcome) {
          *slot = outcome;
          pending->complete_one();
        };
        if (batch.header.producer_id >= 0) {
          context.producer_states.append(topic_name, partition.index, batch.header,
                                         std::string(batch.bytes), std::move(done));
        } else {
          context.kernel.produce_batch(topic_name, partition.index, std::string(batch.bytes),
                                       [done = std::move(done)](Result<ProduceAck> result) {
                                         done(to_append_outcome(result));
                                       });
        }
      }
    }
  }
  pending->complete_one();
}

}  // namespace junction::kafka
