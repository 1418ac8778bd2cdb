// The plugin boundary: junctiond loads this library, checks the exported
// info, then calls the factory with the [[transport]] table.
#include "amqp_transport.hpp"
#include "junction/plugin.hpp"

namespace junction::amqp {

std::unique_ptr<Transport> create_amqp_transport(ConfigSection& config) {
  return std::make_unique<AmqpTransport>(parse_amqp_config(config));
}

}  // namespace junction::amqp

JUNCTION_TRANSPORT_PLUGIN("amqp",
                          "AMQP 1.0 (Qpid Proton): sender links produce, receivers subscribe",
                          junction::amqp::create_amqp_transport)
