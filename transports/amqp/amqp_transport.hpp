#pragma once

#include <memory>
#include <string>

#include "amqp_config.hpp"
#include "junction/transport.hpp"

namespace junction::amqp {

// AMQP 1.0 over a Qpid Proton container running on container_threads
// threads; each connection's events are serialized by Proton.
class AmqpTransport final : public Transport {
 public:
  explicit AmqpTransport(AmqpConfig config);
  ~AmqpTransport() override;

  Result<void> start(Kernel& kernel, Coordinator& coordinator) override;
  void stop() override;
  std::string advertised_endpoint() const override;

 private:
  struct Running;
  AmqpConfig config_;
  std::unique_ptr<Running> running_;
};

}  // namespace junction::amqp
