#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "junction/kernel.hpp"

namespace junction::cluster {

// What a leader does for requests arriving over the inter-broker channel
// (the cluster kernel, which checks leadership and then uses its LocalKernel).
class PeerService {
 public:
  virtual ~PeerService() = default;
  virtual void serve_produce(const std::string& topic, std::int32_t partition, std::string batch,
                             ProduceCallback done) = 0;
  virtual Result<std::shared_ptr<Consumer>> serve_subscribe(const SubscriptionSpec& spec,
                                                            const ConsumerOptions& options,
                                                            DeliveryCallback deliver) = 0;
  virtual Result<void> serve_delete_subscription(std::string_view topic, std::string_view name) = 0;
};

}  // namespace junction::cluster
