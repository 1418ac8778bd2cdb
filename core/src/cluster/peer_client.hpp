#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cluster/peer_protocol.hpp"
#include "cluster/peer_runtime.hpp"

namespace junction::cluster {

// This broker's side of the channel to one other broker. Connects lazily on
// the first request and again on the first request after a loss; requests
// go out, and reach the peer, in call order. Thread-safe.
class PeerClient {
 public:
  // How a subscription stream's events reach its owner, on the channel's thread.
  struct StreamEvents {
    std::function<void(Deliver)> deliver;
    // The leader refused or ended the stream, or the connection was lost;
    // nothing more arrives on it after this.
    std::function<void(const Error&)> ended;
  };

  PeerClient(PeerRuntime& runtime, std::int32_t self_id, std::int32_t peer_id);
  ~PeerClient();  // close()s

  std::int32_t peer_id() const;
  // Where the peer's channel listens ("host:port"); a change drops the current
  // connection.
  void set_endpoint(const std::string& endpoint);

  void produce(const std::string& topic, std::int32_t partition, std::string batch,
               ProduceCallback done);
  // Returns the stream id.
  std::uint64_t subscribe(const SubscriptionSpec& spec, std::uint32_t window_records,
                          std::uint64_t window_bytes, StreamEvents events);
  void settle(SettleKind kind, std::uint64_t stream, std::int32_t partition, std::int64_t offset);
  void set_window(std::uint64_t stream, std::uint32_t records, std::uint64_t bytes);
  void detach(std::uint64_t stream);
  void delete_subscription(const std::string& topic, const std::string& name,
                           std::function<void(Result<void>)> done);
  // Fails whatever is pending and refuses new requests.
  void close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace junction::cluster
