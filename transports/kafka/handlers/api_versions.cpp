// ApiVersions: the versions this broker serves, straight from the handler
// table. A version newer than ours gets a v0 answer with UNSUPPORTED_VERSION
// and the full list, so the client retries with one we know.
#include "handlers/handlers.hpp"
#include "protocol/error_code.hpp"
#include "protocol/wire_writer.hpp"

namespace junction::kafka {

void handle_api_versions(BrokerContext&, const Request& request, Responder responder) {
  const HandlerEntry* self = find_handler(ApiKey::api_versions);
  const bool supported = request.api_version <= self->max_version;
  WireWriter out;
  out.int16(wire(supported ? ErrorCode::none : ErrorCode::unsupported_version));
  auto table = handler_table();
  out.array_length(table.size());
  for (const auto& entry : table) {
    out.int16(static_cast<std::int16_t>(entry.key));
    out.int16(entry.min_version);
    out.int16(entry.max_version);
  }
  if (supported && request.api_version >= 1) out.int32(0);  // throttle_time_ms
  responder.send(out.take());
}

}  // namespace junction::kafka
