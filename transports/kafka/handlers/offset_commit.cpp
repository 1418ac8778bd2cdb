// OffsetCommit: a group's consumed positions, stored durably by the kernel
// with their metadata strings. The committer's membership is checked first:
// a member of an older generation must not move the group's offsets.
#include <optional>
#include <string>
#include <vector>

#include "groups/group_coordinator.hpp"
#include "handlers/handlers.hpp"
#include "junction/kernel.hpp"
#include "protocol/error_code.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"
#include "server/cluster_view.hpp"

namespace junction::kafka {
namespace {

// Kafka's offset.metadata.max.bytes default.
constexpr std::size_t kMaxMetadataBytes = 4096;

struct PartitionCommit {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::string> metadata;
  ErrorCode error = ErrorCode::none;
};

struct TopicCommit {
  std::string name;
  std::vector<PartitionCommit> partitions;
};

struct DecodedCommit {
  std::string group_id;
  std::int32_t generation = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<TopicCommit> topics;
};

std::optional<DecodedCommit> decode(const Request& request) {
  const auto version = request.api_version;
  WireReader in(request.body);
  DecodedCommit decoded;
  decoded.group_id = in.string();
  if (version >= 1) {
    decoded.generation = in.int32();
    decoded.member_id = in.string();
  }
  if (version >= 7) decoded.group_instance_id = in.nullable_string();
  if (version >= 2 && version <= 4) in.int64();  // retention_time_ms: offsets are kept
  const auto topics = in.array_length(2 + 4);
  for (std::int32_t t = 0; t < topics && in.ok(); ++t) {
    TopicCommit topic;
    topic.name = in.string();
    const auto partitions = in.array_length(4 + 8 + 2);
    for (std::int32_t p = 0; p < partitions && in.ok(); ++p) {
      PartitionCommit commit;
      commit.partition = in.int32();
      commit.offset = in.int64();
      if (version >= 6) in.int32();  // committed_leader_epoch: one leader, no fencing
      if (version == 1) in.int64();  // commit_timestamp
      commit.metadata = in.nullable_string();
      topic.partitions.push_back(std::move(commit));
    }
    decoded.topics.push_back(std::move(topic));
  }
  if (!in.ok()) return std::nullopt;
  return decoded;
}

std::string encode(std::int16_t version, const std::vector<TopicCommit>& topics) {
  WireWriter out;
  if (version >= 3) out.int32(0);  // throttle_time_ms
  out.array_length(topics.size());
  for (const auto& topic : topics) {
    out.string(topic.name);
    out.array_length(topic.partitions.size());
    for (const auto& partition : topic.partitions) {
      out.int32(partition.partition);
      out.int16(wire(partition.error));
    }
  }
  return out.take();
}

void store(Kernel& kernel, const std::string& group_id, std::vector<TopicCommit>& topics) {
  for (auto& topic : topics) {
    for (auto& partition : topic.partitions) {
      if (partition.metadata && partition.metadata->size() > kMaxMetadataBytes) {
        partition.error = ErrorCode::offset_metadata_too_large;
        continue;
      }
      auto stored =
          kernel.commit_offset(group_id, topic.name, partition.partition,
                               CommittedOffset{partition.offset, partition.metadata.value_or("")});
      if (!stored) partition.error = to_error_code(stored.error().code);
    }
  }
}

}  // namespace

void handle_offset_commit(BrokerContext& context, const Request& request, Responder responder) {
  auto decoded = decode(request);
  if (!decoded) return responder.reject("malformed OffsetCommit request");
  const auto version = request.api_version;
  auto fail_all = [](std::vector<TopicCommit>& topics, ErrorCode error) {
    for (auto& topic : topics)
      for (auto& partition : topic.partitions) partition.error = error;
  };
  if (decoded->group_instance_id) {
    fail_all(decoded->topics, ErrorCode::unsupported_version);
    return responder.send(encode(version, decoded->topics));
  }
  if (auto elsewhere = coordination_error(context, decoded->group_id);
      elsewhere != ErrorCode::none) {
    fail_all(decoded->topics, elsewhere);
    return responder.send(encode(version, decoded->topics));
  }
  auto group_id = decoded->group_id;
  auto member_id = decoded->member_id;
  const auto generation = decoded->generation;
  context.groups.commit(std::move(group_id), std::move(member_id), generation,
                        [&kernel = context.kernel, responder, version, fail_all,
                         commit = std::move(*decoded)](ErrorCode membership) mutable {
                          if (membership == ErrorCode::none) {
                            store(kernel, commit.group_id, commit.topics);
                          } else {
                            fail_all(commit.topics, membership);
                          }
                          responder.send(encode(version, commit.topics));
                        });
}

}  // namespace junction::kafka
