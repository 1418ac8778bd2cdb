#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "junction/result.hpp"
#include "junction/subscription.hpp"

namespace junction::storage {

// Kafka consumer groups' committed offsets (with their metadata strings), for
// every group of the broker: an append-only file of CRC-checked entries
// (commit, group or topic deletion) replayed into memory on open and compacted
// by rewriting when it holds mostly stale entries. A commit is written at once
// (it survives a process crash); fsync follows the flush policy. Thread-safe.
class GroupOffsetStore {
 public:
  static Result<std::unique_ptr<GroupOffsetStore>> open(const std::filesystem::path& file);
  ~GroupOffsetStore();

  // `durable`: fdatasync before returning (flush = "always"; concurrent
  // callers share one fsync).
  Result<void> commit(std::string_view group, std::string_view topic, std::int32_t partition,
                      const CommittedOffset& offset, bool durable);
  std::optional<CommittedOffset> fetch(std::string_view group, std::string_view topic,
                                       std::int32_t partition) const;
  // Every committed (topic, partition) of the group.
  std::map<std::pair<std::string, std::int32_t>, CommittedOffset> fetch_all(
      std::string_view group) const;
  std::vector<std::string> groups() const;
  Result<void> delete_group(std::string_view group, bool durable);
  // Forgets every group's offsets for a deleted topic.
  Result<void> delete_topic(std::string_view topic);

  // fdatasyncs what was written since the last sync (or, when the file holds
  // mostly stale entries, rewrites it with the live ones instead).
  Result<void> flush();

 private:
  struct State;
  explicit GroupOffsetStore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace junction::storage
