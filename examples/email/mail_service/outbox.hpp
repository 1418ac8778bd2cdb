#pragma once

#include <filesystem>
#include <string>

namespace email {

// The folder mails are "sent" to. A mail's file is named after its event id
// and appears whole (written aside, fsynced, renamed), so a redelivered event
// never makes a second mail, and a crash never leaves half of one.
class Outbox {
 public:
  enum class Result { written, already_sent };

  Outbox(std::filesystem::path folder, std::string writer);

  // Throws std::system_error when the mail cannot be stored.
  Result send(const std::string& event_id, const std::string& mail);
  std::filesystem::path path_of(const std::string& event_id) const;

 private:
  std::filesystem::path folder_;
  std::string writer_;
};

}  // namespace email
