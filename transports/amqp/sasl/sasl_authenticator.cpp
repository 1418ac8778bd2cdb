#include "sasl/sasl_authenticator.hpp"

#include "amqp_conditions.hpp"
#include "proton_c_access.hpp"

#include <proton/netaddr.h>
#include <proton/sasl_plugin.h>
#include <proton/error_condition.hpp>
#include <proton/sasl.hpp>
#include <proton/transport.hpp>

#include <proton/transport.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace junction::amqp {

// What a connection accepted on a served port is checked against.
struct SaslSettings {
  SaslConfig config;
  const Logger& logger;
};

namespace {

using SettingsPtr = std::shared_ptr<const SaslSettings>;

constexpr std::string_view kAnonymous = "ANONYMOUS";
constexpr std::string_view kPlain = "PLAIN";

// Which authenticator serves which local port, and how many authenticators
// keep Junction's implementation installed in Proton.
struct Registry {
  std::mutex mutex;
  std::map<int, SettingsPtr> by_port;
  int authenticators = 0;
};

// For connections no authenticator claims.
const Logger& fallback_logger() {
  static const Logger instance{"amqp"};
  return instance;
}

Registry& registry() {
  static Registry instance;
  return instance;
}

// Per transport. Proton keeps pointing at `user` once authenticated. A client
// may pipeline its sasl-init before Proton has bound the transport to its
// connection, when the local port is not known yet: the init waits here until
// the next output pass.
struct TransportState {
  std::string user;
  bool init_waiting = false;
  std::string waiting_mechanism;
  std::string waiting_response;
};

TransportState& state_of(pn_transport_t* transport) {
  auto* state = static_cast<TransportState*>(pnx_sasl_get_context(transport));
  if (state == nullptr) {
    state = new TransportState;
    pnx_sasl_set_context(transport, state);
  }
  return *state;
}

int local_port(pn_transport_t* transport) {
  const pn_netaddr_t* address = pn_transport_local_addr(transport);
  char host[256];
  char port[32];
  if (address == nullptr ||
      pn_netaddr_host_port(address, host, sizeof host, port, sizeof port) != 0) {
    return -1;
  }
  int value = -1;
  std::from_chars(port, port + std::char_traits<char>::length(port), value);
  return value;
}

std::string remote_address(pn_transport_t* transport) {
  const pn_netaddr_t* address = pn_transport_remote_addr(transport);
  char text[300];
  if (address == nullptr || pn_netaddr_str(address, text, sizeof text) <= 0) {
    return "an unknown address";
  }
  return text;
}

SettingsPtr find_settings(pn_transport_t* transport) {
  const int port = local_port(transport);
  std::lock_guard lock(registry().mutex);
  auto found = registry().by_port.find(port);
  return found == registry().by_port.end() ? nullptr : found->second;
}

// A client-chosen name goes into the log: printable ASCII only, and short.
std::string printable(std::string_view name) {
  constexpr std::size_t kMaxLength = 64;
  std::string out;
  for (char c : name.substr(0, kMaxLength)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (name.size() > kMaxLength) out += "...";
  return out;
}

// The time taken depends only on the length of `given`, never on where it
// first differs from `expected` (which must not be empty).
bool same_secret(std::string_view given, std::string_view expected) {
  unsigned difference = given.size() != expected.size() ? 1U : 0U;
  for (std::size_t i = 0; i < given.size(); ++i) {
    difference |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  }
  return difference == 0;
}

void succeed(pn_transport_t* transport, std::string user) {
  TransportState& state = state_of(transport);
  state.user = std::move(user);
  pnx_sasl_set_succeeded(transport, state.user.c_str(), nullptr);
  pnx_sasl_set_desired_state(transport, SASL_POSTED_OUTCOME);
}

void refuse(pn_transport_t* transport) {
  pnx_sasl_set_failed(transport);
  pnx_sasl_set_desired_state(transport, SASL_POSTED_OUTCOME);
}

// PLAIN's initial response (RFC 4616) is authzid NUL authcid NUL password.
// Acting for another identity (an authzid other than the user) is refused.
void check_plain(pn_transport_t* transport, const SettingsPtr& settings,
                 std::string_view response) {
  const auto first = response.find('\0');
  const auto second = first == std::string_view::npos ? first : response.find('\0', first + 1);
  if (second == std::string_view::npos) {
    settings->logger.warn() << "SASL PLAIN from " << remote_address(transport)
                            << " refused: malformed initial response";
    refuse(transport);
    return;
  }
  const auto authzid = response.substr(0, first);
  const auto user = response.substr(first + 1, second - first - 1);
  const auto password = response.substr(second + 1);

  // An unknown user costs the same comparison as a known one.
  static constexpr std::string_view kNoSuchUser{"\x01no such user", 13};
  auto known = settings->config.passwords.find(user);
  const bool user_known = known != settings->config.passwords.end();
  const bool password_matches =
      same_secret(password, user_known ? std::string_view(known->second) : kNoSuchUser);
  if (user_known && password_matches && (authzid.empty() || authzid == user)) {
    settings->logger.debug() << "SASL PLAIN: user \"" << printable(user) << "\" from "
                             << remote_address(transport) << " authenticated";
    succeed(transport, std::string(user));
    return;
  }
  settings->logger.warn() << "SASL PLAIN from " << remote_address(transport)
                          << " refused for user \"" << printable(user) << "\": "
                          << (!user_known         ? "unknown user"
                              : !password_matches ? "wrong password"
                                                  : "authorization identity differs");
  refuse(transport);
}

void authenticate(pn_transport_t* transport, std::string_view mechanism,
                  std::string_view response) {
  SettingsPtr settings = find_settings(transport);
  if (!settings) {
    // Fail closed: a connection no authenticator claims is not let in.
    fallback_logger().warn() << "SASL from " << remote_address(transport)
                             << " refused: no authenticator serves its local port";
    refuse(transport);
    return;
  }
  if (mechanism == kAnonymous && settings->config.anonymous) {
    succeed(transport, "anonymous");
  } else if (mechanism == kPlain && settings->config.plain) {
    check_plain(transport, settings, response);
  } else {
    settings->logger.warn() << "SASL from " << remote_address(transport) << " refused: mechanism "
                            << printable(mechanism) << " is not offered";
    refuse(transport);
  }
}

void process_init(pn_transport_t* transport, const char* mechanism, const pn_bytes_t* response) {
  if (pn_transport_connection(transport) == nullptr) {
    TransportState& state = state_of(transport);
    state.init_waiting = true;
    state.waiting_mechanism = mechanism;
    state.waiting_response.assign(response->start, response->size);
    return;
  }
  authenticate(transport, mechanism, std::string_view(response->start, response->size));
}

void prepare_write(pn_transport_t* transport) {
  auto* state = static_cast<TransportState*>(pnx_sasl_get_context(transport));
  if (state == nullptr || !state->init_waiting || pn_transport_connection(transport) == nullptr) {
    return;
  }
  state->init_waiting = false;
  authenticate(transport, state->waiting_mechanism, state->waiting_response);
  std::fill(state->waiting_response.begin(), state->waiting_response.end(), '\0');
}

void free_state(pn_transport_t* transport) {
  delete static_cast<TransportState*>(pnx_sasl_get_context(transport));
}

// Proton filters this list by the connection's allowed mechanisms, which
// accept() sets from the configuration.
const char* list_mechanisms(pn_transport_t*) { return "ANONYMOUS PLAIN"; }

bool init_server(pn_transport_t* transport) {
  pnx_sasl_set_desired_state(transport, SASL_POSTED_MECHANISMS);
  return true;
}

bool init_client(pn_transport_t* transport) {
  pnx_sasl_error(transport, "Junction's SASL implementation serves only accepted connections",
                 "amqp:internal-error");
  return false;
}

void no_response(pn_transport_t*, const pn_bytes_t*) {}
bool no_mechanisms(pn_transport_t*, const char*) { return false; }
bool cannot_encrypt(pn_transport_t*) { return false; }
ssize_t no_encrypt_size(pn_transport_t*) { return 0; }
ssize_t no_coding(pn_transport_t*, pn_bytes_t, pn_bytes_t*) { return 0; }

const pnx_sasl_implementation kImplementation = {
    free_state,     list_mechanisms, init_server,   init_client, prepare_write,
    process_init,   no_response,     no_mechanisms, no_response, no_response,
    cannot_encrypt, no_encrypt_size, no_coding,     no_coding,
};

}  // namespace

SaslAuthenticator::SaslAuthenticator(SaslConfig config, const Logger& logger)
    : settings_(std::make_shared<const SaslSettings>(SaslSettings{std::move(config), logger})) {
  std::lock_guard lock(registry().mutex);
  if (registry().authenticators++ == 0) pnx_sasl_set_default_implementation(&kImplementation);
}

SaslAuthenticator::~SaslAuthenticator() {
  std::lock_guard lock(registry().mutex);
  auto served = registry().by_port.find(served_port_);
  if (served != registry().by_port.end() && served->second == settings_) {
    registry().by_port.erase(served);
  }
  if (--registry().authenticators == 0) pnx_sasl_set_default_implementation(nullptr);
}

proton::connection_options SaslAuthenticator::accept(proton::listener& listener) {
  const int port = listener.port();
  if (port != served_port_) {
    std::lock_guard lock(registry().mutex);
    registry().by_port[port] = settings_;
    served_port_ = port;
  }
  return proton::connection_options().sasl_enabled(true).sasl_allowed_mechs(
      settings_->config.mechanism_list());
}

bool SaslAuthenticator::admitted(const proton::connection& connection) const {
  return settings_->config.anonymous || connection.transport().sasl().outcome() == proton::sasl::OK;
}

bool SaslAuthenticator::admit(proton::connection& connection) const {
  if (admitted(connection)) return true;
  settings_->logger.warn() << "AMQP connection from "
                           << remote_address(c_transport(connection.transport()))
                           << " refused: the client skipped SASL, and ANONYMOUS is not offered";
  connection.close(proton::error_condition(kUnauthorizedAccess, "SASL authentication is required"));
  return false;
}

}  // namespace junction::amqp
