// Heartbeat: keeps a member's session alive, and tells it when the group is
// rebalancing so it rejoins.
#include <optional>
#include <string>

#include "groups/group_coordinator.hpp"
#include "handlers/handlers.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"
#include "server/cluster_view.hpp"

namespace junction::kafka {
namespace {

std::string encode(std::int16_t version, ErrorCode error) {
  WireWriter out;
  if (version >= 1) out.int32(0);  // throttle_time_ms
  out.int16(wire(error));
  return out.take();
}

}  // namespace

void handle_heartbeat(BrokerContext& context, const Request& request, Responder responder) {
  WireReader in(request.body);
  auto group_id = in.string();
  const auto generation = in.int32();
  auto member_id = in.string();
  std::optional<std::string> group_instance_id;
  if (request.api_version >= 3) group_instance_id = in.nullable_string();
  if (!in.ok()) return responder.reject("malformed Heartbeat request");
  const auto version = request.api_version;
  if (group_id.empty()) return responder.send(encode(version, ErrorCode::invalid_group_id));
  if (auto elsewhere = coordination_error(context, group_id); elsewhere != ErrorCode::none) {
    return responder.send(encode(version, elsewhere));
  }
  if (group_instance_id) return responder.send(encode(version, ErrorCode::unsupported_version));
  context.groups.heartbeat(
      std::move(group_id), std::move(member_id), generation,
      [responder, version](ErrorCode error) { responder.send(encode(version, error)); });
}

}  // namespace junction::kafka
