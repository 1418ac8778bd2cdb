#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "junction/kernel.hpp"
#include "junction/record_batch.hpp"

namespace junction::testing {

// Every record of a partition from `from` on, read the way a transport does:
// fetch stored batches, decode, skip what lies below the position.
inline std::vector<StoredRecord> read_partition(Kernel& kernel, const std::string& topic,
                                                std::int32_t partition, std::int64_t from = 0) {
  std::vector<StoredRecord> all;
  for (;;) {
    auto fetched = kernel.fetch(topic, partition, from, 1 << 20);
    EXPECT_TRUE(fetched) << fetched.error().message;
    if (!fetched || fetched->batches.empty()) return all;
    auto records = batch::decode_all(fetched->batches);
    EXPECT_TRUE(records);
    if (!records) return all;
    for (auto& record : *records) {
      if (record.offset >= from) all.push_back(record);
    }
    from = all.empty() ? from : all.back().offset + 1;
  }
}

}  // namespace junction::testing
