// Metadata: the brokers, and for each requested topic its partitions and
// their leaders. Asking for an unknown topic creates it when the broker's
// auto_create is on and the client allows it (v4+), as Kafka does.
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "handlers/handlers.hpp"
#include "junction/coordinator.hpp"
#include "junction/kernel.hpp"
#include "protocol/error_code.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"
#include "server/cluster_view.hpp"

namespace junction::kafka {
namespace {

struct MetadataRequest {
  std::optional<std::vector<std::string>> topics;  // nullopt: all topics
  bool allow_auto_topic_creation = true;
};

std::optional<MetadataRequest> decode(const Request& request) {
  WireReader in(request.body);
  MetadataRequest decoded;
  auto count = in.int32();
  if (count >= 0 || request.api_version == 0) {
    decoded.topics.emplace();
    for (std::int32_t i = 0; i < count && in.ok(); ++i) decoded.topics->push_back(in.string());
    // In v0 an empty list means every topic.
    if (request.api_version == 0 && decoded.topics->empty()) decoded.topics.reset();
  }
  if (request.api_version >= 4) decoded.allow_auto_topic_creation = in.boolean();
  if (request.api_version >= 8) {
    in.boolean();  // include_cluster_authorized_operations
    in.boolean();  // include_topic_authorized_operations
  }
  if (!in.ok()) return std::nullopt;
  return decoded;
}

void write_topic(WireWriter& out, const BrokerContext& context, std::int16_t version,
                 const std::string& name, ErrorCode error, std::int32_t partitions) {
  out.int16(wire(error));
  out.string(name);
  // Like Kafka's __consumer_offsets: the cluster's own topics (__junction_groups).
  if (version >= 1) out.boolean(name.rfind("__", 0) == 0);  // is_internal
  out.array_length(partitions);
  for (std::int32_t p = 0; p < partitions; ++p) {
    auto leadership = partition_leadership(context, name, p);
    out.int16(wire(leadership.leader < 0 ? ErrorCode::leader_not_available : ErrorCode::none));
    out.int32(p);
    out.int32(leadership.leader);
    if (version >= 7) out.int32(leadership.leader_epoch);
    out.array_length(leadership.replicas.size());
    for (auto id : leadership.replicas) out.int32(id);
    out.array_length(leadership.in_sync_replicas.size());
    for (auto id : leadership.in_sync_replicas) out.int32(id);
    if (version >= 5) out.array_length(0);  // offline_replicas
  }
  if (version >= 8) out.int32(std::numeric_limits<std::int32_t>::min());  // authorized ops
}

}  // namespace

void handle_metadata(BrokerContext& context, const Request& request, Responder responder) {
  auto decoded = decode(request);
  if (!decoded) return responder.reject("malformed Metadata request");
  const auto version = request.api_version;

  WireWriter out;
  if (version >= 3) out.int32(0);  // throttle_time_ms
  auto brokers = kafka_brokers(context);
  out.array_length(brokers.size());
  for (const auto& broker : brokers) {
    out.int32(broker.id);
    out.string(broker.host);
    out.int32(broker.port);
    if (version >= 1) out.nullable_string(std::nullopt);  // rack
  }
  if (version >= 2) out.nullable_string(std::string("junction"));  // cluster_id
  if (version >= 1) {
    auto controller = context.coordinator.controller();
    out.int32(controller.value_or(self_broker_id(context)));
  }

  if (!decoded->topics) {
    auto topics = context.kernel.list_topics();
    out.array_length(topics.size());
    for (const auto& topic : topics)
      write_topic(out, context, version, topic.name, ErrorCode::none, topic.partitions);
  } else {
    out.array_length(decoded->topics->size());
    for (const auto& name : *decoded->topics) {
      auto topic = decoded->allow_auto_topic_creation ? context.kernel.ensure_topic(name)
                                                      : context.kernel.describe_topic(name);
      if (topic) {
        write_topic(out, context, version, name, ErrorCode::none, topic->partitions);
      } else {
        auto error = topic.error().code == Errc::invalid_argument
                         ? ErrorCode::invalid_topic_exception
                         : to_error_code(topic.error().code);
        write_topic(out, context, version, name, error, 0);
      }
    }
  }
  if (version >= 8) out.int32(std::numeric_limits<std::int32_t>::min());
  responder.send(out.take());
}

}  // namespace junction::kafka
