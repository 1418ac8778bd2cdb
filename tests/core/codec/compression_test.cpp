#include "junction/compression.hpp"

#include <gtest/gtest.h>
#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>
#include <vector>

#include "codec/varint.hpp"

namespace junction {
namespace {

constexpr Compression kCodecs[] = {Compression::none, Compression::gzip, Compression::snappy,
                                   Compression::lz4, Compression::zstd};
constexpr Compression kRealCodecs[] = {Compression::gzip, Compression::snappy, Compression::lz4,
                                       Compression::zstd};
constexpr std::size_t kNoLimit = std::size_t(1) << 30;

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = char(rng());
  return s;
}

std::string text(std::size_t n) {
  std::string s;
  for (int i = 0; s.size() < n; ++i) s += "record-" + std::to_string(i % 97) + " payload; ";
  s.resize(n);
  return s;
}

std::string must_compress(Compression codec, std::string_view input) {
  auto packed = compress(codec, input);
  EXPECT_TRUE(packed.ok()) << to_string(codec) << ": " << packed.error().message;
  return packed.ok() ? *packed : std::string();
}

TEST(Compression, NamesEveryCodec) {
  EXPECT_STREQ(to_string(Compression::none), "none");
  EXPECT_STREQ(to_string(Compression::gzip), "gzip");
  EXPECT_STREQ(to_string(Compression::snappy), "snappy");
  EXPECT_STREQ(to_string(Compression::lz4), "lz4");
  EXPECT_STREQ(to_string(Compression::zstd), "zstd");
  EXPECT_STREQ(to_string(Compression(7)), "unknown");
}

TEST(Compression, RoundTripsEveryCodec) {
  std::mt19937 rng(6);
  const std::vector<std::string> inputs = {"", "x", text(1000), text(3 << 20),
                                           random_bytes(rng, 200'000)};
  for (const Compression codec : kCodecs)
    for (const auto& input : inputs) {
      const std::string packed = must_compress(codec, input);
      if (codec != Compression::none && input.size() == (3u << 20)) {
        EXPECT_LT(packed.size(), input.size() / 4) << to_string(codec);
      }
      auto plain = decompress(codec, packed, kNoLimit);
      ASSERT_TRUE(plain.ok()) << to_string(codec) << ": " << plain.error().message;
      EXPECT_EQ(*plain, input) << to_string(codec) << " " << input.size();
    }
}

TEST(Compression, WritesTheFramingKafkaClientsRead) {
  const std::string input = text(1000);
  EXPECT_EQ(must_compress(Compression::gzip, input).substr(0, 2), "\x1f\x8b");
  const std::string lz4 = must_compress(Compression::lz4, input);
  EXPECT_EQ(lz4.substr(0, 4), "\x04\x22\x4d\x18");
  // FLG: version 01, independent blocks, no checksums, no content size; BD: 64 KiB.
  EXPECT_EQ(std::uint8_t(lz4[4]), 0x60);
  EXPECT_EQ(std::uint8_t(lz4[5]), 0x40);
  EXPECT_EQ(must_compress(Compression::zstd, input).substr(0, 4), "\x28\xb5\x2f\xfd");
  // Raw snappy, as librdkafka sends: a varint of the uncompressed size first.
  const std::string snappy = must_compress(Compression::snappy, input);
  std::size_t length = 0;
  ASSERT_TRUE(snappy::GetUncompressedLength(snappy.data(), snappy.size(), &length));
  EXPECT_EQ(length, input.size());
}

TEST(Compression, EnforcesTheSizeLimitExactly) {
  const std::string input = text(100'000);
  for (const Compression codec : kCodecs) {
    const std::string packed = must_compress(codec, input);
    auto exact = decompress(codec, packed, input.size());
    ASSERT_TRUE(exact.ok()) << to_string(codec) << ": " << exact.error().message;
    EXPECT_EQ(*exact, input);
    auto over = decompress(codec, packed, input.size() - 1);
    ASSERT_FALSE(over.ok()) << to_string(codec);
    EXPECT_EQ(over.error().code, Errc::record_too_large) << to_string(codec);
    EXPECT_NE(over.error().message.find("limit"), std::string::npos) << over.error().message;
  }
}

std::string xerial(const std::vector<std::string>& chunks) {
  std::string out("\x82SNAPPY\0", 8);
  out += std::string("\0\0\0\1\0\0\0\1", 8);
  for (const auto& chunk : chunks) {
    std::string block;
    snappy::Compress(chunk.data(), chunk.size(), &block);
    char length[4];
    codec::store_be(length, std::int32_t(block.size()));
    out.append(length, 4);
    out += block;
  }
  return out;
}

TEST(Snappy, DecodesXerialFraming) {
  const std::vector<std::string> chunks = {text(32 * 1024), "", text(100), text(5000)};
  auto plain = decompress(Compression::snappy, xerial(chunks), kNoLimit);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(*plain, chunks[0] + chunks[1] + chunks[2] + chunks[3]);

  auto header_only = decompress(Compression::snappy, xerial({}), kNoLimit);
  ASSERT_TRUE(header_only.ok()) << header_only.error().message;
  EXPECT_EQ(*header_only, "");

  const std::string framed = xerial(chunks);
  auto limited = decompress(Compression::snappy, framed, 32 * 1024 + 50);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().code, Errc::record_too_large);

  for (std::size_t n = 17; n < framed.size(); n += 97) {
    auto cut = decompress(Compression::snappy, framed.substr(0, n), kNoLimit);
    ASSERT_FALSE(cut.ok()) << n;
    EXPECT_EQ(cut.error().code, Errc::corrupt_batch);
  }
}

TEST(Snappy, RejectsADeclaredSizeOverTheLimitBeforeAllocating) {
  // A five-byte header claiming ~4 GiB of output.
  auto r = decompress(Compression::snappy, std::string("\xff\xff\xff\xff\x0f\x00", 6), 1 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::record_too_large);
}

TEST(Gzip, DecodesConcatenatedMembersAndZlibStreams) {
  const std::string a = text(10'000), b = text(777);
  auto plain = decompress(Compression::gzip,
                          must_compress(Compression::gzip, a) + must_compress(Compression::gzip, b),
                          kNoLimit);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(*plain, a + b);

  std::string zlib(compressBound(uLong(a.size())), '\0');
  uLongf n = uLongf(zlib.size());
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(zlib.data()), &n,
                      reinterpret_cast<const Bytef*>(a.data()), uLong(a.size()), 6),
            Z_OK);
  zlib.resize(n);
  auto from_zlib = decompress(Compression::gzip, zlib, kNoLimit);
  ASSERT_TRUE(from_zlib.ok()) << from_zlib.error().message;
  EXPECT_EQ(*from_zlib, a);

  auto trailing =
      decompress(Compression::gzip, must_compress(Compression::gzip, a) + "junk", kNoLimit);
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.error().code, Errc::corrupt_batch);
}

std::string zstd_stream(std::string_view input) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::string out(ZSTD_compressBound(input.size()) + 64, '\0');
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  ZSTD_inBuffer ib{input.data(), input.size(), 0};
  // Feeding the input before ending, as a streaming producer does, leaves the
  // content size out of the frame header.
  EXPECT_FALSE(ZSTD_isError(ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_continue)));
  ZSTD_inBuffer none{nullptr, 0, 0};
  const std::size_t rc = ZSTD_compressStream2(cctx, &ob, &none, ZSTD_e_end);
  ZSTD_freeCCtx(cctx);
  EXPECT_EQ(rc, 0u);
  EXPECT_EQ(ib.pos, input.size());
  out.resize(ob.pos);
  return out;
}

TEST(Zstd, StreamsFramesWithoutContentSize) {
  const std::string input = text(2 << 20);
  const std::string frame = zstd_stream(input);
  ASSERT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  auto plain = decompress(Compression::zstd, frame, kNoLimit);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(*plain, input);

  auto limited = decompress(Compression::zstd, frame, input.size() - 1);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().code, Errc::record_too_large);

  auto two =
      decompress(Compression::zstd, frame + must_compress(Compression::zstd, "tail"), kNoLimit);
  ASSERT_TRUE(two.ok()) << two.error().message;
  EXPECT_EQ(*two, input + "tail");

  auto cut = decompress(Compression::zstd, frame.substr(0, frame.size() - 3), kNoLimit);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code, Errc::corrupt_batch);
}

TEST(Lz4, DecodesFramesWithContentSizeAndChecksums) {
  const std::string input = text(300'000);
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max256KB;
  prefs.frameInfo.blockMode = LZ4F_blockLinked;
  prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
  prefs.frameInfo.contentSize = input.size();
  std::string frame(LZ4F_compressFrameBound(input.size(), &prefs), '\0');
  frame.resize(LZ4F_compressFrame(frame.data(), frame.size(), input.data(), input.size(), &prefs));
  auto plain = decompress(Compression::lz4, frame, kNoLimit);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(*plain, input);

  auto limited = decompress(Compression::lz4, frame, 1000);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().code, Errc::record_too_large);

  frame[frame.size() / 2] ^= 0x55;
  auto flipped = decompress(Compression::lz4, frame, kNoLimit);
  ASSERT_FALSE(flipped.ok());
  EXPECT_EQ(flipped.error().code, Errc::corrupt_batch);
}

TEST(Compression, TruncatedStreamsAreErrors) {
  const std::string input = text(50'000);
  for (const Compression codec : kRealCodecs) {
    const std::string packed = must_compress(codec, input);
    for (std::size_t n = 0; n < packed.size(); n += (n < 64 ? 1 : 37)) {
      auto r = decompress(codec, std::string_view(packed).substr(0, n), kNoLimit);
      ASSERT_FALSE(r.ok()) << to_string(codec) << " cut at " << n;
      EXPECT_EQ(r.error().code, Errc::corrupt_batch)
          << to_string(codec) << ": " << r.error().message;
    }
  }
}

TEST(Compression, GarbageNeverCrashes) {
  std::mt19937 rng(7);
  const std::string input = text(20'000);
  for (const Compression codec : kRealCodecs) {
    const std::string packed = must_compress(codec, input);
    for (int i = 0; i < 400; ++i) {
      std::string mutated = i % 4 == 0 ? random_bytes(rng, rng() % 2000) : packed;
      if (!mutated.empty())
        for (unsigned k = rng() % 8 + 1; k > 0; --k) mutated[rng() % mutated.size()] = char(rng());
      auto r = decompress(codec, mutated, 1 << 20);
      if (!r.ok()) {
        EXPECT_TRUE(r.error().code == Errc::corrupt_batch ||
                    r.error().code == Errc::record_too_large)
            << r.error().message;
      } else {
        EXPECT_LE(r->size(), std::size_t(1) << 20);
      }
    }
  }
}

TEST(Compression, UnknownCodecIsUnsupported) {
  auto packed = compress(Compression(5), "x");
  ASSERT_FALSE(packed.ok());
  EXPECT_EQ(packed.error().code, Errc::unsupported_format);
  auto plain = decompress(Compression(6), "x", 10);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().code, Errc::unsupported_format);
}

}  // namespace
}  // namespace junction
