// The plugin boundary: junctiond loads this library, checks the exported
// info, then calls the factory with the [[transport]] table.
#include "junction/plugin.hpp"
#include "zeromq_transport.hpp"

namespace junction::zeromq {

std::unique_ptr<Transport> create_zeromq_transport(ConfigSection& config) {
  return std::make_unique<ZeromqTransport>(parse_zeromq_config(config));
}

}  // namespace junction::zeromq

JUNCTION_TRANSPORT_PLUGIN("zeromq",
                          "ZeroMQ: ROUTER produce and queue consume, XPUB broadcast, PULL produce",
                          junction::zeromq::create_zeromq_transport)
