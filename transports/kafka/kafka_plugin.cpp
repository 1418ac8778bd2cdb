// The plugin boundary: junctiond loads this library, checks the exported
// info, then calls the factory with the [[transport]] table.
#include "junction/plugin.hpp"
#include "kafka_transport.hpp"

namespace junction::kafka {

std::unique_ptr<Transport> create_kafka_transport(ConfigSection& config) {
  return std::make_unique<KafkaTransport>(parse_kafka_config(config));
}

}  // namespace junction::kafka

JUNCTION_TRANSPORT_PLUGIN("kafka", "Kafka wire protocol (produce, fetch, consumer groups, admin)",
                          junction::kafka::create_kafka_transport)
