#include "connection_options.hpp"

#include <proton/duration.hpp>
#include <proton/messaging_handler.hpp>

namespace junction::amqp {

proton::connection_options accepted_connection_options(const AmqpConfig& config,
                                                       proton::messaging_handler& handler) {
  proton::connection_options options;
  options.handler(handler);
  if (config.idle_timeout_ms > 0) options.idle_timeout(proton::duration(config.idle_timeout_ms));
  return options;
}

}  // namespace junction::amqp
