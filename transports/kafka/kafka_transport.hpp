#pragma once

#include <memory>
#include <string>

#include "junction/transport.hpp"
#include "kafka_config.hpp"

namespace junction::kafka {

// Kafka's wire protocol over TCP: an Asio io_context on io_threads threads,
// one strand per connection.
class KafkaTransport final : public Transport {
 public:
  explicit KafkaTransport(KafkaConfig config);
  ~KafkaTransport() override;

  Result<void> start(Kernel& kernel, Coordinator& coordinator) override;
  void stop() override;
  std::string advertised_endpoint() const override;

 private:
  struct Running;
  KafkaConfig config_;
  std::unique_ptr<Running> running_;
};

}  // namespace junction::kafka
