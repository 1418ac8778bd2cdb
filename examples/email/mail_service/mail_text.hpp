#pragma once

#include <optional>
#include <string>

namespace email {

struct Mail {
  std::string event_id;
  std::string to;
  std::string text;  // headers, blank line, body
};

// The mail an event asks for; nullopt for an event without id or address, or
// with an id that cannot name a file.
std::optional<Mail> compose_mail(const std::string& topic, const std::string& event_json);

}  // namespace email
