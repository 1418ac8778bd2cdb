#include "xpub_broadcaster.hpp"

#include <set>
#include <vector>

#include "frame_codec.hpp"
#include "socket_io.hpp"

namespace junction::zeromq {
namespace {

// The XPUB's high-water mark, not this window, is what bounds a slow SUB: the
// window only limits how far the kernel reads ahead of the I/O thread.
constexpr std::uint32_t kFeedWindowRecords = 20000;
constexpr std::uint64_t kFeedWindowBytes = 64u << 20;

}  // namespace

XpubBroadcaster::XpubBroadcaster(Kernel& kernel, std::shared_ptr<KernelMailbox> mailbox,
                                 zmq::socket_t& xpub, const Logger& log)
    : kernel_(kernel), mailbox_(std::move(mailbox)), xpub_(xpub), log_(log) {}

XpubBroadcaster::~XpubBroadcaster() { detach_all(); }

void XpubBroadcaster::on_subscription_message(std::string_view message) {
  if (message.empty() || (message[0] != 0 && message[0] != 1)) return;
  std::string prefix(message.substr(1));
  if (message[0] == 1) {
    ++prefixes_[prefix];
  } else if (auto known = prefixes_.find(prefix);
             known != prefixes_.end() && --known->second <= 0) {
    prefixes_.erase(known);
  }
  update(true);
}

void XpubBroadcaster::rescan() {
  if (!prefixes_.empty()) update(false);
}

bool XpubBroadcaster::wanted(const std::string& topic) const {
  // Prefixes sort just before the names they start, so only those at or
  // below `topic` can match.
  for (auto prefix = prefixes_.begin(); prefix != prefixes_.end() && prefix->first <= topic;
       ++prefix) {
    if (topic.starts_with(prefix->first)) return true;
  }
  return false;
}

void XpubBroadcaster::update(bool prefixes_changed) {
  std::set<std::string> current;
  for (const auto& info : kernel_.list_topics()) {
    if (wanted(info.name)) current.insert(info.name);
  }
  for (auto feed = feeds_.begin(); feed != feeds_.end();) {
    if (current.contains(feed->first)) {
      ++feed;
      continue;
    }
    feed->second.consumer->detach();
    log_.debug() << "no SUB listens to \"" << feed->first << "\" any more";
    feed = feeds_.erase(feed);
  }
  for (const auto& topic : current) {
    if (feeds_.contains(topic)) continue;
    // A subscription change finds topics that already hold records from
    // before it; a rescan finds topics born after it.
    attach(topic, prefixes_changed ? StartPosition::latest() : StartPosition::earliest());
  }
}

void XpubBroadcaster::attach(const std::string& topic, StartPosition start) {
  const auto id = next_id_++;
  SubscriptionSpec spec;
  spec.topic = topic;
  spec.mode = DeliveryMode::broadcast;
  spec.start = start;
  ConsumerOptions options;
  options.max_unacked_records = kFeedWindowRecords;
  options.max_unacked_bytes = kFeedWindowBytes;
  auto consumer =
      kernel_.subscribe(spec, options, [this, mailbox = mailbox_, id](DeliveryBatch batch) {
        mailbox->post([this, id, batch = std::move(batch)] { publish(id, batch); });
      });
  if (!consumer) {
    log_.warn() << "cannot broadcast \"" << topic << "\": " << consumer.error().message;
    return;
  }
  feeds_.emplace(topic, Feed{id, std::move(*consumer)});
}

void XpubBroadcaster::publish(std::uint64_t id, const DeliveryBatch& batch) {
  auto feed = feeds_.find(batch.topic);
  if (feed == feeds_.end() || feed->second.id != id) return;
  std::vector<std::string_view> frames;
  std::map<std::int32_t, std::int64_t> last_offsets;
  const Envelope no_envelope;
  for (const auto& delivered : batch.records) {
    const auto& stored = *delivered.record;
    const auto partition = decimal(delivered.partition);
    const auto offset = decimal(stored.offset);
    const auto timestamp = decimal(stored.record.timestamp_ms);
    frames.assign({batch.topic, partition, offset, timestamp});
    append_record_frames(stored.record, frames);
    // XPUB never blocks: a SUB at its high-water mark loses this record.
    send_frames(xpub_, no_envelope, frames);
    last_offsets[delivered.partition] = stored.offset;
  }
  for (const auto& [partition, offset] : last_offsets) {
    [[maybe_unused]] auto acked = feed->second.consumer->ack_through(partition, offset);
  }
}

void XpubBroadcaster::detach_all() {
  for (auto& [topic, feed] : feeds_) feed.consumer->detach();
  feeds_.clear();
}

}  // namespace junction::zeromq
