#include "cluster/peer_protocol.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace junction::cluster {
namespace {

using ::testing::HasSubstr;

// The body of an encoded frame, after its length prefix (checked here).
std::string body_of(const std::string& frame) {
  auto length = frame_length(frame.data());
  EXPECT_TRUE(length.ok());
  EXPECT_EQ(*length + kFrameHeaderSize, frame.size());
  return frame.substr(kFrameHeaderSize);
}

template <class T>
T round_trip(const T& message) {
  auto decoded = decode_frame(body_of(encode_frame(message)));
  EXPECT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_TRUE(std::holds_alternative<T>(*decoded));
  return std::get<T>(*decoded);
}

TEST(PeerProtocol, ProduceAndItsResultRoundTrip) {
  auto produce = round_trip(Produce{7, "orders", 2, std::string("batch\0bytes", 11)});
  EXPECT_EQ(produce.correlation, 7u);
  EXPECT_EQ(produce.topic, "orders");
  EXPECT_EQ(produce.partition, 2);
  EXPECT_EQ(produce.batch, std::string("batch\0bytes", 11));

  auto ok = round_trip(ProduceResult{7, {}, {2, 10, 19, 1700000000000}});
  EXPECT_FALSE(ok.status.code);
  EXPECT_EQ(ok.ack.last_offset, 19);
  EXPECT_EQ(ok.ack.append_time_ms, 1700000000000);

  auto failed = round_trip(ProduceResult{8, {Errc::not_leader, "moved"}, {}});
  EXPECT_EQ(failed.status.code, Errc::not_leader);
  EXPECT_EQ(failed.status.message, "moved");
}

TEST(PeerProtocol, SubscribeKeepsTheWholeSpec) {
  Subscribe subscribe{
      3,
      {"jobs", "workers", DeliveryMode::multicast, StartPosition::at_timestamp(1234), true},
      50,
      4096};
  auto decoded = round_trip(subscribe);
  EXPECT_EQ(decoded.stream, 3u);
  EXPECT_EQ(decoded.spec.topic, "jobs");
  EXPECT_EQ(decoded.spec.name, "workers");
  EXPECT_EQ(decoded.spec.mode, DeliveryMode::multicast);
  ASSERT_TRUE(decoded.spec.start);
  EXPECT_EQ(decoded.spec.start->kind, StartPosition::Kind::timestamp);
  EXPECT_EQ(decoded.spec.start->value, 1234);
  EXPECT_TRUE(decoded.spec.key_shared);
  EXPECT_EQ(decoded.window_records, 50u);
  EXPECT_EQ(decoded.window_bytes, 4096u);

  EXPECT_FALSE(
      round_trip(Subscribe{4, {"t", "", DeliveryMode::broadcast, std::nullopt, false}, 1, 1})
          .spec.start);
}

TEST(PeerProtocol, DeliveriesKeepKeysValuesHeadersAndAbsence) {
  StoredRecord full{
      41, {std::string("k"), std::string("v"), 99, {{"h", "x"}, {"empty", std::nullopt}}}};
  StoredRecord bare{42, {std::nullopt, std::nullopt, 100, {}}};
  DeliveryBatch batch{"t", {{1, 1, &full}, {1, 3, &bare}}, nullptr};
  auto decoded = decode_frame(body_of(encode_delivery(9, batch)));
  ASSERT_TRUE(decoded.ok());
  const auto& deliver = std::get<Deliver>(*decoded);
  EXPECT_EQ(deliver.stream, 9u);
  EXPECT_EQ(deliver.topic, "t");
  ASSERT_EQ(deliver.records.size(), 2u);
  EXPECT_EQ(deliver.records[0].stored, full);
  EXPECT_EQ(deliver.records[1].stored, bare);
  EXPECT_EQ(deliver.records[1].attempt, 3);
}

TEST(PeerProtocol, SettlementsAndControlMessagesRoundTrip) {
  auto settle = round_trip(Settle{SettleKind::reject, 5, 1, 77});
  EXPECT_EQ(settle.kind, SettleKind::reject);
  EXPECT_EQ(settle.offset, 77);
  EXPECT_EQ(round_trip(SetWindow{5, 10, 20}).bytes, 20u);
  EXPECT_EQ(round_trip(Detach{5}).stream, 5u);
  EXPECT_EQ(round_trip(Closed{5, {Errc::unknown_topic, "deleted"}}).status.code,
            Errc::unknown_topic);
  EXPECT_EQ(round_trip(DeleteSubscription{6, "t", "s"}).name, "s");
  EXPECT_EQ(round_trip(Hello{kPeerProtocolVersion, 12}).broker_id, 12);
}

TEST(PeerProtocol, FrameLengthsOutsideTheLimitsAreMalformed) {
  EXPECT_FALSE(frame_length("\0\0\0\0").ok());
  EXPECT_THAT(frame_length("\xff\xff\xff\xff").error().message, HasSubstr("over the limit"));
  EXPECT_TRUE(frame_length("\0\0\1\0").ok());
}

TEST(PeerProtocol, MalformedBodiesAreErrorsNotCrashes) {
  const auto frame = encode_frame(Produce{1, "topic", 0, "batch"});
  const auto body = frame.substr(kFrameHeaderSize);
  EXPECT_THAT(decode_frame(body.substr(0, body.size() - 2)).error().message,
              HasSubstr("runs past the frame"));
  EXPECT_THAT(decode_frame(body + "x").error().message, HasSubstr("trailing bytes"));
  EXPECT_THAT(decode_frame("\x63rest").error().message, HasSubstr("unknown message type"));
  EXPECT_FALSE(decode_frame("").ok());

  // A Deliver announcing four billion records and carrying none.
  std::string huge = body_of(encode_frame(Deliver{1, "t", {}}));
  huge.replace(huge.size() - 4, 4, "\xff\xff\xff\xff");
  EXPECT_FALSE(decode_frame(huge).ok());
}

}  // namespace
}  // namespace junction::cluster
