#pragma once

#include <proton/connection_options.hpp>

#include "amqp_config.hpp"

namespace proton {
class messaging_handler;
}

namespace junction::amqp {

// What every accepted connection opens with: its handler and the idle
// time-out. SASL (mechanisms, the authenticator) is configured here.
proton::connection_options accepted_connection_options(const AmqpConfig& config,
                                                       proton::messaging_handler& handler);

}  // namespace junction::amqp
