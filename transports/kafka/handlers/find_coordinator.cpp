// FindCoordinator: this broker coordinates every consumer group itself.
// Transactions are not implemented, so no broker coordinates them.
#include <optional>
#include <string>

#include "handlers/handlers.hpp"
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
  in.string();  // the group id: any group is ours
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
  const bool found = error == ErrorCode::none;
  WireWriter out;
  if (request.api_version >= 1) out.int32(0);  // throttle_time_ms
  out.int16(wire(error));
  if (request.api_version >= 1) out.nullable_string(message);
  out.int32(found ? self_broker_id(context) : -1);
  out.string(found ? context.advertised_host : std::string());
  out.int32(found ? context.advertised_port : -1);
  responder.send(out.take());
}

}  // namespace junction::kafka
