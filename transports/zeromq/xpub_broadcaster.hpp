#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "junction/kernel.hpp"
#include "junction/log.hpp"
#include "kernel_mailbox.hpp"

namespace junction::zeromq {

// Feeds the XPUB socket. SUB peers subscribe to topic-name prefixes; every
// topic matching a live prefix has one private broadcast kernel subscriber,
// detached when no prefix matches it any more. Topics created after a prefix
// was subscribed are found by a periodic rescan and read from their start
// (everything in them came after the subscription); topics that already
// existed are read from the latest record. I/O thread only.
class XpubBroadcaster {
 public:
  XpubBroadcaster(Kernel& kernel, std::shared_ptr<KernelMailbox> mailbox, zmq::socket_t& xpub,
                  const Logger& log);
  ~XpubBroadcaster();

  // One XPUB subscription message: 0x01 or 0x00, then the prefix.
  void on_subscription_message(std::string_view message);
  // Attaches topics created since the last look; cheap when nobody listens.
  void rescan();
  void detach_all();

 private:
  struct Feed {
    std::uint64_t id = 0;
    std::shared_ptr<Consumer> consumer;
  };

  void update(bool prefixes_changed);
  bool wanted(const std::string& topic) const;
  void attach(const std::string& topic, StartPosition start);
  void publish(std::uint64_t id, const DeliveryBatch& batch);

  Kernel& kernel_;
  std::shared_ptr<KernelMailbox> mailbox_;
  zmq::socket_t& xpub_;
  const Logger& log_;
  // Prefix -> subscribe messages seen minus unsubscribes.
  std::map<std::string, int> prefixes_;
  std::map<std::string, Feed> feeds_;
  std::uint64_t next_id_ = 1;
};

}  // namespace junction::zeromq
