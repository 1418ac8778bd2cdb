#include "produce_handler.hpp"

namespace junction::zeromq {
namespace {

// What a record adds to a stored RecordBatch beyond its bytes (varints,
// attributes, deltas), and what the batch header takes: enough to stay under
// the kernel's batch limit without encoding twice.
constexpr std::size_t kRecordOverhead = 32;
constexpr std::size_t kBatchOverhead = 64;

std::size_t record_bytes(const Record& record) {
  std::size_t bytes = kRecordOverhead;
  if (record.key) bytes += record.key->size();
  if (record.value) bytes += record.value->size();
  for (const auto& header : record.headers) {
    bytes += header.key.size() + (header.value ? header.value->size() : 0) + 8;
  }
  return bytes;
}

}  // namespace

ProduceHandler::ProduceHandler(Kernel& kernel, std::shared_ptr<KernelMailbox> mailbox,
                               std::int64_t max_message_bytes, Reply reply, const Logger& log)
    : kernel_(kernel),
      mailbox_(std::move(mailbox)),
      max_message_bytes_(max_message_bytes),
      reply_(std::move(reply)),
      log_(log) {}

Result<std::int64_t> ProduceHandler::limit_for(const std::string& topic) {
  if (auto known = limits_.find(topic); known != limits_.end()) return known->second;
  auto info = kernel_.ensure_topic(topic);
  if (!info) return info.error();
  std::int64_t limit = info->config.max_message_bytes;
  if (max_message_bytes_ > 0 && max_message_bytes_ < limit) limit = max_message_bytes_;
  limits_.emplace(topic, limit);
  return limit;
}

void ProduceHandler::add(std::optional<Envelope> origin, ProduceCommand command) {
  auto limit = limit_for(command.topic);
  if (!limit) {
    return fail(origin, command.topic, error_code(limit.error().code), limit.error().message);
  }
  const auto bytes = record_bytes(command.record);
  if (static_cast<std::int64_t>(bytes + kBatchOverhead) > *limit) {
    return fail(origin, command.topic, codes::record_too_large,
                "record of about " + std::to_string(bytes) + " bytes is over the limit of " +
                    std::to_string(*limit));
  }
  auto partition = kernel_.choose_partition(command.topic, command.record.key);
  if (!partition) {
    return fail(origin, command.topic, error_code(partition.error().code),
                partition.error().message);
  }
  BatchKey key{command.topic, *partition};
  auto& batch = batches_[key];
  if (!batch.records.empty() &&
      static_cast<std::int64_t>(batch.bytes + bytes + kBatchOverhead) > *limit) {
    send_batch(key, std::exchange(batch, {}));
  }
  batch.bytes += bytes;
  batch.records.push_back(std::move(command.record));
  batch.origins.push_back(std::move(origin));
}

void ProduceHandler::flush() {
  auto batches = std::exchange(batches_, {});
  for (auto& [key, batch] : batches) send_batch(key, std::move(batch));
}

void ProduceHandler::send_batch(const BatchKey& key, Batch batch) {
  in_flight_->fetch_add(1);
  auto done = [this, mailbox = mailbox_, in_flight = in_flight_, topic = key.first,
               origins = std::move(batch.origins)](Result<ProduceAck> result) mutable {
    mailbox->post([this, topic = std::move(topic), origins = std::move(origins),
                   result = std::move(result)] { answer(topic, origins, result); });
    in_flight->fetch_sub(1);
  };
  kernel_.produce(key.first, key.second, std::move(batch.records), std::move(done));
}

void ProduceHandler::answer(const std::string& topic,
                            const std::vector<std::optional<Envelope>>& origins,
                            const Result<ProduceAck>& result) {
  if (!result) {
    // The topic may have been deleted: look its limit up again next time.
    limits_.erase(topic);
    for (const auto& origin : origins) {
      fail(origin, topic, error_code(result.error().code), result.error().message);
    }
    return;
  }
  const auto partition = decimal(result->partition);
  for (std::size_t i = 0; i < origins.size(); ++i) {
    if (!origins[i]) continue;
    const auto offset = decimal(result->base_offset + static_cast<std::int64_t>(i));
    reply_(*origins[i], {kVersion, "ACK", partition, offset});
  }
}

void ProduceHandler::fail(const std::optional<Envelope>& origin, const std::string& topic,
                          const char* code, const std::string& text) {
  if (origin) {
    reply_(*origin, {kVersion, "ERR", code, text});
  } else {
    log_.warn() << "PULL: dropped a record for topic \"" << topic << "\": " << code << ": " << text;
  }
}

}  // namespace junction::zeromq
