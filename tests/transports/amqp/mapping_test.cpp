// The message mapping and the address syntax, without a broker: what a
// receiver gets back from a record a sender produced, and every address form.
#include <gtest/gtest.h>

#include <proton/annotation_key.hpp>
#include <proton/binary.hpp>
#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/scalar.hpp>
#include <proton/symbol.hpp>
#include <proton/timestamp.hpp>
#include <proton/uuid.hpp>
#include <proton/value.hpp>

#include "address.hpp"
#include "message_mapping.hpp"

namespace junction::amqp {
namespace {

proton::value annotation(const proton::message& message, const char* name) {
  return message.message_annotations().get(proton::annotation_key(proton::symbol(name)));
}

proton::scalar property(const proton::message& message, const std::string& name) {
  return message.properties().get(name);
}

TEST(AmqpMapping, MessageToRecordAndBackKeepsEverythingMapped) {
  proton::message sent;
  sent.body(proton::binary(std::string("payload\0bytes", 13)));
  sent.inferred(true);
  sent.message_annotations().put(proton::symbol(kPartitionKeyAnnotation), std::string("k-1"));
  sent.creation_time(proton::timestamp(1700000000123));
  const auto uuid = proton::uuid::random();
  sent.id(proton::message_id(uuid));
  sent.correlation_id(proton::message_id(std::uint64_t{77}));
  sent.content_type("application/json");
  sent.properties().put("text", std::string("hello"));
  sent.properties().put("bytes", proton::binary(std::string("\xff\x00", 2)));
  sent.properties().put("number", std::int32_t{42});
  sent.properties().put("nothing", proton::scalar());

  Record record;
  ASSERT_TRUE(message_to_record(sent, record).ok());
  EXPECT_EQ(record.value, std::string("payload\0bytes", 13));
  EXPECT_EQ(record.key, "k-1");
  EXPECT_EQ(record.timestamp_ms, 1700000000123);
  std::vector<Header> expected{{"amqp-message-id-uuid", uuid.str()},
                               {"amqp-correlation-id-ulong", "77"},
                               {"amqp-content-type", "application/json"}};
  for (const auto& header : record.headers) {
    if (header.key == "text") EXPECT_EQ(header.value, "hello");
    if (header.key == "bytes") EXPECT_EQ(header.value, std::string("\xff\x00", 2));
    if (header.key == "number") EXPECT_EQ(header.value, "42");
    if (header.key == "nothing") EXPECT_FALSE(header.value.has_value());
  }
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(record.headers[i], expected[i]);
  EXPECT_EQ(record.headers.size(), 7u);

  proton::message received;
  record_to_message("orders", 3, StoredRecord{41, record}, received);
  EXPECT_TRUE(received.inferred());
  EXPECT_EQ(proton::get<proton::binary>(received.body()),
            proton::binary(std::string("payload\0bytes", 13)));
  EXPECT_EQ(proton::get<std::string>(annotation(received, kPartitionKeyAnnotation)), "k-1");
  EXPECT_EQ(proton::get<std::string>(annotation(received, kTopicAnnotation)), "orders");
  EXPECT_EQ(proton::get<std::int32_t>(annotation(received, kPartitionAnnotation)), 3);
  EXPECT_EQ(proton::get<std::int64_t>(annotation(received, kOffsetAnnotation)), 41);
  EXPECT_EQ(received.creation_time().milliseconds(), 1700000000123);
  EXPECT_EQ(proton::get<proton::uuid>(received.id()), uuid);
  EXPECT_EQ(proton::get<std::uint64_t>(received.correlation_id()), 77u);
  EXPECT_EQ(received.content_type(), "application/json");
  EXPECT_EQ(proton::get<std::string>(property(received, "text")), "hello");
  EXPECT_EQ(proton::get<proton::binary>(property(received, "bytes")),
            proton::binary(std::string("\xff\x00", 2)));
  EXPECT_EQ(proton::get<std::string>(property(received, "number")), "42");
  EXPECT_EQ(property(received, "nothing").type(), proton::NULL_TYPE);
  EXPECT_EQ(received.properties().size(), 4u);
}

TEST(AmqpMapping, StringBodySubjectKeyAndNullBody) {
  proton::message sent;
  sent.body(std::string("text body"));
  sent.subject("from-subject");
  Record record;
  ASSERT_TRUE(message_to_record(sent, record).ok());
  EXPECT_EQ(record.value, "text body");
  EXPECT_EQ(record.key, "from-subject");
  EXPECT_EQ(record.timestamp_ms, kNoTimestamp);

  proton::message empty;
  ASSERT_TRUE(message_to_record(empty, record).ok());
  EXPECT_FALSE(record.value.has_value());
  EXPECT_FALSE(record.key.has_value());
  proton::message received;
  record_to_message("t", 0, StoredRecord{0, record}, received);
  EXPECT_EQ(received.body().type(), proton::NULL_TYPE);
  EXPECT_EQ(annotation(received, kPartitionKeyAnnotation).type(), proton::NULL_TYPE);
}

TEST(AmqpMapping, BinaryKeyGoesOutAsBinaryAndStringIdsAsStrings) {
  Record record;
  record.key = std::string("\xc3\x28", 2);  // not UTF-8
  record.value = "v";
  record.headers = {{"amqp-message-id", "m-1"}, {"amqp-correlation-id-binary", "\x01\x02"}};
  proton::message received;
  record_to_message("t", 0, StoredRecord{5, record}, received);
  EXPECT_EQ(proton::get<proton::binary>(annotation(received, kPartitionKeyAnnotation)),
            proton::binary(std::string("\xc3\x28", 2)));
  EXPECT_EQ(proton::get<std::string>(received.id()), "m-1");
  EXPECT_EQ(proton::get<proton::binary>(received.correlation_id()),
            proton::binary(std::string("\x01\x02")));
  EXPECT_TRUE(received.properties().empty());
}

TEST(AmqpMapping, BodiesOtherThanBytesOrStringsAreRefused) {
  proton::message sent;
  sent.body(std::int32_t{5});
  Record record;
  auto mapped = message_to_record(sent, record);
  ASSERT_FALSE(mapped.ok());
  EXPECT_EQ(mapped.error().code, Errc::unsupported_format);
}

TEST(AmqpAddress, TargetsAndSources) {
  auto topic = parse_target_address("orders");
  ASSERT_TRUE(topic.ok());
  EXPECT_EQ(topic->topic, "orders");
  EXPECT_EQ(topic->partition, kAnyPartition);
  auto partition = parse_target_address("orders/2");
  ASSERT_TRUE(partition.ok());
  EXPECT_EQ(partition->partition, 2);
  for (auto bad : {"", "/1", "orders/", "orders/x", "orders/-1", "orders::g"}) {
    auto parsed = parse_target_address(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, Errc::invalid_argument);
  }

  auto broadcast = parse_source_address("orders");
  ASSERT_TRUE(broadcast.ok());
  EXPECT_EQ(broadcast->group, "");
  auto group = parse_source_address("orders::mail");
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(group->topic, "orders");
  EXPECT_EQ(group->group, "mail");
  for (auto bad : {"", "::mail", "orders::", "orders/2", "orders::a:b"}) {
    EXPECT_FALSE(parse_source_address(bad).ok()) << bad;
  }
}

TEST(AmqpAddress, StartPositions) {
  EXPECT_EQ(parse_start_position("earliest")->kind, StartPosition::Kind::earliest);
  EXPECT_EQ(parse_start_position("latest")->kind, StartPosition::Kind::latest);
  auto offset = parse_start_position("offset:42");
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(offset->kind, StartPosition::Kind::offset);
  EXPECT_EQ(offset->value, 42);
  auto timestamp = parse_start_position("timestamp:1700000000000");
  ASSERT_TRUE(timestamp.ok());
  EXPECT_EQ(timestamp->kind, StartPosition::Kind::timestamp);
  EXPECT_EQ(timestamp->value, 1700000000000);
  for (auto bad : {"", "first", "offset:", "offset:-1", "offset:1x", "timestamp:soon"}) {
    EXPECT_FALSE(parse_start_position(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace junction::amqp
