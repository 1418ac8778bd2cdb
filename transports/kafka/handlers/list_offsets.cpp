// ListOffsets (v0-5): the latest offset (the high watermark), the earliest
// (the log start) or the first offset whose timestamp is at or after the one
// asked for. v0 answers in its old form, an array of offsets.
#include <optional>
#include <string>
#include <vector>

#include "handlers/handlers.hpp"
#include "junction/kernel.hpp"
#include "junction/record_batch.hpp"
#include "protocol/error_code.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"

namespace junction::kafka {
namespace {

constexpr std::int64_t kLatest = -1;
constexpr std::int64_t kEarliest = -2;

struct PartitionQuery {
  std::int32_t index = 0;
  std::int64_t timestamp = 0;
  std::int32_t max_offsets = 1;  // v0 only
};

struct TopicQuery {
  std::string name;
  std::vector<PartitionQuery> partitions;
};

std::optional<std::vector<TopicQuery>> decode(const Request& request) {
  const auto version = request.api_version;
  WireReader in(request.body);
  in.int32();                   // replica_id
  if (version >= 2) in.int8();  // isolation_level: everything is committed
  std::vector<TopicQuery> topics;
  auto topic_count = in.array_length(6);
  topics.reserve(static_cast<std::size_t>(topic_count));
  for (std::int32_t t = 0; t < topic_count && in.ok(); ++t) {
    auto& topic = topics.emplace_back();
    topic.name = in.string();
    auto partition_count = in.array_length(12);
    topic.partitions.reserve(static_cast<std::size_t>(partition_count));
    for (std::int32_t p = 0; p < partition_count && in.ok(); ++p) {
      auto& partition = topic.partitions.emplace_back();
      partition.index = in.int32();
      if (version >= 4) in.int32();  // current_leader_epoch
      partition.timestamp = in.int64();
      if (version == 0) partition.max_offsets = in.int32();
    }
  }
  if (!in.ok()) return std::nullopt;
  return topics;
}

struct Answer {
  ErrorCode error = ErrorCode::none;
  std::int64_t offset = -1;
  std::int64_t timestamp = -1;
};

// The timestamp of the record at `offset`, which Kafka reports with it.
std::int64_t timestamp_at(Kernel& kernel, const std::string& topic, std::int32_t partition,
                          std::int64_t offset) {
  auto fetched = kernel.fetch(topic, partition, offset, 1);
  if (!fetched) return -1;
  batch::Iterator batches(fetched->batches);
  batch::Header header;
  std::string_view bytes;
  auto next = batches.next(header, bytes);
  if (!next || !*next) return -1;
  auto records = batch::decode(bytes);
  if (!records) return -1;
  for (const auto& stored : *records) {
    if (stored.offset == offset) return stored.record.timestamp_ms;
  }
  return -1;
}

Answer look_up(Kernel& kernel, const std::string& topic, const PartitionQuery& query) {
  Answer answer;
  if (query.timestamp == kLatest || query.timestamp == kEarliest) {
    auto offsets = kernel.offsets(topic, query.index);
    if (!offsets) {
      answer.error = to_error_code(offsets.error().code);
      return answer;
    }
    answer.offset =
        query.timestamp == kLatest ? offsets->high_watermark : offsets->log_start_offset;
    return answer;
  }
  auto found = kernel.offset_for_timestamp(topic, query.index, query.timestamp);
  if (!found) {
    answer.error = to_error_code(found.error().code);
  } else if (*found) {
    answer.offset = **found;
    answer.timestamp = timestamp_at(kernel, topic, query.index, answer.offset);
  }
  return answer;
}

}  // namespace

void handle_list_offsets(BrokerContext& context, const Request& request, Responder responder) {
  auto topics = decode(request);
  if (!topics) return responder.reject("malformed ListOffsets request");
  const auto version = request.api_version;

  WireWriter out;
  if (version >= 2) out.int32(0);  // throttle_time_ms
  out.array_length(topics->size());
  for (const auto& topic : *topics) {
    out.string(topic.name);
    out.array_length(topic.partitions.size());
    for (const auto& partition : topic.partitions) {
      auto answer = look_up(context.kernel, topic.name, partition);
      out.int32(partition.index);
      out.int16(wire(answer.error));
      if (version == 0) {
        const bool any =
            answer.error == ErrorCode::none && answer.offset >= 0 && partition.max_offsets > 0;
        out.array_length(any ? 1 : 0);
        if (any) out.int64(answer.offset);
        continue;
      }
      out.int64(answer.timestamp);
      out.int64(answer.offset);
      if (version >= 4) out.int32(-1);  // leader_epoch: unknown
    }
  }
  responder.send(out.take());
}

}  // namespace junction::kafka
