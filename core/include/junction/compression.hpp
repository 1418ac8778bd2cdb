#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "junction/result.hpp"

namespace junction {

// Values of the low three bits of a RecordBatch's attributes.
enum class Compression : std::uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

const char* to_string(Compression codec) noexcept;

// Compresses in the framing Kafka clients expect for each codec (gzip stream,
// raw snappy, LZ4 frame, zstd frame).
Result<std::string> compress(Compression codec, std::string_view input);

// Accepts every framing Kafka producers send, including xerial-framed snappy.
// `size_limit` bounds the decompressed size so a small bomb cannot exhaust memory.
Result<std::string> decompress(Compression codec, std::string_view input, std::size_t size_limit);

}  // namespace junction
