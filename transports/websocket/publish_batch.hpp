#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "junction/kernel.hpp"
#include "junction/record.hpp"

namespace junction::websocket {

// The answer one `publish` message is owed: an `ack` for the next record of
// its batch, or the `error` it was refused with.
struct PublishReply {
  // The request's `id` as JSON text; empty when it had none.
  std::string id;
  // Empty for a record that was accepted into the batch.
  std::string error_code;
  std::string error_message;
};

// Publishes read back to back for one topic and partition, produced to the
// kernel as one call. `replies` keeps the arrival order, refusals included,
// so answers go out in the order the messages came.
struct PublishBatch {
  std::string topic;
  // As handed to the kernel: kAnyPartition lets it choose one for the batch.
  std::int32_t partition = 0;
  std::vector<Record> records;
  std::vector<PublishReply> replies;
  std::size_t bytes = 0;
};

// A batch handed to the kernel, waiting for its result and for the batches
// before it to be answered.
struct ProducedBatch {
  std::string topic;
  std::vector<PublishReply> replies;
  std::optional<Result<ProduceAck>> result;
};

}  // namespace junction::websocket
