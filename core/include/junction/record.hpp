#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace junction {

// Keys, values and header values are opaque bytes; std::string is only their
// container.
struct Header {
  std::string key;
  std::optional<std::string> value;

  bool operator==(const Header&) const = default;
};

inline constexpr std::int64_t kNoTimestamp = -1;

struct Record {
  std::optional<std::string> key;
  std::optional<std::string> value;
  // Milliseconds since the epoch; kNoTimestamp lets the broker stamp it.
  std::int64_t timestamp_ms = kNoTimestamp;
  std::vector<Header> headers;

  bool operator==(const Record&) const = default;
};

// A record read back from a partition, with its position there.
struct StoredRecord {
  std::int64_t offset = 0;
  Record record;

  bool operator==(const StoredRecord&) const = default;
};

}  // namespace junction
