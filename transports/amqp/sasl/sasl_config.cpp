#include "sasl/sasl_config.hpp"

#include <cstdlib>

namespace junction::amqp {
namespace {

// A user's password is written in the file, or named by the environment
// variable that holds it, so the file itself can be shared without secrets.
std::string read_password(ConfigSection& user) {
  const bool in_file = user.contains("password");
  const bool in_environment = user.contains("password_env");
  auto password = user.string("password", "");
  auto variable = user.string("password_env", "");
  if (in_file == in_environment) {
    user.fail("", "a user needs exactly one of 'password' and 'password_env'");
    return {};
  }
  if (in_file) {
    if (password.empty()) user.fail("password", "must not be empty");
    return password;
  }
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr || *value == '\0') {
    user.fail("password_env", "environment variable '" + variable + "' is not set or empty");
    return {};
  }
  return value;
}

}  // namespace

std::string SaslConfig::mechanism_list() const {
  if (anonymous && plain) return "ANONYMOUS PLAIN";
  return plain ? "PLAIN" : "ANONYMOUS";
}

SaslConfig parse_sasl_config(ConfigSection& transport) {
  SaslConfig parsed;
  if (transport.contains("sasl_mechanisms")) {
    // A value of the wrong type is reported by strings() and leaves the default.
    auto mechanisms = transport.strings("sasl_mechanisms", {"ANONYMOUS"});
    parsed.anonymous = false;
    for (const auto& mechanism : mechanisms) {
      if (mechanism == "ANONYMOUS") {
        parsed.anonymous = true;
      } else if (mechanism == "PLAIN") {
        parsed.plain = true;
      } else {
        transport.fail("sasl_mechanisms", "unknown SASL mechanism \"" + mechanism +
                                              "\"; Junction offers ANONYMOUS and PLAIN");
      }
    }
    if (mechanisms.empty()) transport.fail("sasl_mechanisms", "must name at least one mechanism");
  }

  auto users = transport.sections("users");
  for (ConfigSection& user : users) {
    auto name = user.string("name", "");
    auto password = read_password(user);
    user.reject_unknown_keys();
    if (name.empty()) {
      user.fail(user.contains("name") ? "name" : "", "a user needs a non-empty 'name'");
    } else if (!parsed.passwords.emplace(name, password).second) {
      user.fail("name", "user \"" + name + "\" is listed twice");
    }
  }
  if (parsed.plain && users.empty()) {
    transport.fail("sasl_mechanisms", "PLAIN needs at least one [[transport.users]] entry");
  }
  if (!parsed.plain && !users.empty()) {
    transport.fail("users", "users are only checked with PLAIN: add \"PLAIN\" to sasl_mechanisms");
  }
  return parsed;
}

}  // namespace junction::amqp
