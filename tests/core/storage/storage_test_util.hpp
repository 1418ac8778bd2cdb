#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "junction/record_batch.hpp"
#include "junction/topic.hpp"

namespace junction::storage::testing_util {

// A fresh directory per test, deleted afterwards.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("junction-storage-" + std::string(info ? info->name() : "test") + "-" +
             std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Settings that never roll, expire or index on their own unless a test asks.
inline TopicConfig quiet_config() {
  TopicConfig config;
  config.retention_ms = -1;
  config.retention_bytes = -1;
  config.segment_bytes = 1 << 30;
  config.segment_ms = 1LL << 60;
  config.index_interval_bytes = 4096;
  return config;
}

// One batch with a record per timestamp; values differ between calls so that
// mixed-up batches are noticed.
inline std::string make_batch(const std::vector<std::int64_t>& timestamps,
                              std::size_t value_size = 40) {
  static std::atomic<int> serial{0};
  std::vector<Record> records;
  for (const auto timestamp : timestamps) {
    Record record;
    record.key = "key-" + std::to_string(records.size());
    std::string value = "value-" + std::to_string(serial++) + "-";
    value.resize(std::max(value.size(), value_size), 'x');
    record.value = std::move(value);
    record.timestamp_ms = timestamp;
    records.push_back(std::move(record));
  }
  auto encoded = batch::encode(records);
  EXPECT_TRUE(encoded.ok());
  return encoded.ok() ? std::move(encoded.value()) : std::string();
}

inline std::string make_batch(int record_count, std::int64_t first_timestamp,
                              std::size_t value_size = 40) {
  std::vector<std::int64_t> timestamps;
  for (int i = 0; i < record_count; ++i) timestamps.push_back(first_timestamp + i);
  return make_batch(timestamps, value_size);
}

// Every batch of a run of whole batches, CRC-checked.
inline std::vector<batch::Header> headers_of(std::string_view bytes) {
  std::vector<batch::Header> headers;
  while (!bytes.empty()) {
    auto header = batch::validate(bytes);
    EXPECT_TRUE(header.ok()) << (header.ok() ? "" : header.error().message);
    if (!header.ok()) break;
    headers.push_back(*header);
    bytes.remove_prefix(header->total_size());
  }
  return headers;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

inline void append_to_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

}  // namespace junction::storage::testing_util
