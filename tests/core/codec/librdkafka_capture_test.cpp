// Interoperability with a real client, through librdkafka's in-process mock
// cluster: batches a librdkafka producer wrote are fetched raw (a hand-encoded
// Fetch v4 over a plain socket) and decoded here; batches encoded here are
// produced raw (Produce v7) and read back by a librdkafka consumer.

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
// rdkafka_mock.h needs rdkafka.h first.
#include <librdkafka/rdkafka_mock.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <zstd.h>

#include "codec/varint.hpp"
#include "junction/record_batch.hpp"

namespace junction {
namespace {

constexpr std::int64_t kFirstTimestamp = 1'700'000'000'000;
constexpr int kRecordsPerTopic = 40;

// What the test produces, record by record.
std::vector<Record> expected_records() {
  std::vector<Record> records;
  for (int i = 0; i < kRecordsPerTopic; ++i) {
    Record r;
    if (i != 3) r.key = "key-" + std::to_string(i);
    if (i == 5) {
      r.value = std::nullopt;
    } else if (i == 6) {
      r.value = std::string();
    } else {
      // Repetitive on purpose: librdkafka sends uncompressed when compressing
      // does not pay.
      r.value = "value " + std::to_string(i) + ": ";
      for (int k = 0; k < 8; ++k) *r.value += "the quick brown fox jumps over the lazy dog; ";
    }
    r.timestamp_ms = kFirstTimestamp + i * 10 - (i == 7 ? 1000 : 0);
    r.headers.push_back({"trace-id", "t-" + std::to_string(i)});
    if (i % 4 == 0) r.headers.push_back({"nullable", std::nullopt});
    if (i % 5 == 0) r.headers.push_back({"binary", std::string("\0\x01\xff", 3)});
    records.push_back(std::move(r));
  }
  return records;
}

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
  void operator()(rd_kafka_topic_t* rkt) const { rd_kafka_topic_destroy(rkt); }
};

std::atomic<int> delivery_errors{0};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  if (message->err) ++delivery_errors;
}

// Minimal big-endian request writer and bounds-checked response reader.
class Writer {
 public:
  template <class T>
  void put(T v) {
    char buf[sizeof v];
    codec::store_be(buf, v);
    bytes_.append(buf, sizeof v);
  }
  void put_string(std::string_view s) {
    put(std::int16_t(s.size()));
    bytes_ += s;
  }
  void put_bytes(std::string_view s) {
    put(std::int32_t(s.size()));
    bytes_ += s;
  }
  std::string framed() const {
    std::string out(4, '\0');
    codec::store_be(out.data(), std::int32_t(bytes_.size()));
    return out + bytes_;
  }

 private:
  std::string bytes_;
};

class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}
  template <class T>
  T get() {
    if (rest_.size() < sizeof(T)) {
      ok_ = false;
      return T{};
    }
    const T v = codec::load_be<T>(rest_.data());
    rest_.remove_prefix(sizeof(T));
    return v;
  }
  std::string_view take(std::size_t n) {
    if (rest_.size() < n) {
      ok_ = false;
      return {};
    }
    const std::string_view v = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return v;
  }
  std::string_view get_string() {
    const auto n = get<std::int16_t>();
    return n < 0 ? std::string_view() : take(std::size_t(n));
  }
  bool ok() const { return ok_; }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
  bool ok_ = true;
};

class Connection {
 public:
  explicit Connection(const std::string& bootstrap) {
    const std::string first = bootstrap.substr(0, bootstrap.find(','));
    const auto colon = first.rfind(':');
    const std::string host = first.substr(0, colon);
    const std::string port = first.substr(colon + 1);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return;
    for (addrinfo* a = found; a && fd_ < 0; a = a->ai_next) {
      fd_ = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
      if (fd_ < 0) continue;
      if (::connect(fd_, a->ai_addr, a->ai_addrlen) != 0) {
        ::close(fd_);
        fd_ = -1;
      }
    }
    freeaddrinfo(found);
    if (fd_ >= 0) {
      // A broken exchange fails the test instead of hanging it.
      timeval timeout{10, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    }
  }
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return fd_ >= 0; }

  bool send_all(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(std::size_t(n));
    }
    return true;
  }

  bool receive_exact(char* out, std::size_t size) {
    while (size > 0) {
      const ssize_t n = ::recv(fd_, out, size, 0);
      if (n <= 0) return false;
      out += n;
      size -= std::size_t(n);
    }
    return true;
  }

  // One size-prefixed response, without its size.
  bool receive_frame(std::string& frame) {
    char size_bytes[4];
    if (!receive_exact(size_bytes, 4)) return false;
    const auto size = codec::load_be<std::int32_t>(size_bytes);
    if (size < 0) return false;
    frame.resize(std::size_t(size));
    return receive_exact(frame.data(), frame.size());
  }

 private:
  int fd_ = -1;
};

struct FetchedPartition {
  std::int16_t error = -1;
  std::int64_t high_watermark = -1;
  std::string records;
};

// Fetch v4 (FetchRequest.json): ReplicaId, MaxWaitMs, MinBytes, MaxBytes,
// IsolationLevel, Topics[Name, Partitions[Index, FetchOffset, PartitionMaxBytes]];
// request header v1 (ApiKey, ApiVersion, CorrelationId, ClientId).
FetchedPartition fetch(Connection& conn, std::int32_t correlation_id, const std::string& topic,
                       std::int64_t offset) {
  Writer w;
  w.put(std::int16_t{1});
  w.put(std::int16_t{4});
  w.put(correlation_id);
  w.put_string("junction-codec-test");
  w.put(std::int32_t{-1});
  w.put(std::int32_t{100});
  w.put(std::int32_t{1});
  w.put(std::int32_t{64 << 20});
  w.put(std::int8_t{0});
  w.put(std::int32_t{1});
  w.put_string(topic);
  w.put(std::int32_t{1});
  w.put(std::int32_t{0});
  w.put(offset);
  w.put(std::int32_t{16 << 20});

  FetchedPartition result;
  std::string frame;
  EXPECT_TRUE(conn.send_all(w.framed()));
  if (!conn.receive_frame(frame)) {
    ADD_FAILURE() << "no Fetch response";
    return result;
  }

  // Response header v0 (CorrelationId), then Fetch v4 (FetchResponse.json):
  // ThrottleTimeMs, Responses[Topic, Partitions[Index, ErrorCode, HighWatermark,
  // LastStableOffset, AbortedTransactions (nullable), Records (nullable bytes)]].
  Reader r(frame);
  EXPECT_EQ(r.get<std::int32_t>(), correlation_id);
  r.get<std::int32_t>();
  EXPECT_EQ(r.get<std::int32_t>(), 1);
  EXPECT_EQ(r.get_string(), topic);
  EXPECT_EQ(r.get<std::int32_t>(), 1);
  EXPECT_EQ(r.get<std::int32_t>(), 0);
  result.error = r.get<std::int16_t>();
  result.high_watermark = r.get<std::int64_t>();
  r.get<std::int64_t>();
  const auto aborted = r.get<std::int32_t>();
  for (std::int32_t i = 0; i < aborted; ++i) r.take(16);
  const auto size = r.get<std::int32_t>();
  if (size > 0) result.records = std::string(r.take(std::size_t(size)));
  EXPECT_TRUE(r.ok()) << "Fetch response shorter than its fields";
  EXPECT_TRUE(r.done()) << "unparsed bytes after the Fetch response";
  return result;
}

// Produce v7 (ProduceRequest.json; v7 admits zstd): TransactionalId (nullable),
// Acks, TimeoutMs, Topics[Name, Partitions[Index, Records]]. Returns the
// partition's error code.
std::int16_t produce(Connection& conn, std::int32_t correlation_id, const std::string& topic,
                     std::string_view records) {
  Writer w;
  w.put(std::int16_t{0});
  w.put(std::int16_t{7});
  w.put(correlation_id);
  w.put_string("junction-codec-test");
  w.put(std::int16_t{-1});
  w.put(std::int16_t{-1});
  w.put(std::int32_t{10'000});
  w.put(std::int32_t{1});
  w.put_string(topic);
  w.put(std::int32_t{1});
  w.put(std::int32_t{0});
  w.put_bytes(records);

  std::string frame;
  EXPECT_TRUE(conn.send_all(w.framed()));
  if (!conn.receive_frame(frame)) {
    ADD_FAILURE() << "no Produce response";
    return -1;
  }
  // Response header v0, then Responses[Name, Partitions[Index, ErrorCode,
  // BaseOffset, LogAppendTimeMs, LogStartOffset]], ThrottleTimeMs.
  Reader r(frame);
  EXPECT_EQ(r.get<std::int32_t>(), correlation_id);
  EXPECT_EQ(r.get<std::int32_t>(), 1);
  EXPECT_EQ(r.get_string(), topic);
  EXPECT_EQ(r.get<std::int32_t>(), 1);
  EXPECT_EQ(r.get<std::int32_t>(), 0);
  const auto error = r.get<std::int16_t>();
  r.get<std::int64_t>();
  r.get<std::int64_t>();
  r.get<std::int64_t>();
  r.get<std::int32_t>();
  EXPECT_TRUE(r.ok()) << "Produce response shorter than its fields";
  EXPECT_TRUE(r.done()) << "unparsed bytes after the Produce response";
  return error;
}

// librdkafka's simple consumer, reading partition 0 of each topic from the
// start; it verifies every batch's CRC-32C (check.crcs).
class LibrdkafkaReader {
 public:
  LibrdkafkaReader(const std::string& bootstrap, const std::vector<std::string>& topics) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [name, value] :
         {std::pair{"bootstrap.servers", bootstrap.c_str()}, std::pair{"check.crcs", "true"},
          std::pair{"enable.partition.eof", "false"}})
      if (rd_kafka_conf_set(conf, name, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
        ADD_FAILURE() << err;
        rd_kafka_conf_destroy(conf);
        return;
      }
    consumer_.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err));
    if (!consumer_) {
      ADD_FAILURE() << err;
      return;
    }
    // Started together so their metadata and offset lookups overlap.
    for (const auto& topic : topics) {
      auto& rkt = topics_[topic];
      rkt.reset(rd_kafka_topic_new(consumer_.get(), topic.c_str(), nullptr));
      EXPECT_EQ(rd_kafka_consume_start(rkt.get(), 0, RD_KAFKA_OFFSET_BEGINNING), 0) << topic;
    }
  }

  ~LibrdkafkaReader() {
    for (auto& [topic, rkt] : topics_) rd_kafka_consume_stop(rkt.get(), 0);
    topics_.clear();
  }

  std::vector<StoredRecord> read(const std::string& topic, std::size_t count) {
    std::vector<StoredRecord> out;
    if (!consumer_ || !topics_.count(topic)) return out;
    rd_kafka_topic_t* rkt = topics_[topic].get();
    for (int attempt = 0; attempt < 200 && out.size() < count; ++attempt) {
      rd_kafka_message_t* m = rd_kafka_consume(rkt, 0, 100);
      if (!m) continue;
      if (m->err) {
        ADD_FAILURE() << "librdkafka consumer: " << rd_kafka_message_errstr(m);
        rd_kafka_message_destroy(m);
        break;
      }
      out.push_back(convert(m));
      rd_kafka_message_destroy(m);
    }
    return out;
  }

 private:
  static StoredRecord convert(const rd_kafka_message_t* m) {
    StoredRecord stored;
    stored.offset = m->offset;
    Record& r = stored.record;
    if (m->key) r.key.emplace(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) r.value.emplace(static_cast<const char*>(m->payload), m->len);
    rd_kafka_timestamp_type_t type;
    r.timestamp_ms = rd_kafka_message_timestamp(m, &type);
    EXPECT_EQ(type, RD_KAFKA_TIMESTAMP_CREATE_TIME);
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return stored;
    const char* name;
    const void* value;
    std::size_t size;
    for (std::size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      auto& h = r.headers.emplace_back();
      h.key = name;
      if (value) h.value.emplace(static_cast<const char*>(value), size);
    }
    return stored;
  }

  std::unique_ptr<rd_kafka_t, KafkaDeleter> consumer_;
  std::map<std::string, std::unique_ptr<rd_kafka_topic_t, KafkaDeleter>> topics_;
};

class LibrdkafkaCapture : public ::testing::Test {
 protected:
  static constexpr const char* kCodecNames[] = {"none", "gzip", "snappy", "lz4", "zstd"};

  static std::string topic_for(const char* codec) { return std::string("capture-") + codec; }
  static std::string ours_topic_for(const char* codec) { return std::string("ours-") + codec; }

  // Produces the expected records to one topic per codec, then fetches every
  // topic's raw log.
  static void SetUpTestSuite() {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    const std::pair<const char*, const char*> settings[] = {
        {"test.mock.num.brokers", "1"}, {"linger.ms", "50"}, {"message.timeout.ms", "20000"}};
    for (const auto& [name, value] : settings)
      if (rd_kafka_conf_set(conf, name, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
        setup_error_ = err;
        rd_kafka_conf_destroy(conf);
        return;
      }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    producer_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
    if (!producer_) {
      setup_error_ = err;
      return;
    }
    rd_kafka_mock_cluster_t* cluster = rd_kafka_handle_mock_cluster(producer_.get());
    if (!cluster) {
      setup_error_ = "no mock cluster";
      return;
    }
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster);
    for (const char* codec : kCodecNames)
      if (rd_kafka_mock_topic_create(cluster, ours_topic_for(codec).c_str(), 1, 1) !=
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        setup_error_ = "cannot create " + ours_topic_for(codec);
        return;
      }

    const auto records = expected_records();
    for (const char* codec : kCodecNames) {
      const std::string topic = topic_for(codec);
      if (rd_kafka_mock_topic_create(cluster, topic.c_str(), 1, 1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        setup_error_ = "cannot create " + topic;
        return;
      }
      rd_kafka_topic_conf_t* tconf = rd_kafka_topic_conf_new();
      if (rd_kafka_topic_conf_set(tconf, "compression.codec", codec, err, sizeof err) !=
          RD_KAFKA_CONF_OK) {
        setup_error_ = err;
        rd_kafka_topic_conf_destroy(tconf);
        return;
      }
      std::unique_ptr<rd_kafka_topic_t, KafkaDeleter> rkt(
          rd_kafka_topic_new(producer_.get(), topic.c_str(), tconf));
      for (const auto& r : records) {
        rd_kafka_headers_t* headers = rd_kafka_headers_new(r.headers.size());
        for (const auto& h : r.headers)
          rd_kafka_header_add(headers, h.key.data(), ssize_t(h.key.size()),
                              h.value ? h.value->data() : nullptr,
                              h.value ? ssize_t(h.value->size()) : 0);
        // The RD_KAFKA_V_* macros cast their arguments unparenthesised.
        const void* key = r.key ? r.key->data() : nullptr;
        const std::size_t key_size = r.key ? r.key->size() : 0;
        void* value = r.value ? const_cast<char*>(r.value->data()) : nullptr;
        const std::size_t value_size = r.value ? r.value->size() : 0;
        const rd_kafka_resp_err_t e = rd_kafka_producev(
            producer_.get(), RD_KAFKA_V_RKT(rkt.get()), RD_KAFKA_V_PARTITION(0),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_size),
            RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_TIMESTAMP(r.timestamp_ms),
            RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
          rd_kafka_headers_destroy(headers);
          setup_error_ = std::string("produce: ") + rd_kafka_err2str(e);
          return;
        }
      }
    }
    if (rd_kafka_flush(producer_.get(), 30'000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      setup_error_ = "flush timed out";
      return;
    }
    if (delivery_errors != 0) {
      setup_error_ = std::to_string(delivery_errors) + " delivery errors";
      return;
    }

    Connection conn(bootstrap_);
    if (!conn.connected()) {
      setup_error_ = "cannot connect to the mock cluster";
      return;
    }
    std::int32_t correlation_id = 0;
    for (const char* codec : kCodecNames) {
      std::string& log = logs_[topic_for(codec)];
      // The mock answers with one stored batch per fetch: follow the offsets.
      std::int64_t offset = 0;
      for (int round = 0; round < 100 && offset < kRecordsPerTopic; ++round) {
        FetchedPartition part = fetch(conn, ++correlation_id, topic_for(codec), offset);
        if (part.error != 0 || part.records.empty()) {
          setup_error_ =
              "fetch " + topic_for(codec) + " failed, error " + std::to_string(part.error);
          return;
        }
        batch::Iterator it(part.records);
        batch::Header h;
        std::string_view bytes;
        for (;;) {
          auto more = it.next(h, bytes);
          if (!more.ok() || !*more) break;
          if (h.last_offset() >= offset) log += bytes;
          offset = std::max(offset, h.last_offset() + 1);
        }
      }
    }
  }

  static void TearDownTestSuite() { producer_.reset(); }

  void SetUp() override { ASSERT_EQ(setup_error_, "") << "capture failed"; }

  static Compression codec_of(const char* name) {
    for (int c = 0; c <= 4; ++c)
      if (std::string_view(name) == to_string(Compression(c))) return Compression(c);
    return Compression::none;
  }

  static inline std::unique_ptr<rd_kafka_t, KafkaDeleter> producer_;
  static inline std::string setup_error_;
  static inline std::string bootstrap_;
  static inline std::map<std::string, std::string> logs_;
};

void expect_same_records(const std::vector<StoredRecord>& got, const std::vector<Record>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].offset, std::int64_t(i));
    EXPECT_EQ(got[i].record.key, want[i].key) << i;
    EXPECT_EQ(got[i].record.value, want[i].value) << i;
    EXPECT_EQ(got[i].record.timestamp_ms, want[i].timestamp_ms) << i;
    EXPECT_EQ(got[i].record.headers, want[i].headers) << i;
  }
}

TEST_F(LibrdkafkaCapture, StoredBatchesValidateAndUseTheConfiguredCodec) {
  for (const char* name : kCodecNames) {
    SCOPED_TRACE(name);
    const std::string& log = logs_[topic_for(name)];
    batch::Iterator it(log);
    batch::Header h;
    std::string_view bytes;
    int batches = 0;
    int compressed = 0;
    for (;;) {
      auto more = it.next(h, bytes);
      ASSERT_TRUE(more.ok()) << more.error().message;
      if (!*more) break;
      ++batches;
      auto valid = batch::validate(bytes);
      ASSERT_TRUE(valid.ok()) << valid.error().message;
      // librdkafka sends a batch uncompressed when the codec would not make
      // it smaller, which happens when timing splits off a small batch.
      if (valid->compression() == codec_of(name)) {
        ++compressed;
      } else {
        EXPECT_EQ(valid->compression(), Compression::none);
      }
      EXPECT_EQ(valid->magic, 2);
      EXPECT_EQ(valid->timestamp_type(), batch::TimestampType::create_time);
      EXPECT_EQ(valid->producer_id, -1);
      EXPECT_EQ(valid->base_sequence, -1);
      const std::string_view section = bytes.substr(batch::kHeaderSize);
      // What librdkafka writes, and so what our decoder must take: raw
      // snappy, and zstd frames without a content size (the streaming path).
      if (valid->compression() == Compression::snappy) {
        EXPECT_NE(section.substr(0, 2), "\x82S");
      }
      if (valid->compression() == Compression::zstd) {
        EXPECT_EQ(ZSTD_getFrameContentSize(section.data(), section.size()),
                  ZSTD_CONTENTSIZE_UNKNOWN);
      }
    }
    EXPECT_GE(compressed, 1);
    EXPECT_EQ(it.remaining(), 0u);
  }
}

TEST_F(LibrdkafkaCapture, DecodesExactlyWhatWasProduced) {
  const auto want = expected_records();
  for (const char* name : kCodecNames) {
    SCOPED_TRACE(name);
    auto got = batch::decode_all(logs_[topic_for(name)]);
    ASSERT_TRUE(got.ok()) << got.error().message;
    expect_same_records(*got, want);
  }
}

TEST_F(LibrdkafkaCapture, ReencodingWithTheSameCodecDecodesToTheSameRecords) {
  for (const char* name : kCodecNames) {
    SCOPED_TRACE(name);
    const std::string& log = logs_[topic_for(name)];
    batch::Iterator it(log);
    batch::Header h;
    std::string_view bytes;
    for (;;) {
      auto more = it.next(h, bytes);
      ASSERT_TRUE(more.ok());
      if (!*more) break;
      auto decoded = batch::decode(bytes);
      ASSERT_TRUE(decoded.ok()) << decoded.error().message;
      std::vector<Record> records;
      for (auto& r : *decoded) records.push_back(r.record);
      auto again = batch::encode(records, {.compression = h.compression(),
                                           .base_offset = h.base_offset,
                                           .producer_id = h.producer_id,
                                           .producer_epoch = h.producer_epoch,
                                           .base_sequence = h.base_sequence});
      ASSERT_TRUE(again.ok()) << again.error().message;
      auto redecoded = batch::decode(*again);
      ASSERT_TRUE(redecoded.ok()) << redecoded.error().message;
      EXPECT_EQ(*redecoded, *decoded);
      if (h.compression() == Compression::none) {
        // Uncompressed, our encoder writes librdkafka's bytes exactly, apart
        // from PartitionLeaderEpoch, which the broker owns.
        EXPECT_EQ(again->substr(0, 12), bytes.substr(0, 12));
        EXPECT_EQ(again->substr(16), bytes.substr(16));
      }
    }
  }
}

TEST_F(LibrdkafkaCapture, LibrdkafkaConsumerReadsWhatWeEncode) {
  const auto records = expected_records();
  Connection conn(bootstrap_);
  ASSERT_TRUE(conn.connected());
  std::int32_t correlation_id = 1000;
  std::vector<std::string> topics;
  for (const char* name : kCodecNames) {
    SCOPED_TRACE(name);
    // Two batches, so offsets continue across them.
    const std::size_t half = records.size() / 2;
    const std::span<const Record> all(records);
    for (const auto part : {all.subspan(0, half), all.subspan(half)}) {
      auto bytes = batch::encode(part, {.compression = codec_of(name)});
      ASSERT_TRUE(bytes.ok()) << bytes.error().message;
      ASSERT_EQ(produce(conn, ++correlation_id, ours_topic_for(name), *bytes), 0);
    }
    topics.push_back(ours_topic_for(name));
  }
  LibrdkafkaReader reader(bootstrap_, topics);
  for (const char* name : kCodecNames) {
    SCOPED_TRACE(name);
    expect_same_records(reader.read(ours_topic_for(name), records.size()), records);
  }
}

}  // namespace
}  // namespace junction
