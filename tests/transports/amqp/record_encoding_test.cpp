// A receiver link sends records encoded by encode_record_message, not through
// proton::message: what Proton decodes from those bytes must be exactly the
// message record_to_message describes.
#include <gtest/gtest.h>

#include <proton/annotation_key.hpp>
#include <proton/codec/map.hpp>
#include <proton/map.hpp>
#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/scalar.hpp>
#include <proton/symbol.hpp>

#include <map>
#include <string>
#include <vector>

#include "message_mapping.hpp"

namespace junction::amqp {
namespace {

// AMQP maps are unordered: compare them sorted.
template <class Key, class Value>
std::map<Key, Value> sorted(const proton::map<Key, Value>& map) {
  std::map<Key, Value> entries;
  if (!map.empty()) proton::get(map.value(), entries);
  return entries;
}

proton::message decoded(const std::string& bytes) {
  proton::message message;
  message.decode(std::vector<char>(bytes.begin(), bytes.end()));
  return message;
}

void expect_same_message(const StoredRecord& stored, std::uint32_t delivery_count) {
  proton::message expected;
  record_to_message("orders", 3, stored, expected);
  expected.delivery_count(delivery_count);
  std::string bytes;
  encode_record_message("orders", 3, stored, delivery_count, bytes);
  const proton::message actual = decoded(bytes);

  EXPECT_EQ(actual.body(), expected.body());
  EXPECT_EQ(actual.inferred(), expected.inferred());
  EXPECT_EQ(sorted(actual.message_annotations()), sorted(expected.message_annotations()));
  EXPECT_EQ(sorted(actual.properties()), sorted(expected.properties()));
  EXPECT_EQ(actual.id(), expected.id());
  EXPECT_EQ(actual.correlation_id(), expected.correlation_id());
  EXPECT_EQ(actual.content_type(), expected.content_type());
  EXPECT_EQ(actual.creation_time(), expected.creation_time());
  EXPECT_EQ(actual.delivery_count(), delivery_count);
  EXPECT_EQ(actual.durable(), expected.durable());
  EXPECT_EQ(actual.first_acquirer(), expected.first_acquirer());
}

TEST(RecordEncoding, APlainRecordMatchesTheMapping) {
  StoredRecord stored{42, Record{std::nullopt, "hello", kNoTimestamp, {}}};
  expect_same_message(stored, 0);
}

TEST(RecordEncoding, KeyTimestampHeadersAndRestoredPropertiesMatchTheMapping) {
  Record record;
  record.key = "customer-7";
  record.value = std::string("\x00\xff binary", 9);
  record.timestamp_ms = 1'700'000'000'123;
  record.headers = {
      {"trace", "abc"},
      {"raw", std::string("\xc3\x28", 2)},
      {"empty", std::nullopt},
      {"amqp-message-id-ulong", "77"},
      {"amqp-correlation-id", "request-1"},
      {"amqp-content-type", "application/json"},
  };
  expect_same_message(StoredRecord{9'000'000'000, record}, 2);
}

TEST(RecordEncoding, NullValueBinaryKeyAndLongValuesMatchTheMapping) {
  Record record;
  record.key = std::string("\xff\xfe", 2);
  record.headers = {{"long", std::string(300, 'x')},
                    {"amqp-message-id-uuid", "0123456789abcdef0123456789abcdef"}};
  expect_same_message(StoredRecord{0, record}, 0);

  record.value = std::string(70'000, 'v');
  expect_same_message(StoredRecord{1, record}, 1);
}

TEST(RecordEncoding, OnlyAContentTypeStillEncodesTheFieldsBeforeIt) {
  Record record;
  record.value = "{}";
  record.headers = {{"amqp-content-type", "application/json"}};
  expect_same_message(StoredRecord{5, record}, 0);
}

}  // namespace
}  // namespace junction::amqp
