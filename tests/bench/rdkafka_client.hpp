#pragma once

// librdkafka handles and the produce call the Kafka benchmarks share.

#include <librdkafka/rdkafka.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace junction::bench {

struct KafkaDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

using KafkaSettings = std::vector<std::pair<std::string, std::string>>;

// A client handle; `opaque` reaches the callbacks set by `prepare`.
inline KafkaHandle make_kafka_client(rd_kafka_type_t type, const KafkaSettings& settings,
                                     void (*prepare)(rd_kafka_conf_t*) = nullptr,
                                     void* opaque = nullptr) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(name + "=" + value + ": " + error);
    }
  }
  if (prepare) prepare(conf);
  rd_kafka_conf_set_opaque(conf, opaque);
  rd_kafka_t* handle = rd_kafka_new(type, conf, error, sizeof error);
  if (!handle) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("rd_kafka_new: ") + error);
  }
  return KafkaHandle(handle);
}

// A producer tuned for throughput: acks=1, 5 ms linger, 1 MB batches, a deep
// queue, no compression.
inline KafkaSettings throughput_producer_settings(const std::string& bootstrap) {
  return {{"bootstrap.servers", bootstrap},
          {"acks", "1"},
          {"linger.ms", "5"},
          {"batch.size", "1000000"},
          {"batch.num.messages", "1000000"},
          {"queue.buffering.max.messages", "2000000"},
          {"queue.buffering.max.kbytes", "2097151"},
          {"compression.codec", "none"},
          {"message.timeout.ms", "30000"}};
}

// Produces one value (copied) to `partition` (RD_KAFKA_PARTITION_UA: the
// partitioner's choice), waiting for queue room when it is full.
inline void produce_value(rd_kafka_t* producer, const std::string& topic, std::int32_t partition,
                          const char* value, std::size_t size) {
  for (;;) {
    const auto error = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                                         RD_KAFKA_V_PARTITION(partition),
                                         RD_KAFKA_V_VALUE(const_cast<char*>(value), size),
                                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(error));
    }
    rd_kafka_poll(producer, 1);
  }
}

}  // namespace junction::bench
