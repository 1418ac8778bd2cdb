#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "frame_codec.hpp"
#include "junction/kernel.hpp"
#include "junction/log.hpp"
#include "kernel_mailbox.hpp"
#include "socket_io.hpp"

namespace junction::zeromq {

// Turns PUB commands into kernel appends. Commands read in one poll round are
// gathered per (topic, partition) and appended as one batch, which is what
// makes PUSH producers fast; each ROUTER sender still gets its own
// [J1, ACK, partition, offset].
class ProduceHandler {
 public:
  // Runs on the I/O thread with the answer for a ROUTER peer.
  using Reply = std::function<void(const Envelope&, const std::vector<std::string_view>&)>;

  ProduceHandler(Kernel& kernel, std::shared_ptr<KernelMailbox> mailbox,
                 std::int64_t max_message_bytes, Reply reply, const Logger& log);

  // `origin`: who to answer; nullopt for PULL, where errors are only logged.
  void add(std::optional<Envelope> origin, ProduceCommand command);
  // Hands every gathered batch to the kernel.
  void flush();
  // Appends the kernel has not acknowledged yet.
  std::int64_t in_flight() const { return in_flight_->load(); }

 private:
  struct Batch {
    std::vector<Record> records;
    std::vector<std::optional<Envelope>> origins;
    std::size_t bytes = 0;
  };
  using BatchKey = std::pair<std::string, std::int32_t>;

  void fail(const std::optional<Envelope>& origin, const std::string& topic, const char* code,
            const std::string& text);
  // The record size limit of `topic`, creating it under auto_create.
  Result<std::int64_t> limit_for(const std::string& topic);
  void send_batch(const BatchKey& key, Batch batch);
  void answer(const std::string& topic, const std::vector<std::optional<Envelope>>& origins,
              const Result<ProduceAck>& result);

  Kernel& kernel_;
  std::shared_ptr<KernelMailbox> mailbox_;
  std::int64_t max_message_bytes_;
  Reply reply_;
  const Logger& log_;
  std::map<BatchKey, Batch> batches_;
  std::unordered_map<std::string, std::int64_t> limits_;
  // Shared with kernel callbacks, which may outlive a stop that timed out.
  std::shared_ptr<std::atomic<std::int64_t>> in_flight_ =
      std::make_shared<std::atomic<std::int64_t>>(0);
};

}  // namespace junction::zeromq
