// FindCoordinator: the broker the kernel names for the group (in a cluster,
// the leader of the group's partition of __junction_groups). Transactions are
// not implemented, so no broker coordinates them.
#include <optional>
#include <string>

#include "handlers/handlers.hpp"
#include "junction/kernel.hpp"
#include "protocol/error_code.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"
#include "server/cluster_view.hpp"

namespace junction::kafka {
namespace {

constexpr std::int8_t kGroupKey = 0;
constexpr std::int8_t kTransactionKey = 1;

}  // namespace

void handle_find_coordinator(BrokerContext& context, const Request& request, Responder responder) {
  WireReader in(request.body);
  const auto key = in.string();
  const std::int8_t key_type = request.api_version >= 1 ? in.int8() : kGroupKey;
  if (!in.ok()) return responder.reject("malformed FindCoordinator request");

  ErrorCode error = ErrorCode::none;
  std::optional<std::string> message;
  if (key_type == kTransactionKey) {
    error = ErrorCode::coordinator_not_available;
    message = "transactions are not supported by this broker";
  } else if (key_type != kGroupKey) {
    error = ErrorCode::invalid_request;
    message = "unknown coordinator key type " + std::to_string(key_type);
  }
  std::optional<KafkaBroker> coordinator;
  if (error == ErrorCode::none) {
    auto id = context.kernel.group_coordinator(key);
    if (id) coordinator = kafka_broker(context, *id);
    if (!coordinator) {
      error = ErrorCode::coordinator_not_available;
      message = "the coordinator of group '" + key + "' is not available";
    }
  }
  WireWriter out;
  if (request.api_version >= 1) out.int32(0);  // throttle_time_ms
  out.int16(wire(error));
  if (request.api_version >= 1) out.nullable_string(message);
  out.int32(coordinator ? coordinator->id : -1);
  out.string(coordinator ? coordinator->host : std::string());
  out.int32(coordinator ? coordinator->port : -1);
  responder.send(out.take());
}

}  // namespace junction::kafka
