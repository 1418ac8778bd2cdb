#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <random>
#include <string>

#include "codec/crc32c_portable.hpp"
#include "junction/crc32c.hpp"
#include "junction/partitioner.hpp"

namespace junction {
namespace {

std::string iota_bytes(std::size_t n, int start, int step) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = char(start + step * int(i));
  return s;
}

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = char(rng());
  return s;
}

// RFC 3720 (iSCSI) appendix B.4 vectors and the common check value.
TEST(Crc32c, KnownVectors) {
  for (const auto fn : {+[](std::string_view d) { return crc32c(d); },
                        +[](std::string_view d) { return codec::crc32c_portable(d); }}) {
    EXPECT_EQ(fn(""), 0u);
    EXPECT_EQ(fn("123456789"), 0xE3069283u);
    EXPECT_EQ(fn(std::string(32, '\x00')), 0x8A9136AAu);
    EXPECT_EQ(fn(std::string(32, '\xff')), 0x62A8AB43u);
    EXPECT_EQ(fn(iota_bytes(32, 0, 1)), 0x46DD794Eu);
    EXPECT_EQ(fn(iota_bytes(32, 31, -1)), 0x113FDB5Cu);
  }
}

TEST(Crc32c, ContinuesAPreviousValue) {
  std::mt19937 rng(3);
  const std::string data = random_bytes(rng, 1000);
  const std::uint32_t whole = crc32c(data);
  for (const std::size_t split : {0, 1, 7, 8, 9, 500, 999, 1000}) {
    const std::string_view v(data);
    EXPECT_EQ(crc32c(v.substr(split), crc32c(v.substr(0, split))), whole) << split;
    EXPECT_EQ(codec::crc32c_portable(v.substr(split), codec::crc32c_portable(v.substr(0, split))),
              whole)
        << split;
  }
}

TEST(Crc32c, DispatchedAndPortableAgreeOnEveryAlignmentAndLength) {
  std::mt19937 rng(4);
  const std::string data = random_bytes(rng, 4096 + 16);
  for (std::size_t offset = 0; offset < 16; ++offset)
    for (std::size_t length = 0; length < 300; ++length) {
      const std::string_view v = std::string_view(data).substr(offset, length);
      ASSERT_EQ(crc32c(v), codec::crc32c_portable(v)) << offset << "/" << length;
    }
  EXPECT_EQ(crc32c(data), codec::crc32c_portable(data));
}

// Kafka's UtilsTest.testMurmur2.
TEST(Murmur2, KafkaUtilsTestVectors) {
  EXPECT_EQ(murmur2("21"), -973932308);
  EXPECT_EQ(murmur2("foobar"), -790332482);
  EXPECT_EQ(murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(murmur2("abc"), 479470107);
}

TEST(Murmur2, PartitionForKeyIsPositiveHashModuloCount) {
  // (-790332482 & 0x7fffffff) = 1357151166.
  EXPECT_EQ(partition_for_key("foobar", 50), 16);
  EXPECT_EQ(partition_for_key("foobar", 1), 0);
  EXPECT_EQ(partition_for_key("21", 7), (-973932308 & 0x7fffffff) % 7);
  EXPECT_EQ(partition_for_key("foobar", 0), -1);
  EXPECT_EQ(partition_for_key("foobar", -3), -1);
}

// librdkafka's "murmur2" partitioner is the Java-compatible one: an
// independent implementation to agree with on every remainder length.
TEST(Murmur2, AgreesWithLibrdkafkaPartitioner) {
  std::mt19937 rng(5);
  for (int i = 0; i < 2000; ++i) {
    const std::string key = random_bytes(rng, rng() % 40);
    const std::int32_t count = std::int32_t(rng() % 1000 + 1);
    ASSERT_EQ(
        partition_for_key(key, count),
        rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(), count, nullptr, nullptr))
        << i;
  }
}

}  // namespace
}  // namespace junction
