#include "codec/varint.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace junction::codec {
namespace {

std::string encode_varint(std::int32_t v) {
  char buf[kMaxVarintSize];
  return std::string(buf, write_varint(buf, v));
}

std::string encode_varlong(std::int64_t v) {
  char buf[kMaxVarlongSize];
  return std::string(buf, write_varlong(buf, v));
}

ReadStatus decode_varint(const std::string& bytes, std::int32_t& out, std::size_t& used) {
  const char* p = bytes.data();
  const ReadStatus s = read_varint(p, bytes.data() + bytes.size(), out);
  used = std::size_t(p - bytes.data());
  return s;
}

ReadStatus decode_varlong(const std::string& bytes, std::int64_t& out, std::size_t& used) {
  const char* p = bytes.data();
  const ReadStatus s = read_varlong(p, bytes.data() + bytes.size(), out);
  used = std::size_t(p - bytes.data());
  return s;
}

TEST(Varint, KnownZigZagEncodings) {
  // Values and bytes as Kafka's ByteUtils writes them.
  EXPECT_EQ(encode_varint(0), std::string("\x00", 1));
  EXPECT_EQ(encode_varint(-1), "\x01");
  EXPECT_EQ(encode_varint(1), "\x02");
  EXPECT_EQ(encode_varint(63), "\x7e");
  EXPECT_EQ(encode_varint(-64), "\x7f");
  EXPECT_EQ(encode_varint(64), "\x80\x01");
  EXPECT_EQ(encode_varint(-65), "\x81\x01");
  EXPECT_EQ(encode_varint(std::numeric_limits<std::int32_t>::max()), "\xfe\xff\xff\xff\x0f");
  EXPECT_EQ(encode_varint(std::numeric_limits<std::int32_t>::min()), "\xff\xff\xff\xff\x0f");
  EXPECT_EQ(encode_varlong(std::numeric_limits<std::int64_t>::max()),
            "\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01");
  EXPECT_EQ(encode_varlong(std::numeric_limits<std::int64_t>::min()),
            "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
}

TEST(Varint, RoundTripsBoundariesAndRandomValues) {
  std::vector<std::int32_t> values = {0,
                                      1,
                                      -1,
                                      63,
                                      -64,
                                      64,
                                      -65,
                                      8191,
                                      -8192,
                                      8192,
                                      -8193,
                                      (1 << 20) - 1,
                                      -(1 << 20),
                                      1 << 27,
                                      -(1 << 27) - 1,
                                      std::numeric_limits<std::int32_t>::max(),
                                      std::numeric_limits<std::int32_t>::min()};
  std::mt19937 rng(1);
  for (int i = 0; i < 1000; ++i) values.push_back(std::int32_t(rng()));
  for (const std::int32_t v : values) {
    const std::string bytes = encode_varint(v);
    EXPECT_EQ(bytes.size(), varint_size(v)) << v;
    std::int32_t out = 0;
    std::size_t used = 0;
    ASSERT_EQ(decode_varint(bytes + "tail", out, used), ReadStatus::ok) << v;
    EXPECT_EQ(out, v);
    EXPECT_EQ(used, bytes.size());
  }
}

TEST(Varlong, RoundTripsBoundariesAndRandomValues) {
  std::vector<std::int64_t> values = {0,
                                      1,
                                      -1,
                                      63,
                                      -64,
                                      64,
                                      -65,
                                      std::int64_t{1} << 35,
                                      -(std::int64_t{1} << 35),
                                      std::int64_t{1} << 62,
                                      -(std::int64_t{1} << 62) - 1,
                                      std::numeric_limits<std::int64_t>::max(),
                                      std::numeric_limits<std::int64_t>::min()};
  std::mt19937_64 rng(2);
  for (int i = 0; i < 1000; ++i) values.push_back(std::int64_t(rng() >> (rng() % 64)));
  for (const std::int64_t v : values) {
    const std::string bytes = encode_varlong(v);
    EXPECT_EQ(bytes.size(), varlong_size(v)) << v;
    std::int64_t out = 0;
    std::size_t used = 0;
    ASSERT_EQ(decode_varlong(bytes + "x", out, used), ReadStatus::ok) << v;
    EXPECT_EQ(out, v);
    EXPECT_EQ(used, bytes.size());
  }
}

TEST(Varint, EveryProperPrefixIsTruncated) {
  for (const std::int32_t v : {64, 8192, 1 << 27, std::numeric_limits<std::int32_t>::min()}) {
    const std::string bytes = encode_varint(v);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      std::int32_t out;
      std::size_t used;
      EXPECT_EQ(decode_varint(bytes.substr(0, n), out, used), ReadStatus::truncated)
          << v << "/" << n;
    }
  }
  const std::string longest = encode_varlong(std::numeric_limits<std::int64_t>::min());
  for (std::size_t n = 0; n < longest.size(); ++n) {
    std::int64_t out;
    std::size_t used;
    EXPECT_EQ(decode_varlong(longest.substr(0, n), out, used), ReadStatus::truncated) << n;
  }
}

TEST(Varint, RejectsOverflow) {
  std::int32_t out;
  std::size_t used;
  // A sixth byte, and bits beyond 32 in the fifth.
  EXPECT_EQ(decode_varint("\xff\xff\xff\xff\x8f\x01", out, used), ReadStatus::overflow);
  EXPECT_EQ(decode_varint("\x80\x80\x80\x80\x10", out, used), ReadStatus::overflow);
  EXPECT_EQ(decode_varint(std::string(16, '\x80'), out, used), ReadStatus::overflow);
  std::int64_t out64;
  EXPECT_EQ(decode_varlong("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", out64, used),
            ReadStatus::overflow);
  EXPECT_EQ(decode_varlong(std::string(16, '\xff'), out64, used), ReadStatus::overflow);
}

TEST(BigEndian, StoresAndLoadsNetworkOrder) {
  char buf[8];
  store_be(buf, std::int64_t{0x0102030405060708});
  EXPECT_EQ(std::string(buf, 8), "\x01\x02\x03\x04\x05\x06\x07\x08");
  EXPECT_EQ(load_be<std::int64_t>(buf), 0x0102030405060708);
  store_be(buf, std::int32_t{-2});
  EXPECT_EQ(std::string(buf, 4), "\xff\xff\xff\xfe");
  EXPECT_EQ(load_be<std::int32_t>(buf), -2);
  EXPECT_EQ(load_be<std::uint32_t>(buf), 0xfffffffeu);
  store_be(buf, std::int16_t{0x1234});
  EXPECT_EQ(load_be<std::int16_t>(buf), 0x1234);
  EXPECT_EQ(buf[0], 0x12);
  store_be(buf, std::int8_t{-3});
  EXPECT_EQ(load_be<std::int8_t>(buf), -3);
}

}  // namespace
}  // namespace junction::codec
