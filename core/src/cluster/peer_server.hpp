#pragma once

#include <memory>
#include <string>

#include "cluster/peer_runtime.hpp"
#include "cluster/peer_service.hpp"
#include "junction/config.hpp"

namespace junction::cluster {

// Accepts other brokers' connections and serves their requests in arrival
// order, each connection on its own strand.
class PeerServer {
 public:
  static Result<std::unique_ptr<PeerServer>> listen(PeerRuntime& runtime, const HostPort& address,
                                                    std::int32_t self_id, PeerService& service);
  ~PeerServer();  // stop()s

  // "host:port" actually bound (the port is known even when 0 was asked).
  std::string bound_endpoint() const;
  // Closes the listener and every connection; their consumers detach.
  void stop();

 private:
  struct Impl;
  explicit PeerServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace junction::cluster
