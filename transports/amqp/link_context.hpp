#pragma once

#include <memory>

#include "amqp_config.hpp"
#include "connection_mailbox.hpp"
#include "junction/kernel.hpp"
#include "kernel_callback_tracker.hpp"

namespace junction::amqp {

// What a link needs from its connection and the transport. Owned by the
// connection's handler, which outlives its links.
struct LinkContext {
  Kernel& kernel;
  const AmqpConfig& config;
  // Every kernel callback is counted here so stop() can wait for the last.
  KernelCallbackTracker& callbacks;
  // Kernel threads post results to the connection through this.
  std::shared_ptr<ConnectionMailbox> mailbox;
};

}  // namespace junction::amqp
