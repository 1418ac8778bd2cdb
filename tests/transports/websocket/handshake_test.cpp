// The upgrade request's checks: Origin against allowed_origins (403) and the
// bearer token against auth_token (401); an accepted client is served.
#include <gtest/gtest.h>

#include <string>

#include "ws_test_broker.hpp"

namespace junction::testing {
namespace {

constexpr const char* kAccepted = R"({"status": 101, "acked": true, "deflate": true})";

std::string handshake(const WsTestBroker& broker, const std::string& origin,
                      const std::string& token) {
  auto result = run_ws_client("handshake.py", {broker.url(), origin, token});
  EXPECT_EQ(result.status, 0) << result.err;
  return result.out;
}

TEST(WebsocketHandshake, OriginNotAllowedIsRefusedWith403) {
  WsTestBroker broker({.transport_toml = "allowed_origins = [\"http://console.example\"]\n"});
  ASSERT_TRUE(broker.start());
  EXPECT_NE(handshake(broker, "http://evil.example", "").find(R"({"status": 403,)"),
            std::string::npos);
  EXPECT_NE(handshake(broker, "http://console.example", "").find(kAccepted), std::string::npos);
  EXPECT_EQ(broker.stop(), 0);
}

TEST(WebsocketHandshake, MissingOrWrongTokenIsRefusedWith401) {
  WsTestBroker broker({.transport_toml = "auth_token = \"s3cret\"\n"});
  ASSERT_TRUE(broker.start());
  EXPECT_NE(handshake(broker, "", "").find(R"({"status": 401,)"), std::string::npos);
  EXPECT_NE(handshake(broker, "", "guess").find(R"({"status": 401,)"), std::string::npos);
  EXPECT_NE(handshake(broker, "", "s3cret").find(kAccepted), std::string::npos);
  EXPECT_EQ(broker.stop(), 0);
}

}  // namespace
}  // namespace junction::testing
