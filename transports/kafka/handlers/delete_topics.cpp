// DeleteTopics v0-3: deletion is synchronous in the kernel, so timeout_ms
// never expires.
#include <string>
#include <vector>

#include "handlers/handlers.hpp"
#include "junction/kernel.hpp"
#include "protocol/error_code.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"

namespace junction::kafka {

void handle_delete_topics(BrokerContext& context, const Request& request, Responder responder) {
  WireReader in(request.body);
  std::vector<std::string> names;
  auto count = in.array_length(2);
  for (std::int32_t i = 0; i < count && in.ok(); ++i) names.push_back(in.string());
  in.int32();  // timeout_ms
  if (!in.ok()) return responder.reject("malformed DeleteTopics request");

  WireWriter out;
  if (request.api_version >= 1) out.int32(0);  // throttle_time_ms
  out.array_length(names.size());
  for (const auto& name : names) {
    auto deleted = context.kernel.delete_topic(name);
    out.string(name);
    out.int16(wire(deleted ? ErrorCode::none : to_error_code(deleted.error().code)));
  }
  responder.send(out.take());
}

}  // namespace junction::kafka
