#pragma once

#include <memory>

#include "link_context.hpp"

namespace proton {
class sender;
class tracker;
}  // namespace proton

namespace junction::amqp {

// A receiver attached to the broker (the broker's sender link): a kernel
// subscription delivered within the link credit. Every call runs on the
// connection's thread.
class OutgoingLink {
 public:
  // Opens `sender` for the source it names, or refuses it with a condition
  // (then nullptr).
  static std::shared_ptr<OutgoingLink> open(proton::sender& sender, LinkContext& context);

  void on_sendable(proton::sender& sender);
  void on_drain_start(proton::sender& sender);
  void on_accept(proton::tracker& tracker);
  void on_reject(proton::tracker& tracker);
  // Released or modified.
  void on_release(proton::tracker& tracker);
  void on_settle(proton::tracker& tracker);
  // The link or its connection is gone: no more deliveries, nothing unsettled
  // stays with this consumer.
  void closed();
};

}  // namespace junction::amqp
