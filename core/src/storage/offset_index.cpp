#include "storage/offset_index.hpp"

#include <algorithm>

namespace junction::storage {
namespace {

template <class T>
void put_be(std::string& out, T value) {
  const auto bits = static_cast<std::make_unsigned_t<T>>(value);
  for (int shift = 8 * (sizeof(T) - 1); shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((bits >> shift) & 0xff));
  }
}

template <class T>
T get_be(const char* in) {
  std::make_unsigned_t<T> bits = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    bits = (bits << 8) | static_cast<unsigned char>(in[i]);
  return static_cast<T>(bits);
}

}  // namespace

OffsetEntry OffsetIndex::floor(std::uint32_t relative_offset) const noexcept {
  const auto after = std::upper_bound(entries_.begin(), entries_.end(), relative_offset,
                                      [](std::uint32_t offset, const OffsetEntry& entry) {
                                        return offset < entry.relative_offset;
                                      });
  return after == entries_.begin() ? OffsetEntry{} : *std::prev(after);
}

std::string OffsetIndex::serialize() const {
  std::string out;
  out.reserve(entries_.size() * kEntrySize);
  for (const auto& entry : entries_) {
    put_be(out, entry.relative_offset);
    put_be(out, entry.position);
  }
  return out;
}

bool OffsetIndex::parse(std::string_view bytes, std::uint64_t log_size) {
  entries_.clear();
  if (bytes.size() % kEntrySize != 0) return false;
  entries_.reserve(bytes.size() / kEntrySize);
  for (std::size_t at = 0; at < bytes.size(); at += kEntrySize) {
    const OffsetEntry entry{get_be<std::uint32_t>(bytes.data() + at),
                            get_be<std::uint32_t>(bytes.data() + at + 4)};
    const bool ordered =
        entries_.empty() || (entry.relative_offset > entries_.back().relative_offset &&
                             entry.position > entries_.back().position);
    if (!ordered || entry.position >= log_size) {
      entries_.clear();
      return false;
    }
    entries_.push_back(entry);
  }
  return true;
}

std::optional<std::uint32_t> TimeIndex::start_for(std::int64_t timestamp) const noexcept {
  const auto first_not_below = std::lower_bound(
      entries_.begin(), entries_.end(), timestamp,
      [](const TimeEntry& entry, std::int64_t ts) { return entry.timestamp < ts; });
  if (first_not_below == entries_.begin()) return std::nullopt;
  return std::prev(first_not_below)->relative_offset;
}

std::string TimeIndex::serialize() const {
  std::string out;
  out.reserve(entries_.size() * kEntrySize);
  for (const auto& entry : entries_) {
    put_be(out, entry.timestamp);
    put_be(out, entry.relative_offset);
  }
  return out;
}

bool TimeIndex::parse(std::string_view bytes, const OffsetIndex& offsets) {
  entries_.clear();
  if (bytes.size() % kEntrySize != 0) return false;
  entries_.reserve(bytes.size() / kEntrySize);
  auto indexed = offsets.entries().begin();
  const auto indexed_end = offsets.entries().end();
  for (std::size_t at = 0; at < bytes.size(); at += kEntrySize) {
    const TimeEntry entry{get_be<std::int64_t>(bytes.data() + at),
                          get_be<std::uint32_t>(bytes.data() + at + 8)};
    // Both lists are sorted by offset, so one forward walk checks membership.
    while (indexed != indexed_end && indexed->relative_offset < entry.relative_offset) ++indexed;
    const bool at_index_point =
        indexed != indexed_end && indexed->relative_offset == entry.relative_offset;
    const bool increasing = entries_.empty() || entry.timestamp > entries_.back().timestamp;
    if (!at_index_point || !increasing) {
      entries_.clear();
      return false;
    }
    entries_.push_back(entry);
    ++indexed;
  }
  return true;
}

}  // namespace junction::storage
