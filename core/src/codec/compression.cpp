#include "junction/compression.hpp"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <limits>
#include <memory>

#include "codec/varint.hpp"

namespace junction {
namespace {

Error corrupt(Compression codec, const char* what) {
  return make_error(Errc::corrupt_batch,
                    std::string(to_string(codec)) + " decompression failed: " + what);
}

Error too_large(Compression codec, std::size_t limit) {
  return make_error(Errc::record_too_large, std::string(to_string(codec)) +
                                                " data decompresses to more than the limit of " +
                                                std::to_string(limit) + " bytes");
}

// Decompression output whose capacity never exceeds limit + 1 bytes: filling
// that extra byte is how a decoder tells "too large" from "exactly the limit".
class Output {
 public:
  Output(std::size_t limit, std::size_t expected)
      : cap_(limit == std::numeric_limits<std::size_t>::max() ? limit : limit + 1) {
    buf_.resize(std::min(cap_, std::max<std::size_t>(expected, 4096)));
  }

  char* free_begin() noexcept { return buf_.data() + used_; }
  std::size_t free_size() const noexcept { return buf_.size() - used_; }
  std::size_t used() const noexcept { return used_; }
  void commit(std::size_t n) noexcept { used_ += n; }
  bool full() const noexcept { return used_ == buf_.size(); }
  bool over(std::size_t limit) const noexcept { return used_ > limit; }

  // False once the buffer is at its cap.
  bool grow() {
    if (buf_.size() >= cap_) return false;
    buf_.resize(std::min(cap_, buf_.size() * 2));
    return true;
  }

  std::string take() && {
    buf_.resize(used_);
    return std::move(buf_);
  }

 private:
  std::size_t cap_;
  std::string buf_;
  std::size_t used_ = 0;
};

std::size_t expected_size(std::string_view input) {
  return input.size() > std::numeric_limits<std::size_t>::max() / 4 ? input.size()
                                                                    : input.size() * 4;
}

// zlib counts in uInt; feed it at most this much per call.
constexpr std::size_t kZlibChunk = UINT_MAX;

Result<std::string> gzip_compress(std::string_view input) {
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper, which Kafka's GZIPInputStream requires.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return make_error(Errc::io_error, "gzip: cannot initialise the compressor");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, deflateEnd);

  std::string out(deflateBound(&zs, static_cast<uLong>(std::min(input.size(), kZlibChunk))), '\0');
  std::size_t in_pos = 0;
  std::size_t out_pos = 0;
  for (;;) {
    if (out_pos == out.size()) out.resize(out.size() * 2);
    const std::size_t in_chunk = std::min(input.size() - in_pos, kZlibChunk);
    const std::size_t out_chunk = std::min(out.size() - out_pos, kZlibChunk);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data() + in_pos));
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    zs.avail_out = static_cast<uInt>(out_chunk);
    const bool last = in_pos + in_chunk == input.size();
    const int rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
    in_pos += in_chunk - zs.avail_in;
    out_pos += out_chunk - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) return make_error(Errc::io_error, "gzip: deflate failed");
  }
  out.resize(out_pos);
  return out;
}

Result<std::string> gzip_decompress(std::string_view input, std::size_t limit) {
  constexpr auto codec = Compression::gzip;
  z_stream zs{};
  // windowBits 15 + 32 accepts both the gzip and the zlib wrapper.
  if (inflateInit2(&zs, 15 + 32) != Z_OK)
    return make_error(Errc::io_error, "gzip: cannot initialise the decompressor");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);

  Output out(limit, expected_size(input));
  std::size_t in_pos = 0;
  for (;;) {
    if (out.full() && !out.grow()) return too_large(codec, limit);
    const std::size_t in_chunk = std::min(input.size() - in_pos, kZlibChunk);
    const std::size_t out_chunk = std::min(out.free_size(), kZlibChunk);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data() + in_pos));
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.free_begin());
    zs.avail_out = static_cast<uInt>(out_chunk);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    in_pos += in_chunk - zs.avail_in;
    out.commit(out_chunk - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (in_pos == input.size()) break;
      // Java's GZIPInputStream reads concatenated gzip members as one stream.
      if (inflateReset(&zs) != Z_OK) return corrupt(codec, "cannot restart after a member");
      continue;
    }
    if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR)
      return corrupt(codec, zs.msg ? zs.msg : "invalid deflate data");
    if (rc == Z_MEM_ERROR) return make_error(Errc::io_error, "gzip: out of memory");
    if (rc == Z_BUF_ERROR && in_pos == input.size() && !out.full())
      return corrupt(codec, "stream truncated");
  }
  if (out.over(limit)) return too_large(codec, limit);
  return std::move(out).take();
}

Result<std::string> snappy_compress(std::string_view input) {
  std::string out(snappy::MaxCompressedLength(input.size()), '\0');
  std::size_t length = 0;
  snappy::RawCompress(input.data(), input.size(), out.data(), &length);
  out.resize(length);
  return out;
}

// Appends one raw snappy block, checking its declared size against the limit
// before allocating.
Result<void> snappy_append_block(std::string_view block, std::string& out, std::size_t limit) {
  constexpr auto codec = Compression::snappy;
  std::size_t length = 0;
  if (!snappy::GetUncompressedLength(block.data(), block.size(), &length))
    return corrupt(codec, "invalid block header");
  if (length > limit || out.size() > limit - length) return too_large(codec, limit);
  const std::size_t old_size = out.size();
  out.resize(old_size + length);
  if (!snappy::RawUncompress(block.data(), block.size(), out.data() + old_size))
    return corrupt(codec, "invalid block data");
  return {};
}

// The xerial framing of the Java client: magic, two int32 versions, then
// chunks of int32 big-endian length + raw snappy block.
constexpr std::string_view kXerialMagic{"\x82SNAPPY\0", 8};
constexpr std::size_t kXerialHeaderSize = 16;

Result<std::string> snappy_decompress(std::string_view input, std::size_t limit) {
  constexpr auto codec = Compression::snappy;
  std::string out;
  if (input.size() < kXerialHeaderSize || input.substr(0, kXerialMagic.size()) != kXerialMagic) {
    if (auto r = snappy_append_block(input, out, limit); !r) return r.error();
    return out;
  }
  std::size_t pos = kXerialHeaderSize;
  while (pos < input.size()) {
    if (input.size() - pos < 4) return corrupt(codec, "truncated xerial chunk length");
    const auto length = junction::codec::load_be<std::int32_t>(input.data() + pos);
    pos += 4;
    if (length < 0 || static_cast<std::size_t>(length) > input.size() - pos)
      return corrupt(codec, "xerial chunk length overruns the data");
    if (auto r = snappy_append_block(input.substr(pos, std::size_t(length)), out, limit); !r)
      return r.error();
    pos += std::size_t(length);
  }
  return out;
}

Result<std::string> lz4_compress(std::string_view input) {
  // What librdkafka and the Java client write: independent 64 KiB blocks, no
  // content size, no checksums beyond the header's.
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  std::string out(LZ4F_compressFrameBound(input.size(), &prefs), '\0');
  const std::size_t n =
      LZ4F_compressFrame(out.data(), out.size(), input.data(), input.size(), &prefs);
  if (LZ4F_isError(n))
    return make_error(Errc::io_error, std::string("lz4: ") + LZ4F_getErrorName(n));
  out.resize(n);
  return out;
}

Result<std::string> lz4_decompress(std::string_view input, std::size_t limit) {
  constexpr auto codec = Compression::lz4;
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION)))
    return make_error(Errc::io_error, "lz4: cannot create a decompression context");
  std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> dctx(raw,
                                                                    LZ4F_freeDecompressionContext);

  LZ4F_frameInfo_t info{};
  std::size_t consumed = input.size();
  const std::size_t hint = LZ4F_getFrameInfo(dctx.get(), &info, input.data(), &consumed);
  if (LZ4F_isError(hint)) return corrupt(codec, LZ4F_getErrorName(hint));
  if (info.contentSize > limit) return too_large(codec, limit);

  Output out(limit, info.contentSize != 0 ? std::size_t(info.contentSize) : expected_size(input));
  std::size_t pos = consumed;
  for (;;) {
    if (out.full() && !out.grow()) return too_large(codec, limit);
    std::size_t out_n = out.free_size();
    std::size_t in_n = input.size() - pos;
    const std::size_t r =
        LZ4F_decompress(dctx.get(), out.free_begin(), &out_n, input.data() + pos, &in_n, nullptr);
    if (LZ4F_isError(r)) return corrupt(codec, LZ4F_getErrorName(r));
    pos += in_n;
    out.commit(out_n);
    if (r == 0) break;
    if (pos == input.size() && !out.full()) return corrupt(codec, "frame truncated");
  }
  if (pos != input.size()) return corrupt(codec, "trailing bytes after the frame");
  if (out.over(limit)) return too_large(codec, limit);
  return std::move(out).take();
}

Result<std::string> zstd_compress(std::string_view input) {
  std::string out(ZSTD_compressBound(input.size()), '\0');
  const std::size_t n =
      ZSTD_compress(out.data(), out.size(), input.data(), input.size(), ZSTD_CLEVEL_DEFAULT);
  if (ZSTD_isError(n))
    return make_error(Errc::io_error, std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

Result<std::string> zstd_decompress(std::string_view input, std::size_t limit) {
  constexpr auto codec = Compression::zstd;
  const unsigned long long content = ZSTD_getFrameContentSize(input.data(), input.size());
  if (content == ZSTD_CONTENTSIZE_ERROR) return corrupt(codec, "not a zstd frame");

  // One frame that declares its size: decode in one call into an exact buffer.
  if (content != ZSTD_CONTENTSIZE_UNKNOWN &&
      ZSTD_findFrameCompressedSize(input.data(), input.size()) == input.size()) {
    if (content > limit) return too_large(codec, limit);
    std::string out(static_cast<std::size_t>(content), '\0');
    const std::size_t n = ZSTD_decompress(out.data(), out.size(), input.data(), input.size());
    if (ZSTD_isError(n)) return corrupt(codec, ZSTD_getErrorName(n));
    if (n != out.size()) return corrupt(codec, "frame shorter than its declared size");
    return out;
  }

  // Streaming producers (librdkafka among them) leave the size out.
  std::unique_ptr<ZSTD_DStream, std::size_t (*)(ZSTD_DStream*)> ds(ZSTD_createDStream(),
                                                                   ZSTD_freeDStream);
  if (!ds) return make_error(Errc::io_error, "zstd: cannot create a decompression stream");
  Output out(limit, expected_size(input));
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  for (;;) {
    if (out.full() && !out.grow()) return too_large(codec, limit);
    ZSTD_outBuffer ob{out.free_begin(), out.free_size(), 0};
    const std::size_t r = ZSTD_decompressStream(ds.get(), &ob, &in);
    if (ZSTD_isError(r)) return corrupt(codec, ZSTD_getErrorName(r));
    out.commit(ob.pos);
    if (in.pos == in.size) {
      if (r == 0) break;
      if (!out.full()) return corrupt(codec, "frame truncated");
    }
  }
  if (out.over(limit)) return too_large(codec, limit);
  return std::move(out).take();
}

}  // namespace

const char* to_string(Compression codec) noexcept {
  switch (codec) {
    case Compression::none:
      return "none";
    case Compression::gzip:
      return "gzip";
    case Compression::snappy:
      return "snappy";
    case Compression::lz4:
      return "lz4";
    case Compression::zstd:
      return "zstd";
  }
  return "unknown";
}

Result<std::string> compress(Compression codec, std::string_view input) {
  switch (codec) {
    case Compression::none:
      return std::string(input);
    case Compression::gzip:
      return gzip_compress(input);
    case Compression::snappy:
      return snappy_compress(input);
    case Compression::lz4:
      return lz4_compress(input);
    case Compression::zstd:
      return zstd_compress(input);
  }
  return make_error(Errc::unsupported_format,
                    "unknown compression codec " + std::to_string(int(codec)));
}

Result<std::string> decompress(Compression codec, std::string_view input, std::size_t size_limit) {
  switch (codec) {
    case Compression::none:
      if (input.size() > size_limit) return too_large(codec, size_limit);
      return std::string(input);
    case Compression::gzip:
      return gzip_decompress(input, size_limit);
    case Compression::snappy:
      return snappy_decompress(input, size_limit);
    case Compression::lz4:
      return lz4_decompress(input, size_limit);
    case Compression::zstd:
      return zstd_decompress(input, size_limit);
  }
  return make_error(Errc::unsupported_format,
                    "unknown compression codec " + std::to_string(int(codec)));
}

}  // namespace junction
