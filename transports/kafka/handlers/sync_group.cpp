// SyncGroup: the leader hands in every member's assignment; each member
// (the leader too) gets its own back once the leader's has arrived.
#include <map>
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

struct DecodedSync {
  std::string group_id;
  std::int32_t generation = 0;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::map<std::string, std::string> assignments;
};

std::optional<DecodedSync> decode(const Request& request) {
  WireReader in(request.body);
  DecodedSync decoded;
  decoded.group_id = in.string();
  decoded.generation = in.int32();
  decoded.member_id = in.string();
  if (request.api_version >= 3) decoded.group_instance_id = in.nullable_string();
  const auto count = in.array_length(2 + 4);
  for (std::int32_t i = 0; i < count && in.ok(); ++i) {
    auto member_id = in.string();
    decoded.assignments[std::move(member_id)] = std::string(in.bytes());
  }
  if (!in.ok()) return std::nullopt;
  return decoded;
}

std::string encode(std::int16_t version, const SyncResult& result) {
  WireWriter out;
  if (version >= 1) out.int32(0);  // throttle_time_ms
  out.int16(wire(result.error));
  out.bytes(result.assignment);
  return out.take();
}

}  // namespace

void handle_sync_group(BrokerContext& context, const Request& request, Responder responder) {
  auto decoded = decode(request);
  if (!decoded) return responder.reject("malformed SyncGroup request");
  const auto version = request.api_version;
  if (decoded->group_id.empty()) {
    return responder.send(encode(version, {ErrorCode::invalid_group_id, {}}));
  }
  if (auto elsewhere = coordination_error(context, decoded->group_id);
      elsewhere != ErrorCode::none) {
    return responder.send(encode(version, {elsewhere, {}}));
  }
  if (decoded->group_instance_id) {
    return responder.send(encode(version, {ErrorCode::unsupported_version, {}}));
  }
  context.groups.sync(
      std::move(decoded->group_id), std::move(decoded->member_id), decoded->generation,
      std::move(decoded->assignments),
      [responder, version](const SyncResult& result) { responder.send(encode(version, result)); },
      [responder](std::function<void()> cancel) { responder.on_abandon(std::move(cancel)); });
}

}  // namespace junction::kafka
