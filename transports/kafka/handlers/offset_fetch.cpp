// OffsetFetch: a group's committed offsets, -1 where nothing is committed.
// With no topic list (v2+) every committed offset of the group is returned:
// the kernel exposes no per-group listing, so each partition of every topic
// is looked up.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "handlers/handlers.hpp"
#include "junction/kernel.hpp"
#include "protocol/error_code.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"
#include "server/cluster_view.hpp"

namespace junction::kafka {
namespace {

struct FetchedOffset {
  std::int32_t partition = 0;
  std::int64_t offset = -1;
  std::string metadata;
  ErrorCode error = ErrorCode::none;
};

struct FetchedTopic {
  std::string name;
  std::vector<FetchedOffset> partitions;
};

FetchedOffset look_up(const Kernel& kernel, const std::string& group_id, const std::string& topic,
                      std::int32_t partition) {
  FetchedOffset fetched;
  fetched.partition = partition;
  auto committed = kernel.committed_offset(group_id, topic, partition);
  if (!committed) {
    fetched.error = to_error_code(committed.error().code);
  } else if (*committed) {
    fetched.offset = (*committed)->offset;
    fetched.metadata = (*committed)->metadata;
  }
  return fetched;
}

std::vector<FetchedTopic> everything_committed(const Kernel& kernel, const std::string& group_id) {
  std::vector<FetchedTopic> topics;
  for (const auto& info : kernel.list_topics()) {
    FetchedTopic topic{info.name, {}};
    for (std::int32_t p = 0; p < info.partitions; ++p) {
      auto fetched = look_up(kernel, group_id, info.name, p);
      if (fetched.error == ErrorCode::none && fetched.offset >= 0)
        topic.partitions.push_back(std::move(fetched));
    }
    if (!topic.partitions.empty()) topics.push_back(std::move(topic));
  }
  return topics;
}

}  // namespace

void handle_offset_fetch(BrokerContext& context, const Request& request, Responder responder) {
  const auto version = request.api_version;
  WireReader in(request.body);
  const auto group_id = in.string();
  // A null topic array (v2+) asks for everything the group committed.
  std::optional<std::vector<FetchedTopic>> topics;
  const auto count = in.int32();
  if (count >= 0 || version < 2) {
    topics.emplace();
    if (static_cast<std::size_t>(std::max(count, 0)) * (2 + 4) > in.remaining()) {
      return responder.reject("malformed OffsetFetch request");
    }
    for (std::int32_t t = 0; t < count && in.ok(); ++t) {
      FetchedTopic topic{in.string(), {}};
      const auto partitions = in.array_length(4);
      for (std::int32_t p = 0; p < partitions && in.ok(); ++p) {
        topic.partitions.push_back({in.int32(), -1, {}, ErrorCode::none});
      }
      topics->push_back(std::move(topic));
    }
  }
  if (!in.ok()) return responder.reject("malformed OffsetFetch request");

  const auto elsewhere = coordination_error(context, group_id);
  if (elsewhere != ErrorCode::none) {
    if (!topics) topics.emplace();
    for (auto& topic : *topics)
      for (auto& partition : topic.partitions) partition.error = elsewhere;
  } else if (topics) {
    for (auto& topic : *topics)
      for (auto& partition : topic.partitions)
        partition = look_up(context.kernel, group_id, topic.name, partition.partition);
  } else {
    topics = everything_committed(context.kernel, group_id);
  }

  WireWriter out;
  if (version >= 3) out.int32(0);  // throttle_time_ms
  out.array_length(topics->size());
  for (const auto& topic : *topics) {
    out.string(topic.name);
    out.array_length(topic.partitions.size());
    for (const auto& partition : topic.partitions) {
      out.int32(partition.partition);
      out.int64(partition.offset);
      if (version >= 5) out.int32(-1);  // committed_leader_epoch
      out.nullable_string(partition.metadata);
      out.int16(wire(partition.error));
    }
  }
  if (version >= 2) out.int16(wire(elsewhere));
  responder.send(out.take());
}

}  // namespace junction::kafka
