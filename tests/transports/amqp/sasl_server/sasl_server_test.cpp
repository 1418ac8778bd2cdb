// SASL on its own: sasl_test_server (Proton C++ with SaslAuthenticator, no
// junctiond) against python-qpid-proton clients and a raw pipelining client.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "client_process.hpp"
#include "support/junctiond_process.hpp"

namespace junction::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kClientTimeout = std::chrono::seconds(20);

std::string clients_dir() { return JUNCTION_AMQP_CLIENTS_DIR; }

// sasl_test_server with the given mechanisms and users, on a free port.
class SaslServer {
 public:
  SaslServer(const std::string& mechanisms, const std::vector<std::string>& users) {
    std::vector<std::string> argv{std::string(JUNCTION_BINARY_DIR) + "/tests/sasl_test_server",
                                  mechanisms};
    argv.insert(argv.end(), users.begin(), users.end());
    process_ = std::make_unique<ClientProcess>(argv);
    auto listening = process_->wait_for_line(
        [](const std::string& line) { return line.starts_with("listening "); },
        std::chrono::seconds(10));
    if (listening) port_ = std::stoi(listening->substr(10));
  }

  int port() const { return port_; }
  std::string url() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return process_->stderr_text(); }
  bool received(const std::string& user) const {
    for (const auto& line : process_->lines()) {
      if (line.starts_with("received " + user + " ")) return true;
    }
    return false;
  }

 private:
  std::unique_ptr<ClientProcess> process_;
  int port_ = 0;
};

// sasl_client.py to completion; its stdout.
std::string run_client(const SaslServer& server, std::vector<std::string> args) {
  std::vector<std::string> argv{"/usr/bin/python3", clients_dir() + "/sasl_client.py",
                                server.url()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = run_command(argv, {}, kClientTimeout);
  EXPECT_FALSE(result.timed_out) << result.err;
  EXPECT_EQ(result.status, 0) << result.err;
  return result.out;
}

// sasl_raw_init.py: the server's sasl-outcome line for a pipelined sasl-init.
std::string raw_init(const SaslServer& server, std::vector<std::string> args) {
  std::vector<std::string> argv{"/usr/bin/python3", clients_dir() + "/sasl_raw_init.py",
                                std::to_string(server.port())};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = run_command(argv, {}, kClientTimeout);
  EXPECT_EQ(result.status, 0) << result.err;
  return result.out;
}

TEST(SaslServer, AnonymousConnectsAndSends) {
  SaslServer server("ANONYMOUS", {});
  ASSERT_GT(server.port(), 0) << server.log();
  EXPECT_THAT(run_client(server, {"--mechs", "ANONYMOUS", "--count", "2"}),
              HasSubstr("accepted 2"));
  EXPECT_TRUE(server.received("anonymous"));
}

TEST(SaslServer, PlainWithTheRightPasswordConnectsAndSends) {
  SaslServer server("PLAIN", {"alice=secret", "bob=hunter2"});
  ASSERT_GT(server.port(), 0) << server.log();
  EXPECT_THAT(run_client(server, {"--mechs", "PLAIN", "--user", "bob", "--password", "hunter2"}),
              HasSubstr("accepted 1"));
  EXPECT_TRUE(server.received("bob"));
}

TEST(SaslServer, WrongPasswordIsRefusedLoggedAndLeavesOtherClientsAlone) {
  SaslServer server("PLAIN", {"alice=secret", "bob=hunter2"});
  ASSERT_GT(server.port(), 0) << server.log();
  ClientProcess steady({"/usr/bin/python3", clients_dir() + "/sasl_client.py", server.url(),
                        "--mechs", "PLAIN", "--user", "bob", "--password", "hunter2", "--count",
                        "0", "--timeout", "60"});
  auto accepted = [&](int count) {
    return steady.wait_for_line(
        [&](const std::string& line) { return line == "accepted " + std::to_string(count); },
        kClientTimeout);
  };
  ASSERT_TRUE(accepted(2)) << steady.stderr_text();

  EXPECT_THAT(
      run_client(server, {"--mechs", "PLAIN", "--user", "alice", "--password", "not-her-password"}),
      HasSubstr("refused outcome=auth condition=amqp:unauthorized-access"));
  EXPECT_FALSE(server.received("alice"));
  ASSERT_TRUE(wait_until([&] { return server.log().find("wrong password") != std::string::npos; },
                         kClientTimeout));
  EXPECT_THAT(server.log(), HasSubstr("SASL PLAIN from 127.0.0.1:"));
  EXPECT_THAT(server.log(), HasSubstr("refused for user \"alice\": wrong password"));
  EXPECT_THAT(server.log(), Not(HasSubstr("not-her-password")));

  // The steady client's connection went on sending throughout.
  const int before = static_cast<int>(steady.lines().size());
  EXPECT_TRUE(accepted(before + 3)) << steady.stderr_text();
  for (const auto& line : steady.lines()) EXPECT_THAT(line, Not(HasSubstr("refused")));
}

TEST(SaslServer, UnknownUserIsRefusedAndLogged) {
  SaslServer server("PLAIN", {"alice=secret"});
  ASSERT_GT(server.port(), 0) << server.log();
  EXPECT_THAT(run_client(server, {"--mechs", "PLAIN", "--user", "mallory", "--password", "secret"}),
              HasSubstr("refused outcome=auth"));
  ASSERT_TRUE(wait_until(
      [&] { return server.log().find("\"mallory\": unknown user") != std::string::npos; },
      kClientTimeout));
}

TEST(SaslServer, AnonymousIsRefusedWhenOnlyPlainIsOffered) {
  SaslServer server("PLAIN", {"alice=secret"});
  ASSERT_GT(server.port(), 0) << server.log();
  // A well-behaved client finds ANONYMOUS not offered and gives up.
  EXPECT_THAT(run_client(server, {"--mechs", "ANONYMOUS"}),
              HasSubstr("condition=amqp:unauthorized-access"));
  // A client that sends ANONYMOUS anyway gets the auth outcome from the server.
  EXPECT_EQ(raw_init(server, {"ANONYMOUS"}), "outcome 1\n");
  // So does one that skips SASL altogether.
  EXPECT_THAT(run_client(server, {"--no-sasl"}),
              HasSubstr("refused outcome=none condition=amqp:unauthorized-access"));
  EXPECT_FALSE(server.received(""));
}

TEST(SaslServer, PipelinedPlainInitIsCheckedLikeAnyOther) {
  SaslServer server("ANONYMOUS,PLAIN", {"alice=secret"});
  ASSERT_GT(server.port(), 0) << server.log();
  EXPECT_EQ(raw_init(server, {"PLAIN", "--user", "alice", "--password", "secret"}), "outcome 0\n");
  EXPECT_EQ(raw_init(server, {"PLAIN", "--user", "alice", "--password", "secrets"}), "outcome 1\n");
  EXPECT_EQ(raw_init(server, {"PLAIN", "--user", "alice", "--password", "secre"}), "outcome 1\n");
}

TEST(SaslServer, ActingForAnotherIdentityIsRefused) {
  SaslServer server("PLAIN", {"alice=secret", "bob=hunter2"});
  ASSERT_GT(server.port(), 0) << server.log();
  // PLAIN's authzid "bob" with alice's own credentials: alice may not act as bob.
  EXPECT_EQ(
      raw_init(server, {"PLAIN", "--authzid", "bob", "--user", "alice", "--password", "secret"}),
      "outcome 1\n");
}

}  // namespace
}  // namespace junction::testing
