// ListGroups: the groups the coordinator knows, plus those that only have
// committed offsets in the kernel (consumers that assign their own
// partitions, or groups from before a restart), with no protocol type.
#include <map>
#include <string>
#include <vector>

#include "groups/group_coordinator.hpp"
#include "handlers/handlers.hpp"
#include "junction/kernel.hpp"
#include "protocol/error_code.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"

namespace junction::kafka {

void handle_list_groups(BrokerContext& context, const Request& request, Responder responder) {
  const auto version = request.api_version;
  context.groups.list(
      [&kernel = context.kernel, responder, version](const std::vector<GroupListing>& active) {
        std::map<std::string, std::string> groups;
        for (const auto& name : kernel.list_groups()) groups.emplace(name, std::string());
        for (const auto& group : active) groups[group.group_id] = group.protocol_type;
        WireWriter out;
        if (version >= 1) out.int32(0);  // throttle_time_ms
        out.int16(wire(ErrorCode::none));
        out.array_length(groups.size());
        for (const auto& [group_id, protocol_type] : groups) {
          out.string(group_id);
          out.string(protocol_type);
        }
        responder.send(out.take());
      });
}

}  // namespace junction::kafka
