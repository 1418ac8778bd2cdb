#pragma once

#include <map>
#include <string>

#include "junction/config.hpp"

namespace junction::amqp {

// Who may open an AMQP connection: the SASL mechanisms offered, and for PLAIN
// the users and their passwords.
struct SaslConfig {
  bool anonymous = true;
  bool plain = false;
  std::map<std::string, std::string, std::less<>> passwords;  // user name -> password

  // The offered mechanisms as Proton spells a list: "ANONYMOUS PLAIN".
  std::string mechanism_list() const;
};

// Reads `sasl_mechanisms` and `[[transport.users]]` from the amqp [[transport]]
// table. Mistakes are recorded in `transport` with their position; the caller
// still owns reject_unknown_keys() for the table itself.
SaslConfig parse_sasl_config(ConfigSection& transport);

}  // namespace junction::amqp
