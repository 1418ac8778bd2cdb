#include "outbox.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace email {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void fsync_path(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail("open " + path.string());
  const int result = ::fsync(fd);
  ::close(fd);
  if (result != 0) fail("fsync " + path.string());
}

}  // namespace

Outbox::Outbox(std::filesystem::path folder, std::string writer)
    : folder_(std::move(folder)), writer_(std::move(writer)) {
  std::filesystem::create_directories(folder_);
}

std::filesystem::path Outbox::path_of(const std::string& event_id) const {
  return folder_ / (event_id + ".eml");
}

Outbox::Result Outbox::send(const std::string& event_id, const std::string& mail) {
  const auto final_path = path_of(event_id);
  if (std::filesystem::exists(final_path)) return Result::already_sent;

  // Dot-named and private to this writer: never taken for a mail, never
  // written by two instances at once.
  const auto temporary = folder_ / ("." + event_id + "." + writer_ + ".tmp");
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("open " + temporary.string());
  std::size_t done = 0;
  while (done < mail.size()) {
    const ssize_t written = ::write(fd, mail.data() + done, mail.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      ::close(fd);
      fail("write " + temporary.string());
    }
    done += static_cast<std::size_t>(written);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("fsync " + temporary.string());
  }
  ::close(fd);
  // Two instances handed the same event both end with the same, whole mail.
  if (::rename(temporary.c_str(), final_path.c_str()) != 0) fail("rename " + final_path.string());
  fsync_path(folder_, O_RDONLY | O_DIRECTORY);
  return Result::written;
}

}  // namespace email
