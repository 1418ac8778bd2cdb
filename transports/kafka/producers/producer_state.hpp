#pragma once

// Kafka's idempotent producer on the broker side: every batch from a producer
// id carries (epoch, sequence), and a partition remembers the last few batches
// of each producer so that a retry of a batch already in the log is answered
// with its original offsets instead of being appended twice.
//
// The state lives in memory. As in Kafka, it is rebuilt from the log: the
// first time a partition sees an idempotent batch, the producer ids, epochs
// and sequences of the batches in its tail are read back, so a retry that
// straddles a broker restart is still answered as a duplicate.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "junction/kernel.hpp"
#include "junction/record_batch.hpp"
#include "protocol/error_code.hpp"

namespace junction::kafka {

// What one batch's append came to, in Kafka's terms.
struct AppendOutcome {
  ErrorCode error = ErrorCode::none;
  std::string message;
  ProduceAck ack;  // meaningful when error is none
};
using AppendCallback = std::function<void(const AppendOutcome&)>;

AppendOutcome to_append_outcome(const Result<ProduceAck>& result);

class ProducerStateTable {
 public:
  explicit ProducerStateTable(Kernel& kernel) : kernel_(kernel) {}

  // Appends one batch of an idempotent producer (header.producer_id >= 0)
  // through Kernel::produce_batch, or answers it as a duplicate, an
  // out-of-order sequence or a fenced epoch. `done` runs once, on any thread.
  void append(std::string_view topic, std::int32_t partition, const batch::Header& header,
              std::string batch, AppendCallback done);

 private:
  struct PartitionProducers;

  std::shared_ptr<PartitionProducers> partition_producers(std::string_view topic,
                                                          std::int32_t partition);
  // Fills `state` from the batches at the end of the partition's log; leaves
  // it empty if the tail cannot be read whole.
  void recover_from_log(PartitionProducers& state, std::string_view topic,
                        std::int32_t partition) const;

  Kernel& kernel_;
  std::mutex mutex_;
  std::map<std::string, std::map<std::int32_t, std::shared_ptr<PartitionProducers>>, std::less<>>
      partitions_;
};

}  // namespace junction::kafka
