#include "client_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/junctiond_process.hpp"

extern char** environ;

namespace junction::testing {

ClientProcess::ClientProcess(const std::vector<std::string>& argv) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    return;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  if (posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];
  stderr_fd_ = err[0];
  reader_ = std::thread([this] { read_output(); });
}

ClientProcess::~ClientProcess() {
  kill_hard();
  if (reader_.joinable()) reader_.join();
  for (int fd : {stdin_fd_, stdout_fd_, stderr_fd_})
    if (fd >= 0) ::close(fd);
}

void ClientProcess::read_output() {
  pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
  int open = 2;
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) return;
    for (auto& fd : fds) {
      if (fd.fd < 0 || fd.revents == 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(fd.fd, chunk, sizeof chunk);
      if (n <= 0) {
        fd.fd = -1;
        --open;
        continue;
      }
      std::lock_guard lock(mutex_);
      if (fd.fd == stderr_fd_) {
        stderr_.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      partial_line_.append(chunk, static_cast<std::size_t>(n));
      for (auto newline = partial_line_.find('\n'); newline != std::string::npos;
           newline = partial_line_.find('\n')) {
        lines_.push_back(partial_line_.substr(0, newline));
        partial_line_.erase(0, newline + 1);
      }
    }
  }
}

bool ClientProcess::write_line(const std::string& line) {
  const std::string data = line + "\n";
  return ::write(stdin_fd_, data.data(), data.size()) == static_cast<ssize_t>(data.size());
}

std::vector<std::string> ClientProcess::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::string ClientProcess::stderr_text() const {
  std::lock_guard lock(mutex_);
  return stderr_;
}

std::optional<std::string> ClientProcess::wait_for_line(
    const std::function<bool(const std::string&)>& match, std::chrono::milliseconds timeout) {
  std::optional<std::string> found;
  wait_until(
      [&] {
        std::lock_guard lock(mutex_);
        for (const auto& line : lines_) {
          if (match(line)) {
            found = line;
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

void ClientProcess::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int ClientProcess::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  int status = -1;
  const bool exited = wait_until(
      [&] {
        int raw = 0;
        if (::waitpid(pid_, &raw, WNOHANG) != pid_) return false;
        status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
        return true;
      },
      timeout);
  if (exited) pid_ = -1;
  return exited ? status : -1;
}

}  // namespace junction::testing
