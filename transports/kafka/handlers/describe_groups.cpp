// DescribeGroups: state, protocol and members of each group. A group with
// committed offsets but no members since this broker started is Empty; one
// nobody knows is Dead, as Kafka answers.
#include <algorithm>
#include <limits>
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

void handle_describe_groups(BrokerContext& context, const Request& request, Responder responder) {
  const auto version = request.api_version;
  WireReader in(request.body);
  std::vector<std::string> group_ids;
  const auto count = in.array_length(2);
  for (std::int32_t i = 0; i < count && in.ok(); ++i) group_ids.push_back(in.string());
  if (version >= 3) in.boolean();  // include_authorized_operations: no ACLs here
  if (!in.ok()) return responder.reject("malformed DescribeGroups request");

  std::vector<ErrorCode> elsewhere;
  for (const auto& id : group_ids) elsewhere.push_back(coordination_error(context, id));
  auto ids = group_ids;
  context.groups.describe(
      std::move(ids), [&kernel = context.kernel, responder, version, group_ids,
                       elsewhere](const std::vector<std::optional<GroupSummary>>& summaries) {
        const auto with_offsets = kernel.list_groups();
        WireWriter out;
        if (version >= 1) out.int32(0);  // throttle_time_ms
        out.array_length(group_ids.size());
        for (std::size_t i = 0; i < group_ids.size(); ++i) {
          const auto& summary = summaries[i];
          const bool has_offsets = std::find(with_offsets.begin(), with_offsets.end(),
                                             group_ids[i]) != with_offsets.end();
          out.int16(wire(elsewhere[i]));
          out.string(group_ids[i]);
          if (!summary || elsewhere[i] != ErrorCode::none) {
            out.string(has_offsets && elsewhere[i] == ErrorCode::none ? "Empty" : "Dead");
            out.string("");  // protocol_type
            out.string("");  // protocol_data
            out.array_length(0);
          } else {
            out.string(group_state_name(summary->state));
            out.string(summary->protocol_type);
            out.string(summary->protocol_name);
            out.array_length(summary->members.size());
            for (const auto& member : summary->members) {
              out.string(member.member_id);
              if (version >= 4) out.nullable_string(std::nullopt);  // group_instance_id
              out.string(member.client_id);
              out.string(member.client_host);
              out.bytes(member.metadata);
              out.bytes(member.assignment);
            }
          }
          if (version >= 3) out.int32(std::numeric_limits<std::int32_t>::min());
        }
        responder.send(out.take());
      });
}

}  // namespace junction::kafka
