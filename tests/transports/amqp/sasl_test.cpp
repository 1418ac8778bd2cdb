// SASL on the AMQP transport: ANONYMOUS by default; PLAIN against the users of
// the transport's table; a refusal carries the SASL outcome "auth", is logged
// once without the password, and leaves other connections alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "amqp_test_broker.hpp"
#include "support/client_process.hpp"

namespace junction::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kClientTimeout = std::chrono::seconds(20);

const std::string kPlainOnly =
    "sasl_mechanisms = [\"PLAIN\"]\n"
    "[[transport.users]]\nname = \"alice\"\npassword = \"secret\"\n"
    "[[transport.users]]\nname = \"bob\"\npassword_env = \"JUNCTION_SASL_TEST_BOB\"\n";

// sasl_client.py to completion; its stdout.
std::string run_client(const AmqpTestBroker& broker, std::vector<std::string> args) {
  args.insert(args.begin(), broker.url());
  auto result = run_amqp_client("sasl_client.py", args, {}, kClientTimeout);
  EXPECT_FALSE(result.timed_out) << result.err;
  EXPECT_EQ(result.status, 0) << result.err;
  return result.out;
}

// sasl_raw_init.py: the sasl-outcome line the broker answers a pipelined init with.
std::string raw_init(const AmqpTestBroker& broker, std::vector<std::string> args) {
  args.insert(args.begin(), std::to_string(broker.port()));
  auto result = run_amqp_client("sasl_raw_init.py", args, {}, kClientTimeout);
  EXPECT_EQ(result.status, 0) << result.err;
  return result.out;
}

AmqpTestBroker::Options plain_only() {
  AmqpTestBroker::Options options;
  options.transport_toml = kPlainOnly;
  return options;
}

class Sasl : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("JUNCTION_SASL_TEST_BOB", "hunter2", 1); }
};

TEST_F(Sasl, AnonymousByDefault) {
  AmqpTestBroker broker;
  ASSERT_TRUE(broker.start());
  EXPECT_THAT(run_client(broker, {"--mechs", "ANONYMOUS", "--count", "2"}),
              HasSubstr("accepted 2"));
  // A client that skips SASL is let in too while ANONYMOUS is offered.
  EXPECT_THAT(run_client(broker, {"--no-sasl"}), HasSubstr("accepted 1"));
}

TEST_F(Sasl, PlainUsersFromTheFileAndTheEnvironmentConnectAndSend) {
  AmqpTestBroker broker(plain_only());
  ASSERT_TRUE(broker.start());
  EXPECT_THAT(run_client(broker, {"--mechs", "PLAIN", "--user", "alice", "--password", "secret",
                                  "--count", "2"}),
              HasSubstr("accepted 2"));
  EXPECT_THAT(run_client(broker, {"--mechs", "PLAIN", "--user", "bob", "--password", "hunter2"}),
              HasSubstr("accepted 1"));
}

TEST_F(Sasl, WrongPasswordIsRefusedLoggedOnceAndLeavesOtherClientsAlone) {
  AmqpTestBroker broker(plain_only());
  ASSERT_TRUE(broker.start());
  ClientProcess steady({"/usr/bin/python3",
                        std::string(JUNCTION_AMQP_CLIENTS_DIR) + "/sasl_client.py", broker.url(),
                        "--mechs", "PLAIN", "--user", "bob", "--password", "hunter2", "--count",
                        "0", "--timeout", "60"});
  auto accepted = [&](int count) {
    return steady.wait_for_line(
        [&](const std::string& line) { return line == "accepted " + std::to_string(count); },
        kClientTimeout);
  };
  ASSERT_TRUE(accepted(2)) << steady.stderr_text();

  EXPECT_THAT(
      run_client(broker, {"--mechs", "PLAIN", "--user", "alice", "--password", "not-her-password"}),
      HasSubstr("refused outcome=auth condition=amqp:unauthorized-access"));
  auto& junctiond = broker.process();
  ASSERT_TRUE(wait_until([&] { return junctiond.log_contains("wrong password"); }, kClientTimeout));
  const auto log = junctiond.log();
  EXPECT_THAT(log, HasSubstr("WARN  [amqp] SASL PLAIN from 127.0.0.1:"));
  EXPECT_THAT(log, HasSubstr(" refused for user \"alice\": wrong password"));
  EXPECT_THAT(log, Not(HasSubstr("not-her-password")));
  EXPECT_THAT(log, Not(HasSubstr("connection closed on error: amqp:unauthorized-access")));

  // The steady client's one connection went on sending throughout.
  const int before = static_cast<int>(steady.lines().size());
  EXPECT_TRUE(accepted(before + 3)) << steady.stderr_text();
  for (const auto& line : steady.lines()) EXPECT_THAT(line, Not(HasSubstr("refused")));
  EXPECT_TRUE(junctiond.running());
}

TEST_F(Sasl, UnknownUsersAndBorrowedIdentitiesAreRefused) {
  AmqpTestBroker broker(plain_only());
  ASSERT_TRUE(broker.start());
  EXPECT_THAT(run_client(broker, {"--mechs", "PLAIN", "--user", "mallory", "--password", "secret"}),
              HasSubstr("refused outcome=auth"));
  ASSERT_TRUE(wait_until([&] { return broker.process().log_contains("\"mallory\": unknown user"); },
                         kClientTimeout));
  // PLAIN's authorization identity "bob" with alice's own credentials.
  EXPECT_EQ(
      raw_init(broker, {"PLAIN", "--authzid", "bob", "--user", "alice", "--password", "secret"}),
      "outcome 1\n");
  EXPECT_TRUE(broker.process().log_contains("authorization identity differs"));
}

TEST_F(Sasl, AnonymousIsRefusedWhenOnlyPlainIsOffered) {
  AmqpTestBroker broker(plain_only());
  ASSERT_TRUE(broker.start());
  // A well-behaved client sees ANONYMOUS is not offered and gives up.
  EXPECT_THAT(run_client(broker, {"--mechs", "ANONYMOUS"}),
              HasSubstr("condition=amqp:unauthorized-access"));
  // One that sends ANONYMOUS anyway gets the outcome "auth" from the broker.
  EXPECT_EQ(raw_init(broker, {"ANONYMOUS"}), "outcome 1\n");
  // One that skips SASL is closed before any of its links opens.
  auto skipped = run_client(broker, {"--no-sasl"});
  EXPECT_THAT(skipped, HasSubstr("refused outcome=none condition=amqp:unauthorized-access"));
  EXPECT_THAT(skipped, Not(HasSubstr("accepted")));
  EXPECT_TRUE(broker.process().log_contains("AMQP connection from 127.0.0.1:"));
  EXPECT_TRUE(broker.process().log_contains(" refused: the client skipped SASL"));
}

TEST_F(Sasl, PipelinedPlainInitIsCheckedLikeAnyOther) {
  AmqpTestBroker broker(plain_only());
  ASSERT_TRUE(broker.start());
  EXPECT_EQ(raw_init(broker, {"PLAIN", "--user", "alice", "--password", "secret"}), "outcome 0\n");
  EXPECT_EQ(raw_init(broker, {"PLAIN", "--user", "alice", "--password", "secrets"}), "outcome 1\n");
  EXPECT_EQ(raw_init(broker, {"PLAIN", "--user", "alice", "--password", "secre"}), "outcome 1\n");
}

TEST(SaslConfig, CheckConfigReportsEverySaslMistakeWithItsPosition) {
  ::unsetenv("JUNCTION_SASL_TEST_UNSET");
  TempDir dir;
  const auto file = dir.path() / "amqp.toml";
  std::ofstream(file) << "[[transport]]\nplugin = \"amqp\"\n"
                         "sasl_mechanisms = [\"PLAIN\", \"SCRAM-SHA-256\"]\n"         // 3
                         "[[transport.users]]\nname = \"alice\"\npassword = \"a\"\n"  // 4
                         "[[transport.users]]\nname = \"alice\"\npassword = \"b\"\n"  // 7
                         "[[transport.users]]\nname = \"carol\"\n"                    // 10
                         "[[transport.users]]\nname = \"dave\"\n"                     // 12
                         "password_env = \"JUNCTION_SASL_TEST_UNSET\"\n"
                         "[[transport.users]]\npassword = \"c\"\nrole = \"admin\"\n";  // 15
  auto result = JunctiondProcess::run({"--check-config", file.string()});
  EXPECT_EQ(result.status, 1);
  const std::string f = file.string();
  EXPECT_THAT(result.err, HasSubstr(f + ":3:19: key 'sasl_mechanisms': unknown SASL mechanism "
                                        "\"SCRAM-SHA-256\"; Junction offers ANONYMOUS and PLAIN"));
  EXPECT_THAT(result.err, HasSubstr(f + ":8:8: key 'name': user \"alice\" is listed twice"));
  EXPECT_THAT(result.err, HasSubstr(f + ":10:1: a user needs exactly one of 'password' and "
                                        "'password_env'"));
  EXPECT_THAT(result.err, HasSubstr(f + ":14:16: key 'password_env': environment variable "
                                        "'JUNCTION_SASL_TEST_UNSET' is not set or empty"));
  EXPECT_THAT(result.err, HasSubstr(f + ":15:1: a user needs a non-empty 'name'"));
  EXPECT_THAT(result.err, HasSubstr(f + ":17:1: unknown key 'role'"));

  std::ofstream(file, std::ios::trunc)
      << "[[transport]]\nplugin = \"amqp\"\nsasl_mechanisms = []\n"
         "[[transport]]\nplugin = \"amqp\"\nlisten = \"127.0.0.1:5673\"\n"
         "sasl_mechanisms = [\"PLAIN\"]\n"
         "[[transport]]\nplugin = \"amqp\"\nlisten = \"127.0.0.1:5674\"\n"
         "[[transport.users]]\nname = \"alice\"\npassword = \"a\"\n"
         "[[transport]]\nplugin = \"amqp\"\nlisten = \"127.0.0.1:5675\"\n"
         "sasl_mechanisms = \"PLAIN\"\n";  // 17
  result = JunctiondProcess::run({"--check-config", file.string()});
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err,
              HasSubstr(f + ":3:19: key 'sasl_mechanisms': must name at least one mechanism"));
  EXPECT_THAT(result.err, HasSubstr(f + ":7:19: key 'sasl_mechanisms': PLAIN needs at least one "
                                        "[[transport.users]] entry"));
  EXPECT_THAT(result.err, HasSubstr("key 'users': users are only checked with PLAIN"));
  EXPECT_THAT(result.err,
              HasSubstr(f + ":17:19: key 'sasl_mechanisms' must be an array of strings"));
  EXPECT_THAT(result.err, Not(HasSubstr(f + ":17:19: key 'sasl_mechanisms': must name")));
}

}  // namespace
}  // namespace junction::testing
