// JoinGroup: the coordinator holds the answer until the rebalance completes;
// the leader's answer lists every member with its protocol metadata.
#include <optional>
#include <string>

#include "groups/group_coordinator.hpp"
#include "handlers/group_handler_support.hpp"
#include "handlers/handlers.hpp"
#include "junction/log.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"
#include "server/cluster_view.hpp"

namespace junction::kafka {
namespace {

struct DecodedJoin {
  std::string group_id;
  std::optional<std::string> group_instance_id;
  JoinRequest join;
};

std::optional<DecodedJoin> decode(const Request& request) {
  WireReader in(request.body);
  DecodedJoin decoded;
  decoded.group_id = in.string();
  auto& join = decoded.join;
  join.session_timeout_ms = in.int32();
  join.rebalance_timeout_ms = request.api_version >= 1 ? in.int32() : join.session_timeout_ms;
  join.member_id = in.string();
  if (request.api_version >= 5) decoded.group_instance_id = in.nullable_string();
  join.protocol_type = in.string();
  const auto count = in.array_length(2 + 4);
  for (std::int32_t i = 0; i < count && in.ok(); ++i) {
    GroupProtocol protocol;
    protocol.name = in.string();
    protocol.metadata = std::string(in.bytes());
    join.protocols.push_back(std::move(protocol));
  }
  if (!in.ok()) return std::nullopt;
  join.client_id = request.client_id.value_or("");
  join.client_host = client_host(request.peer);
  join.member_id_required = request.api_version >= 4;
  return decoded;
}

std::string encode(std::int16_t version, const JoinResult& result) {
  WireWriter out;
  if (version >= 2) out.int32(0);  // throttle_time_ms
  out.int16(wire(result.error));
  out.int32(result.generation);
  out.string(result.protocol_name);
  out.string(result.leader);
  out.string(result.member_id);
  out.array_length(result.members.size());
  for (const auto& member : result.members) {
    out.string(member.member_id);
    if (version >= 5) out.nullable_string(std::nullopt);  // group_instance_id
    out.bytes(member.metadata);
  }
  return out.take();
}

}  // namespace

void handle_join_group(BrokerContext& context, const Request& request, Responder responder) {
  auto decoded = decode(request);
  if (!decoded) return responder.reject("malformed JoinGroup request");
  const auto version = request.api_version;
  if (decoded->group_id.empty()) {
    JoinResult refused;
    refused.error = ErrorCode::invalid_group_id;
    refused.member_id = decoded->join.member_id;
    return responder.send(encode(version, refused));
  }
  if (auto elsewhere = coordination_error(context, decoded->group_id);
      elsewhere != ErrorCode::none) {
    JoinResult refused;
    refused.error = elsewhere;
    refused.member_id = decoded->join.member_id;
    return responder.send(encode(version, refused));
  }
  if (decoded->group_instance_id) {
    // Kafka's own answer when static membership is unavailable.
    kafka_logger().warn() << "client " << request.peer << " asked for static membership "
                          << "(group.instance.id) in group '" << decoded->group_id
                          << "'; it is not supported, join without group.instance.id";
    JoinResult refused;
    refused.error = ErrorCode::unsupported_version;
    refused.member_id = decoded->join.member_id;
    return responder.send(encode(version, refused));
  }
  context.groups.join(
      std::move(decoded->group_id), std::move(decoded->join),
      [responder, version](const JoinResult& result) { responder.send(encode(version, result)); },
      [responder](std::function<void()> cancel) { responder.on_abandon(std::move(cancel)); });
}

}  // namespace junction::kafka
