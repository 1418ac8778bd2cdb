// The protocol layer as clients meet it: version negotiation, metadata,
// pipelining, and what happens to connections that send garbage. The raw
// frames here are what no real client sends; everything else uses kcat.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>

#include "kafka_test_broker.hpp"

namespace junction::testing {
namespace {

// Big-endian request building and response reading, no protocol logic.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : fd_(connect_loopback(port)) {}
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size());
  }
  // One response frame without its size prefix; nullopt on close or timeout.
  std::optional<std::string> read_frame() {
    auto size = read_exactly(4);
    if (!size) return std::nullopt;
    return read_exactly(static_cast<std::size_t>(int32_at(*size, 0)));
  }
  // True once the broker has closed the connection.
  bool closed_by_peer() {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 10000) <= 0) return false;
    char byte;
    return ::recv(fd_, &byte, 1, 0) <= 0;
  }

  static std::int32_t int32_at(const std::string& bytes, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | static_cast<std::uint8_t>(bytes[at + i]);
    return static_cast<std::int32_t>(v);
  }
  static std::int16_t int16_at(const std::string& bytes, std::size_t at) {
    return static_cast<std::int16_t>(static_cast<std::uint8_t>(bytes[at]) << 8 |
                                     static_cast<std::uint8_t>(bytes[at + 1]));
  }

 private:
  std::optional<std::string> read_exactly(std::size_t count) {
    std::string data;
    while (data.size() < count) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 10000) <= 0) return std::nullopt;
      char chunk[4096];
      auto n = ::recv(fd_, chunk, std::min(sizeof chunk, count - data.size()), 0);
      if (n <= 0) return std::nullopt;
      data.append(chunk, static_cast<std::size_t>(n));
    }
    return data;
  }
  int fd_ = -1;
};

std::string be16(std::int16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v)}; }
std::string be32(std::int32_t v) {
  return be16(static_cast<std::int16_t>(v >> 16)) + be16(static_cast<std::int16_t>(v));
}
std::string framed(const std::string& body) { return be32(std::int32_t(body.size())) + body; }
// A classic request header (v1): api key, version, correlation id, client id.
std::string header(std::int16_t key, std::int16_t version, std::int32_t correlation) {
  return be16(key) + be16(version) + be32(correlation) + be16(4) + "test";
}

class KafkaProtocol : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(broker_.start()); }
  // Another client is served normally: the broker did not fall over.
  void expect_broker_still_serves() {
    auto listed = run_kcat(broker_.bootstrap(), {"-L", "-m", "10"});
    EXPECT_EQ(listed.status, 0) << listed.err;
    EXPECT_NE(listed.out.find("1 brokers"), std::string::npos) << listed.out;
  }
  KafkaTestBroker broker_{"[topics]\ndefault_partitions = 3\n", "max_request_bytes = 65536\n"};
};

TEST_F(KafkaProtocol, KcatListsTheBrokerAndAutoCreatesATopic) {
  auto listed = run_kcat(broker_.bootstrap(), {"-L", "-t", "orders", "-m", "10"});
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_NE(listed.out.find("broker 0 at " + broker_.bootstrap()), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("topic \"orders\" with 3 partitions"), std::string::npos) << listed.out;
  // librdkafka opens with ApiVersions v3; a broker that mishandles it shows here.
  EXPECT_EQ(listed.err.find("Disconnected"), std::string::npos) << listed.err;
}

TEST_F(KafkaProtocol, TooNewApiVersionsGetsV0UnsupportedVersionThenTheLowerOneWorks) {
  RawConnection connection(broker_.port());
  // v3 uses request header v2: client id, then an empty tagged-field section.
  // v3 uses request header v2 (client id, then tagged fields) and a flexible
  // body: client software name and version as compact strings, no tags.
  const std::string no_tags(1, '\0');
  ASSERT_TRUE(
      connection.send(framed(header(18, 3, 7) + no_tags + "\x05jtst" + "\x02" + "1" + no_tags)));
  auto response = connection.read_frame();
  ASSERT_TRUE(response);
  EXPECT_EQ(RawConnection::int32_at(*response, 0), 7);   // header v0: correlation id only
  EXPECT_EQ(RawConnection::int16_at(*response, 4), 35);  // UNSUPPORTED_VERSION
  const auto keys = RawConnection::int32_at(*response, 6);
  ASSERT_GT(keys, 0);
  ASSERT_EQ(response->size(), 10u + 6u * keys) << "a v0 body: no throttle time, no tags";
  bool lists_api_versions = false;
  for (int i = 0; i < keys; ++i) {
    auto at = 10 + 6 * i;
    if (RawConnection::int16_at(*response, at) == 18) {
      lists_api_versions = true;
      EXPECT_EQ(RawConnection::int16_at(*response, at + 4), 2);
    }
  }
  EXPECT_TRUE(lists_api_versions);

  ASSERT_TRUE(connection.send(framed(header(18, 2, 8))));
  response = connection.read_frame();
  ASSERT_TRUE(response);
  EXPECT_EQ(RawConnection::int32_at(*response, 0), 8);
  EXPECT_EQ(RawConnection::int16_at(*response, 4), 0);
}

TEST_F(KafkaProtocol, PipelinedRequestsAreAnsweredInOrder) {
  RawConnection connection(broker_.port());
  std::string burst;
  for (int correlation = 100; correlation < 110; ++correlation) {
    // Alternate Metadata (all topics) and ApiVersions.
    burst += correlation % 2 ? framed(header(3, 1, correlation) + be32(-1))
                             : framed(header(18, 0, correlation));
  }
  ASSERT_TRUE(connection.send(burst));
  for (int correlation = 100; correlation < 110; ++correlation) {
    auto response = connection.read_frame();
    ASSERT_TRUE(response);
    EXPECT_EQ(RawConnection::int32_at(*response, 0), correlation);
  }
}

TEST_F(KafkaProtocol, OversizedFrameClosesOnlyThatConnectionBeforeItsBodyArrives) {
  RawConnection other(broker_.port());
  RawConnection connection(broker_.port());
  // Only the size prefix: the broker must judge it without waiting for (or
  // allocating) a 16 MiB body.
  ASSERT_TRUE(connection.send(be32(16 << 20)));
  EXPECT_TRUE(connection.closed_by_peer());
  EXPECT_TRUE(wait_until([&] { return broker_.process().log_contains("max_request_bytes"); }));
  ASSERT_TRUE(other.send(framed(header(18, 0, 1))));
  EXPECT_TRUE(other.read_frame());
  expect_broker_still_serves();
}

TEST_F(KafkaProtocol, NegativeAndTinyFrameSizesCloseTheConnection) {
  for (std::int32_t size : {-1, 0, 3}) {
    RawConnection connection(broker_.port());
    ASSERT_TRUE(connection.send(be32(size) + std::string(8, '\0')));
    EXPECT_TRUE(connection.closed_by_peer()) << size;
  }
  expect_broker_still_serves();
}

TEST_F(KafkaProtocol, TruncatedFieldsCloseTheConnectionWithALogLine) {
  RawConnection connection(broker_.port());
  // Metadata v1 claiming five topic names that are not there.
  ASSERT_TRUE(connection.send(framed(header(3, 1, 1) + be32(5) + be16(3) + "ab")));
  EXPECT_TRUE(connection.closed_by_peer());
  EXPECT_TRUE(
      wait_until([&] { return broker_.process().log_contains("malformed Metadata request"); }));
  expect_broker_still_serves();
}

TEST_F(KafkaProtocol, UnknownApiKeyAndUnsupportedVersionCloseTheConnection) {
  {
    RawConnection connection(broker_.port());
    ASSERT_TRUE(connection.send(framed(header(999, 0, 1))));
    EXPECT_TRUE(connection.closed_by_peer());
  }
  {
    RawConnection connection(broker_.port());
    ASSERT_TRUE(connection.send(framed(header(3, 42, 1) + be32(-1))));
    EXPECT_TRUE(connection.closed_by_peer());
  }
  EXPECT_TRUE(wait_until([&] { return broker_.process().log_contains("unknown API key 999"); }));
  EXPECT_TRUE(wait_until(
      [&] { return broker_.process().log_contains("unsupported version 42 of API 3"); }));
  expect_broker_still_serves();
}

TEST(KafkaAdvertisedListener, MetadataNamesTheConfiguredAddress) {
  KafkaTestBroker broker({}, "advertised_listener = \"localhost:19999\"\n");
  ASSERT_TRUE(broker.start());
  // kcat then tries localhost:19999, which nobody serves; the bootstrap
  // answer is all we check.
  auto listed = run_kcat(broker.bootstrap(), {"-L", "-m", "5"});
  EXPECT_NE(listed.out.find("broker 0 at localhost:19999"), std::string::npos) << listed.out;
}

}  // namespace
}  // namespace junction::testing
