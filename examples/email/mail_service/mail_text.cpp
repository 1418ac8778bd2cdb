#include "mail_text.hpp"

#include <algorithm>
#include <cctype>

#include "common/events.hpp"

namespace email {
namespace {

bool names_a_file(const std::string& id) {
  return !id.empty() && id.size() <= 100 && id.front() != '.' &&
         std::all_of(id.begin(), id.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '-' || c == '_' || c == '.';
         });
}

}  // namespace

std::optional<Mail> compose_mail(const std::string& topic, const std::string& event_json) {
  const auto id = json_string_field(event_json, "id");
  const auto name = json_string_field(event_json, "name");
  const auto address = json_string_field(event_json, "email");
  if (!id || !name || !address || !names_a_file(*id)) return std::nullopt;

  std::string subject;
  std::string body;
  if (topic == "order.completed") {
    const auto total = json_string_field(event_json, "total").value_or("?");
    subject = "Your order " + *id + " is complete";
    body = "Hello " + *name + ",\n\nthank you for your order " + *id + " (" + total +
           "). It is on its way.\n";
  } else {
    subject = "Welcome, " + *name + "!";
    body = "Hello " + *name + ",\n\nwelcome aboard. Your account " + *address + " is ready.\n";
  }
  const std::string to = *name + " <" + *address + ">";
  return Mail{*id, *address,
              "To: " + to + "\nSubject: " + subject + "\nX-Event-Id: " + *id +
                  "\nX-Topic: " + topic + "\n\n" + body};
}

}  // namespace email
