// sasl_mechanisms and [[transport.users]] as the amqp [[transport]] table
// carries them: values read, and every mistake reported with its position.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "host/host_config.hpp"
#include "sasl/sasl_config.hpp"

namespace junction::amqp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Parsed {
  SaslConfig sasl;
  std::vector<std::string> errors;
};

Parsed parse(const std::string& transport_toml) {
  auto config =
      host::parse_config("[[transport]]\nplugin = \"amqp\"\n" + transport_toml, "t.toml", ".", ".");
  Parsed parsed;
  parsed.sasl = parse_sasl_config(config.transports.at(0).config);
  parsed.errors = config.errors->messages();
  return parsed;
}

TEST(SaslConfig, AnonymousOnlyByDefault) {
  auto parsed = parse("");
  EXPECT_THAT(parsed.errors, IsEmpty());
  EXPECT_TRUE(parsed.sasl.anonymous);
  EXPECT_FALSE(parsed.sasl.plain);
  EXPECT_EQ(parsed.sasl.mechanism_list(), "ANONYMOUS");
}

TEST(SaslConfig, PlainWithUsersFromTheFileAndTheEnvironment) {
  ::setenv("JUNCTION_SASL_TEST_PASSWORD", "from-env", 1);
  auto parsed = parse(
      "sasl_mechanisms = [\"PLAIN\"]\n"
      "[[transport.users]]\nname = \"alice\"\npassword = \"secret\"\n"
      "[[transport.users]]\nname = \"bob\"\npassword_env = \"JUNCTION_SASL_TEST_PASSWORD\"\n");
  EXPECT_THAT(parsed.errors, IsEmpty());
  EXPECT_FALSE(parsed.sasl.anonymous);
  EXPECT_TRUE(parsed.sasl.plain);
  EXPECT_EQ(parsed.sasl.mechanism_list(), "PLAIN");
  EXPECT_EQ(parsed.sasl.passwords.at("alice"), "secret");
  EXPECT_EQ(parsed.sasl.passwords.at("bob"), "from-env");
}

TEST(SaslConfig, BothMechanisms) {
  auto parsed = parse(
      "sasl_mechanisms = [\"PLAIN\", \"ANONYMOUS\"]\n"
      "[[transport.users]]\nname = \"alice\"\npassword = \"secret\"\n");
  EXPECT_THAT(parsed.errors, IsEmpty());
  EXPECT_EQ(parsed.sasl.mechanism_list(), "ANONYMOUS PLAIN");
}

TEST(SaslConfig, MechanismMistakesNameTheirPosition) {
  EXPECT_THAT(parse("sasl_mechanisms = [\"PLAIN\", \"SCRAM-SHA-256\"]\n").errors,
              ElementsAre(HasSubstr("t.toml:3:19: key 'sasl_mechanisms': unknown SASL mechanism "
                                    "\"SCRAM-SHA-256\"; Junction offers ANONYMOUS and PLAIN"),
                          HasSubstr("t.toml:3:19: key 'sasl_mechanisms': PLAIN needs at least "
                                    "one [[transport.users]] entry")));
  EXPECT_THAT(parse("sasl_mechanisms = []\n").errors,
              ElementsAre("t.toml:3:19: key 'sasl_mechanisms': must name at least one mechanism"));
  EXPECT_THAT(parse("sasl_mechanisms = \"PLAIN\"\n").errors,
              ElementsAre(HasSubstr("t.toml:3:19: key 'sasl_mechanisms' must be an array")));
}

TEST(SaslConfig, UserMistakesNameTheirPosition) {
  ::unsetenv("JUNCTION_SASL_TEST_UNSET");
  auto parsed = parse(
      "sasl_mechanisms = [\"PLAIN\"]\n"
      "[[transport.users]]\nname = \"alice\"\npassword = \"secret\"\n"  // 4
      "[[transport.users]]\nname = \"alice\"\npassword = \"again\"\n"   // 7
      "[[transport.users]]\nname = \"carol\"\n"                         // 10
      "[[transport.users]]\nname = \"dave\"\npassword_env = \"JUNCTION_SASL_TEST_UNSET\"\n"
      "[[transport.users]]\npassword = \"nameless\"\nrole = \"admin\"\n");  // 15
  EXPECT_THAT(
      parsed.errors,
      ElementsAre(
          "t.toml:8:8: key 'name': user \"alice\" is listed twice",
          HasSubstr("t.toml:10:1: a user needs exactly one of 'password' and 'password_env'"),
          "t.toml:14:16: key 'password_env': environment variable "
          "'JUNCTION_SASL_TEST_UNSET' is not set or empty",
          "t.toml:15:1: a user needs a non-empty 'name'", "t.toml:17:1: unknown key 'role'"));
}

TEST(SaslConfig, UsersWithoutPlainAreAMistake) {
  EXPECT_THAT(parse("[[transport.users]]\nname = \"alice\"\npassword = \"secret\"\n").errors,
              ElementsAre(HasSubstr("key 'users': users are only checked with PLAIN")));
}

}  // namespace
}  // namespace junction::amqp
