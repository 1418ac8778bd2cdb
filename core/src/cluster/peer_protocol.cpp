#include "cluster/peer_protocol.hpp"

#include <type_traits>

namespace junction::cluster {
namespace {

constexpr std::uint8_t kLastErrc = std::uint8_t(Errc::shutting_down);
constexpr std::uint8_t kLastStartKind = std::uint8_t(StartPosition::Kind::timestamp);
constexpr std::uint8_t kLastMode = std::uint8_t(DeliveryMode::multicast);

class Writer {
 public:
  explicit Writer(std::uint8_t type) {
    out_.resize(kFrameHeaderSize);
    u8(type);
  }

  void u8(std::uint8_t v) { out_.push_back(char(v)); }
  void u16(std::uint16_t v) { fixed(v, 2); }
  void u32(std::uint32_t v) { fixed(v, 4); }
  void u64(std::uint64_t v) { fixed(v, 8); }
  void i32(std::int32_t v) { u32(std::uint32_t(v)); }
  void i64(std::int64_t v) { u64(std::uint64_t(v)); }
  void bytes(std::string_view v) {
    u32(std::uint32_t(v.size()));
    out_.append(v);
  }
  void optional_bytes(const std::optional<std::string>& v) {
    u8(v ? 1 : 0);
    if (v) bytes(*v);
  }
  void status(const Status& s) {
    u8(s.code ? std::uint8_t(*s.code) + 1 : 0);
    bytes(s.message);
  }

  std::string finish() && {
    const auto length = std::uint32_t(out_.size() - kFrameHeaderSize);
    for (int i = 0; i < 4; ++i) out_[std::size_t(i)] = char(length >> (24 - 8 * i));
    return std::move(out_);
  }

 private:
  void fixed(std::uint64_t v, int size) {
    for (int i = size - 1; i >= 0; --i) out_.push_back(char(v >> (8 * i)));
  }
  std::string out_;
};

// Reads a body; the first failure sticks and every later read returns zeros.
class Reader {
 public:
  explicit Reader(std::string_view body) : rest_(body) {}

  std::uint8_t u8() { return std::uint8_t(fixed(1)); }
  std::uint16_t u16() { return std::uint16_t(fixed(2)); }
  std::uint32_t u32() { return std::uint32_t(fixed(4)); }
  std::uint64_t u64() { return fixed(8); }
  std::int32_t i32() { return std::int32_t(u32()); }
  std::int64_t i64() { return std::int64_t(u64()); }
  bool flag() {
    const auto v = u8();
    if (v > 1) fail("a flag is neither 0 nor 1");
    return v == 1;
  }
  std::string bytes() {
    const auto size = u32();
    if (size > rest_.size()) {
      fail("a length runs past the frame");
      return {};
    }
    std::string value(rest_.substr(0, size));
    rest_.remove_prefix(size);
    return value;
  }
  std::optional<std::string> optional_bytes() {
    if (!flag()) return std::nullopt;
    return bytes();
  }
  Status status() {
    Status s;
    const auto code = u8();
    if (code > kLastErrc + 1) fail("unknown error code");
    if (code != 0 && code <= kLastErrc + 1) s.code = Errc(code - 1);
    s.message = bytes();
    return s;
  }
  bool failed() const { return !error_.empty(); }
  void fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    rest_ = {};
  }
  Result<PeerMessage> finish(PeerMessage message) {
    if (error_.empty() && !rest_.empty()) error_ = "trailing bytes after the message";
    if (!error_.empty()) return make_error(Errc::corrupt_batch, "malformed peer frame: " + error_);
    return message;
  }

 private:
  std::uint64_t fixed(int size) {
    if (rest_.size() < std::size_t(size)) {
      fail("the frame ends inside a field");
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < size; ++i) v = v << 8 | std::uint8_t(rest_[std::size_t(i)]);
    rest_.remove_prefix(std::size_t(size));
    return v;
  }
  std::string_view rest_;
  std::string error_;
};

void write_record(Writer& w, std::int32_t partition, std::int32_t attempt,
                  const StoredRecord& stored) {
  w.i32(partition);
  w.i32(attempt);
  w.i64(stored.offset);
  w.i64(stored.record.timestamp_ms);
  w.optional_bytes(stored.record.key);
  w.optional_bytes(stored.record.value);
  w.u32(std::uint32_t(stored.record.headers.size()));
  for (const auto& header : stored.record.headers) {
    w.bytes(header.key);
    w.optional_bytes(header.value);
  }
}

DeliveredOnWire read_record(Reader& r) {
  DeliveredOnWire d;
  d.partition = r.i32();
  d.attempt = r.i32();
  d.stored.offset = r.i64();
  d.stored.record.timestamp_ms = r.i64();
  d.stored.record.key = r.optional_bytes();
  d.stored.record.value = r.optional_bytes();
  const auto headers = r.u32();
  for (std::uint32_t i = 0; i < headers; ++i) {
    Header header;
    header.key = r.bytes();
    header.value = r.optional_bytes();
    if (r.failed()) break;
    d.stored.record.headers.push_back(std::move(header));
  }
  return d;
}

void encode_body(Writer& w, const Hello& m) {
  w.u16(m.version);
  w.i32(m.broker_id);
}
void encode_body(Writer& w, const Produce& m) {
  w.u64(m.correlation);
  w.bytes(m.topic);
  w.i32(m.partition);
  w.bytes(m.batch);
}
void encode_body(Writer& w, const ProduceResult& m) {
  w.u64(m.correlation);
  w.status(m.status);
  w.i32(m.ack.partition);
  w.i64(m.ack.base_offset);
  w.i64(m.ack.last_offset);
  w.i64(m.ack.append_time_ms);
}
void encode_body(Writer& w, const Subscribe& m) {
  w.u64(m.stream);
  w.bytes(m.spec.topic);
  w.bytes(m.spec.name);
  w.u8(std::uint8_t(m.spec.mode));
  w.u8(m.spec.start ? 1 : 0);
  if (m.spec.start) {
    w.u8(std::uint8_t(m.spec.start->kind));
    w.i64(m.spec.start->value);
  }
  w.u8(m.spec.key_shared ? 1 : 0);
  w.u32(m.window_records);
  w.u64(m.window_bytes);
}
void encode_body(Writer& w, const Subscribed& m) {
  w.u64(m.stream);
  w.status(m.status);
}
void encode_body(Writer& w, const Deliver& m) {
  w.u64(m.stream);
  w.bytes(m.topic);
  w.u32(std::uint32_t(m.records.size()));
  for (const auto& d : m.records) write_record(w, d.partition, d.attempt, d.stored);
}
void encode_body(Writer& w, const Settle& m) {
  w.u8(std::uint8_t(m.kind));
  w.u64(m.stream);
  w.i32(m.partition);
  w.i64(m.offset);
}
void encode_body(Writer& w, const SetWindow& m) {
  w.u64(m.stream);
  w.u32(m.records);
  w.u64(m.bytes);
}
void encode_body(Writer& w, const Detach& m) { w.u64(m.stream); }
void encode_body(Writer& w, const Closed& m) {
  w.u64(m.stream);
  w.status(m.status);
}
void encode_body(Writer& w, const DeleteSubscription& m) {
  w.u64(m.correlation);
  w.bytes(m.topic);
  w.bytes(m.name);
}
void encode_body(Writer& w, const DeleteSubscriptionResult& m) {
  w.u64(m.correlation);
  w.status(m.status);
}

template <class T>
Result<PeerMessage> decode_body(Reader& r);

template <>
Result<PeerMessage> decode_body<Hello>(Reader& r) {
  Hello m;
  m.version = r.u16();
  m.broker_id = r.i32();
  return r.finish(m);
}
template <>
Result<PeerMessage> decode_body<Produce>(Reader& r) {
  Produce m;
  m.correlation = r.u64();
  m.topic = r.bytes();
  m.partition = r.i32();
  m.batch = r.bytes();
  return r.finish(std::move(m));
}
template <>
Result<PeerMessage> decode_body<ProduceResult>(Reader& r) {
  ProduceResult m;
  m.correlation = r.u64();
  m.status = r.status();
  m.ack.partition = r.i32();
  m.ack.base_offset = r.i64();
  m.ack.last_offset = r.i64();
  m.ack.append_time_ms = r.i64();
  return r.finish(std::move(m));
}
template <>
Result<PeerMessage> decode_body<Subscribe>(Reader& r) {
  Subscribe m;
  m.stream = r.u64();
  m.spec.topic = r.bytes();
  m.spec.name = r.bytes();
  const auto mode = r.u8();
  if (mode > kLastMode) r.fail("unknown delivery mode");
  m.spec.mode = DeliveryMode(mode);
  if (r.flag()) {
    const auto kind = r.u8();
    if (kind > kLastStartKind) r.fail("unknown start position");
    m.spec.start = StartPosition{StartPosition::Kind(kind), r.i64()};
  }
  m.spec.key_shared = r.flag();
  m.window_records = r.u32();
  m.window_bytes = r.u64();
  return r.finish(std::move(m));
}
template <>
Result<PeerMessage> decode_body<Subscribed>(Reader& r) {
  Subscribed m;
  m.stream = r.u64();
  m.status = r.status();
  return r.finish(std::move(m));
}
template <>
Result<PeerMessage> decode_body<Deliver>(Reader& r) {
  Deliver m;
  m.stream = r.u64();
  m.topic = r.bytes();
  const auto count = r.u32();
  for (std::uint32_t i = 0; i < count; ++i) {
    m.records.push_back(read_record(r));
    if (r.failed()) break;
  }
  return r.finish(std::move(m));
}
template <>
Result<PeerMessage> decode_body<Settle>(Reader& r) {
  Settle m;
  const auto kind = r.u8();
  if (kind > std::uint8_t(SettleKind::reject)) r.fail("unknown settlement");
  m.kind = SettleKind(kind);
  m.stream = r.u64();
  m.partition = r.i32();
  m.offset = r.i64();
  return r.finish(m);
}
template <>
Result<PeerMessage> decode_body<SetWindow>(Reader& r) {
  SetWindow m;
  m.stream = r.u64();
  m.records = r.u32();
  m.bytes = r.u64();
  return r.finish(m);
}
template <>
Result<PeerMessage> decode_body<Detach>(Reader& r) {
  Detach m;
  m.stream = r.u64();
  return r.finish(m);
}
template <>
Result<PeerMessage> decode_body<Closed>(Reader& r) {
  Closed m;
  m.stream = r.u64();
  m.status = r.status();
  return r.finish(std::move(m));
}
template <>
Result<PeerMessage> decode_body<DeleteSubscription>(Reader& r) {
  DeleteSubscription m;
  m.correlation = r.u64();
  m.topic = r.bytes();
  m.name = r.bytes();
  return r.finish(std::move(m));
}
template <>
Result<PeerMessage> decode_body<DeleteSubscriptionResult>(Reader& r) {
  DeleteSubscriptionResult m;
  m.correlation = r.u64();
  m.status = r.status();
  return r.finish(std::move(m));
}

template <std::size_t I = 0>
Result<PeerMessage> decode_indexed(std::size_t index, Reader& r) {
  if constexpr (I < std::variant_size_v<PeerMessage>) {
    if (index == I) return decode_body<std::variant_alternative_t<I, PeerMessage>>(r);
    return decode_indexed<I + 1>(index, r);
  } else {
    r.fail("unknown message type");
    return r.finish(Detach{});
  }
}

}  // namespace

std::string encode_frame(const PeerMessage& message) {
  Writer w(std::uint8_t(message.index() + 1));
  std::visit([&w](const auto& m) { encode_body(w, m); }, message);
  return std::move(w).finish();
}

std::string encode_delivery(std::uint64_t stream, const DeliveryBatch& batch) {
  Writer w(std::uint8_t(PeerMessage(std::in_place_type<Deliver>).index() + 1));
  w.u64(stream);
  w.bytes(batch.topic);
  w.u32(std::uint32_t(batch.records.size()));
  for (const auto& d : batch.records) write_record(w, d.partition, d.attempt, *d.record);
  return std::move(w).finish();
}

Result<std::uint32_t> frame_length(const char* header) {
  std::uint32_t length = 0;
  for (int i = 0; i < 4; ++i) length = length << 8 | std::uint8_t(header[i]);
  if (length == 0) return make_error(Errc::corrupt_batch, "malformed peer frame: empty frame");
  if (length > kMaxFrameBytes) {
    return make_error(Errc::corrupt_batch, "malformed peer frame: " + std::to_string(length) +
                                               " bytes is over the limit of " +
                                               std::to_string(kMaxFrameBytes));
  }
  return length;
}

Result<PeerMessage> decode_frame(std::string_view body) {
  if (body.empty()) return make_error(Errc::corrupt_batch, "malformed peer frame: no message type");
  Reader r(body.substr(1));
  const auto type = std::uint8_t(body[0]);
  if (type == 0) {
    r.fail("unknown message type 0");
    return r.finish(Detach{});
  }
  return decode_indexed(type - 1u, r);
}

}  // namespace junction::cluster
