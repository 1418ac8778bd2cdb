// Fetch (v4-11): stored batches are copied unchanged into the answer. When
// there is less than min_bytes and the client allows a wait, every requested
// partition gets a kernel data wait; the first wake (data, or the deadline)
// cancels the others and answers with a fresh read of all partitions.
// Fetch sessions are not implemented: session_id 0 keeps clients on full
// fetches, and forgotten topics are ignored.
#include <utility>  // before Asio: Boost 1.74's headers need std::exchange

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "handlers/handlers.hpp"
#include "junction/kernel.hpp"
#include "protocol/error_code.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"

namespace junction::kafka {
namespace {

struct PartitionFetch {
  std::int32_t index = 0;
  std::int64_t offset = 0;
  std::int32_t max_bytes = 0;
};

struct TopicFetch {
  std::string name;
  std::vector<PartitionFetch> partitions;
};

struct FetchRequest {
  std::int32_t max_wait_ms = 0;
  std::int32_t min_bytes = 0;
  std::int32_t max_bytes = 0;
  std::vector<TopicFetch> topics;
};

std::optional<FetchRequest> decode(const Request& request) {
  const auto version = request.api_version;
  WireReader in(request.body);
  FetchRequest decoded;
  in.int32();  // replica_id
  decoded.max_wait_ms = in.int32();
  decoded.min_bytes = in.int32();
  decoded.max_bytes = in.int32();
  in.int8();  // isolation_level: with no transactions every record is committed
  if (version >= 7) {
    in.int32();  // session_id
    in.int32();  // session_epoch
  }
  auto topic_count = in.array_length(6);
  decoded.topics.reserve(static_cast<std::size_t>(topic_count));
  for (std::int32_t t = 0; t < topic_count && in.ok(); ++t) {
    auto& topic = decoded.topics.emplace_back();
    topic.name = in.string();
    auto partition_count = in.array_length(16);
    topic.partitions.reserve(static_cast<std::size_t>(partition_count));
    for (std::int32_t p = 0; p < partition_count && in.ok(); ++p) {
      auto& partition = topic.partitions.emplace_back();
      partition.index = in.int32();
      if (version >= 9) in.int32();  // current_leader_epoch
      partition.offset = in.int64();
      if (version >= 5) in.int64();  // log_start_offset: for followers only
      partition.max_bytes = in.int32();
    }
  }
  if (version >= 7) {
    auto forgotten = in.array_length(6);
    for (std::int32_t f = 0; f < forgotten && in.ok(); ++f) {
      in.string();
      auto indexes = in.array_length(4);
      for (std::int32_t i = 0; i < indexes && in.ok(); ++i) in.int32();
    }
  }
  if (version >= 11) in.string();  // rack_id
  if (!in.ok()) return std::nullopt;
  return decoded;
}

struct PartitionRead {
  ErrorCode error = ErrorCode::none;
  FetchResult data;
};

struct Reads {
  std::vector<std::vector<PartitionRead>> topics;
  std::size_t record_bytes = 0;
  bool any_error = false;
};

// Reads every partition within the request's limits. As in Kafka (KIP-74),
// the first batch of the first partition with data comes whole even when it
// exceeds a limit, so a consumer always progresses; later partitions stop at
// what is left of max_bytes.
Reads read_all(Kernel& kernel, const FetchRequest& request) {
  Reads reads;
  reads.topics.resize(request.topics.size());
  std::size_t remaining = request.max_bytes > 0 ? static_cast<std::size_t>(request.max_bytes) : 0;
  for (std::size_t t = 0; t < request.topics.size(); ++t) {
    const auto& topic = request.topics[t];
    auto& topic_reads = reads.topics[t];
    topic_reads.resize(topic.partitions.size());
    for (std::size_t p = 0; p < topic.partitions.size(); ++p) {
      const auto& wanted = topic.partitions[p];
      auto& read = topic_reads[p];
      const auto partition_limit =
          wanted.max_bytes > 0 ? static_cast<std::size_t>(wanted.max_bytes) : 0;
      const auto limit = std::min(partition_limit, remaining);
      const bool must_progress = reads.record_bytes == 0;
      if (limit == 0 && !must_progress) {
        auto offsets = kernel.offsets(topic.name, wanted.index);
        if (offsets) {
          read.data.offsets = *offsets;
        } else {
          read.error = to_error_code(offsets.error().code);
        }
      } else {
        auto fetched = kernel.fetch(topic.name, wanted.index, wanted.offset, limit);
        if (fetched) {
          read.data = std::move(fetched.value());
          if (!must_progress && read.data.batches.size() > limit) read.data.batches.clear();
        } else {
          read.error = to_error_code(fetched.error().code);
        }
      }
      if (read.error != ErrorCode::none) {
        reads.any_error = true;
        continue;
      }
      reads.record_bytes += read.data.batches.size();
      remaining -= std::min(remaining, read.data.batches.size());
    }
  }
  return reads;
}

std::string encode(std::int16_t version, const FetchRequest& request, const Reads& reads) {
  // Sized once: the batches dominate, and each is copied exactly once.
  std::size_t size = 16 + reads.record_bytes;
  for (const auto& topic : request.topics)
    size += 6 + topic.name.size() + 46 * topic.partitions.size();
  WireWriter out;
  out.reserve(size);
  out.int32(0);  // throttle_time_ms
  if (version >= 7) {
    out.int16(wire(ErrorCode::none));
    out.int32(0);  // session_id: no fetch session
  }
  out.array_length(request.topics.size());
  for (std::size_t t = 0; t < request.topics.size(); ++t) {
    const auto& topic = request.topics[t];
    out.string(topic.name);
    out.array_length(topic.partitions.size());
    for (std::size_t p = 0; p < topic.partitions.size(); ++p) {
      const auto& read = reads.topics[t][p];
      const bool ok = read.error == ErrorCode::none;
      const auto high_watermark = ok ? read.data.offsets.high_watermark : -1;
      out.int32(topic.partitions[p].index);
      out.int16(wire(read.error));
      out.int64(high_watermark);
      out.int64(high_watermark);  // last_stable_offset: nothing is ever uncommitted
      if (version >= 5) out.int64(ok ? read.data.offsets.log_start_offset : -1);
      out.array_length(0);               // aborted_transactions
      if (version >= 11) out.int32(-1);  // preferred_read_replica
      out.bytes(read.data.batches);
    }
  }
  return out.take();
}

// A fetch waiting for data. Exactly one of: a wake (data or deadline) or the
// connection closing wins `finished`, and only a wake answers.
class LongPoll : public std::enable_shared_from_this<LongPoll> {
 public:
  LongPoll(BrokerContext& context, std::int16_t version, FetchRequest request, Responder responder)
      : context_(context),
        version_(version),
        request_(std::move(request)),
        responder_(std::move(responder)) {}

  // Waits for records beyond what `first_reads` saw, so a fetch holding
  // less than min_bytes waits for more instead of waking at once.
  void start(const Reads& first_reads) {
    auto self = shared_from_this();
    responder_.on_abandon([self] { self->abandon(); });
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(request_.max_wait_ms);
    for (std::size_t t = 0; t < request_.topics.size(); ++t) {
      const auto& topic = request_.topics[t];
      for (std::size_t p = 0; p < topic.partitions.size(); ++p) {
        const auto& partition = topic.partitions[p];
        const auto seen =
            std::max(partition.offset, first_reads.topics[t][p].data.offsets.high_watermark);
        auto wait = context_.kernel.wait_for_data(topic.name, partition.index, seen, deadline,
                                                  [self](bool) { self->wake(); });
        if (!wait) return wake();
        std::unique_lock lock(mutex_);
        // A wake that came first may have cancelled the waits already kept.
        if (finished_.load(std::memory_order_acquire)) {
          lock.unlock();
          (*wait)->cancel();
          return;
        }
        waits_.push_back(std::move(wait.value()));
      }
    }
  }

 private:
  // Runs on kernel threads (an appender's, the deadline timer's): the read
  // and the answer move to the transport's threads at once.
  void wake() {
    if (finished_.exchange(true, std::memory_order_acq_rel)) return;
    boost::asio::post(context_.io, [self = shared_from_this()] {
      self->cancel_waits();
      auto reads = read_all(self->context_.kernel, self->request_);
      self->responder_.send(encode(self->version_, self->request_, reads));
    });
  }

  void abandon() {
    if (finished_.exchange(true, std::memory_order_acq_rel)) return;
    cancel_waits();
  }

  void cancel_waits() {
    std::vector<std::shared_ptr<DataWait>> waits;
    {
      std::lock_guard lock(mutex_);
      waits.swap(waits_);
    }
    for (const auto& wait : waits) wait->cancel();
  }

  BrokerContext& context_;
  const std::int16_t version_;
  const FetchRequest request_;
  Responder responder_;
  std::atomic<bool> finished_{false};
  std::mutex mutex_;
  std::vector<std::shared_ptr<DataWait>> waits_;
};

}  // namespace

void handle_fetch(BrokerContext& context, const Request& request, Responder responder) {
  auto decoded = decode(request);
  if (!decoded) return responder.reject("malformed Fetch request");

  auto reads = read_all(context.kernel, *decoded);
  const bool has_partitions =
      std::any_of(decoded->topics.begin(), decoded->topics.end(),
                  [](const TopicFetch& topic) { return !topic.partitions.empty(); });
  const bool wait = has_partitions && !reads.any_error && decoded->max_wait_ms > 0 &&
                    reads.record_bytes < static_cast<std::size_t>(std::max(decoded->min_bytes, 0));
  if (!wait) return responder.send(encode(request.api_version, *decoded, reads));

  std::make_shared<LongPoll>(context, request.api_version, std::move(*decoded),
                             std::move(responder))
      ->start(reads);
}

}  // namespace junction::kafka
