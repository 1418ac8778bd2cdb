// InitProducerId (v0-1): a fresh producer id with epoch 0 for an idempotent
// producer. Transactions are not supported, so a transactional id is refused.
#include <optional>
#include <string>

#include "handlers/handlers.hpp"
#include "producers/producer_id_allocator.hpp"
#include "protocol/error_code.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"

namespace junction::kafka {

void handle_init_producer_id(BrokerContext& context, const Request& request, Responder responder) {
  WireReader in(request.body);
  auto transactional_id = in.nullable_string();
  in.int32();  // transaction_timeout_ms
  if (!in.ok()) return responder.reject("malformed InitProducerId request");

  WireWriter out;
  out.int32(0);  // throttle_time_ms
  if (transactional_id) {
    out.int16(wire(ErrorCode::transactional_id_authorization_failed));
    out.int64(-1);
    out.int16(-1);
  } else {
    out.int16(wire(ErrorCode::none));
    out.int64(context.producer_ids.next());
    out.int16(0);
  }
  responder.send(out.take());
}

}  // namespace junction::kafka
