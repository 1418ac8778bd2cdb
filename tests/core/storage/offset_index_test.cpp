#include "storage/offset_index.hpp"

#include <gtest/gtest.h>

namespace junction::storage {
namespace {

TEST(OffsetIndex, FloorFindsTheLastEntryAtOrBefore) {
  OffsetIndex index;
  EXPECT_EQ(index.floor(7).position, 0u);
  index.append(10, 400);
  index.append(20, 900);
  EXPECT_EQ(index.floor(0).position, 0u);
  EXPECT_EQ(index.floor(9).position, 0u);
  EXPECT_EQ(index.floor(10).position, 400u);
  EXPECT_EQ(index.floor(19).position, 400u);
  EXPECT_EQ(index.floor(20).relative_offset, 20u);
  EXPECT_EQ(index.floor(4'000'000'000u).position, 900u);
}

TEST(OffsetIndex, StoresBigEndianEntriesAndParsesThemBack) {
  OffsetIndex index;
  index.append(1, 0x01020304);
  const auto bytes = index.serialize();
  ASSERT_EQ(bytes.size(), OffsetIndex::kEntrySize);
  EXPECT_EQ(bytes, std::string("\0\0\0\1\1\2\3\4", 8));

  OffsetIndex loaded;
  ASSERT_TRUE(loaded.parse(bytes, 0x01020305));
  ASSERT_EQ(loaded.entries().size(), 1u);
  EXPECT_EQ(loaded.entries()[0].relative_offset, 1u);
  EXPECT_EQ(loaded.entries()[0].position, 0x01020304u);
}

TEST(OffsetIndex, RejectsTornUnorderedOrOutOfRangeFiles) {
  OffsetIndex index;
  index.append(5, 100);
  index.append(9, 300);
  const auto bytes = index.serialize();
  OffsetIndex loaded;
  EXPECT_TRUE(loaded.parse(bytes, 301));
  EXPECT_FALSE(loaded.parse(bytes, 300));  // an entry past the log's end
  EXPECT_TRUE(loaded.entries().empty());
  EXPECT_FALSE(loaded.parse(bytes.substr(0, 12), 1000));
  EXPECT_FALSE(loaded.parse(bytes.substr(8) + bytes.substr(0, 8), 1000));
  EXPECT_FALSE(loaded.parse(std::string(16, '\0'), 1000));
  EXPECT_TRUE(loaded.parse("", 0));
}

TEST(TimeIndex, StartsTheSearchAtTheLastEntryBelowTheTimestamp) {
  TimeIndex index;
  EXPECT_FALSE(index.start_for(100).has_value());
  index.append(100, 10);
  index.append(200, 20);
  EXPECT_FALSE(index.start_for(50).has_value());
  // A record of the batch at 10 may carry exactly 100.
  EXPECT_FALSE(index.start_for(100).has_value());
  EXPECT_EQ(index.start_for(101), 10u);
  EXPECT_EQ(index.start_for(200), 10u);
  EXPECT_EQ(index.start_for(201), 20u);
}

TEST(TimeIndex, ParsesOnlyEntriesThatMatchOffsetIndexPoints) {
  OffsetIndex offsets;
  offsets.append(10, 400);
  offsets.append(20, 900);
  TimeIndex index;
  index.append(1000, 10);
  index.append(2000, 20);
  const auto bytes = index.serialize();
  ASSERT_EQ(bytes.size(), 2 * TimeIndex::kEntrySize);

  TimeIndex loaded;
  ASSERT_TRUE(loaded.parse(bytes, offsets));
  ASSERT_EQ(loaded.entries().size(), 2u);
  EXPECT_EQ(loaded.entries()[1].timestamp, 2000);
  EXPECT_EQ(loaded.entries()[1].relative_offset, 20u);

  EXPECT_FALSE(loaded.parse(bytes.substr(0, 13), offsets));
  EXPECT_FALSE(loaded.parse(bytes.substr(12) + bytes.substr(0, 12), offsets));
  OffsetIndex fewer;
  fewer.append(10, 400);
  EXPECT_FALSE(loaded.parse(bytes, fewer));
  TimeIndex repeated;
  repeated.append(1000, 10);
  repeated.append(2000, 10);
  EXPECT_FALSE(loaded.parse(repeated.serialize(), offsets));
}

}  // namespace
}  // namespace junction::storage
