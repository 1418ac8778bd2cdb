// LeaveGroup: a member that closes gracefully leaves at once, so the others
// rebalance now instead of after its session timeout. From v3 one request
// may carry several members, each with its own answer.
#include <optional>
#include <string>
#include <vector>

#include "groups/group_coordinator.hpp"
#include "handlers/handlers.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"
#include "server/cluster_view.hpp"

namespace junction::kafka {
namespace {

struct LeavingMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

std::string encode(std::int16_t version, ErrorCode error, const std::vector<LeavingMember>& members,
                   const std::vector<ErrorCode>& errors) {
  WireWriter out;
  if (version >= 1) out.int32(0);  // throttle_time_ms
  if (version < 3) {
    out.int16(wire(errors.empty() ? error : errors.front()));
    return out.take();
  }
  out.int16(wire(error));
  out.array_length(errors.size());
  for (std::size_t i = 0; i < errors.size(); ++i) {
    out.string(members[i].member_id);
    out.nullable_string(members[i].group_instance_id);
    out.int16(wire(errors[i]));
  }
  return out.take();
}

}  // namespace

void handle_leave_group(BrokerContext& context, const Request& request, Responder responder) {
  WireReader in(request.body);
  auto group_id = in.string();
  std::vector<LeavingMember> members;
  if (request.api_version < 3) {
    members.push_back({in.string(), std::nullopt});
  } else {
    const auto count = in.array_length(2 + 2);
    for (std::int32_t i = 0; i < count && in.ok(); ++i) {
      LeavingMember member;
      member.member_id = in.string();
      member.group_instance_id = in.nullable_string();
      members.push_back(std::move(member));
    }
  }
  if (!in.ok()) return responder.reject("malformed LeaveGroup request");
  const auto version = request.api_version;
  if (group_id.empty()) {
    return responder.send(encode(version, ErrorCode::invalid_group_id, members, {}));
  }
  if (auto elsewhere = coordination_error(context, group_id); elsewhere != ErrorCode::none) {
    return responder.send(encode(version, elsewhere, members, {}));
  }
  std::vector<std::string> member_ids;
  for (const auto& member : members) member_ids.push_back(member.member_id);
  context.groups.leave(std::move(group_id), std::move(member_ids),
                       [responder, version, members](const std::vector<ErrorCode>& errors) {
                         responder.send(encode(version, ErrorCode::none, members, errors));
                       });
}

}  // namespace junction::kafka
