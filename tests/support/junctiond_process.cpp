#include "support/junctiond_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>

extern char** environ;

namespace junction::testing {
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Reaps `pid` if it has exited by the deadline; returns its status or nullopt.
std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
  std::optional<int> status;
  wait_until(
      [&] {
        int raw = 0;
        if (::waitpid(pid, &raw, WNOHANG) != pid) return false;
        status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
        return true;
      },
      timeout);
  return status;
}

pid_t spawn(const std::vector<std::string>& args, const fs::path& stdout_file,
            const fs::path& stderr_file, const fs::path& working_dir,
            const fs::path& stdin_file = "/dev/null") {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, stdin_file.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  if (!working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

}  // namespace

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device random;
  path_ = fs::temp_directory_path() / ("junction-test-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(counter++) + "-" + std::to_string(random()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

namespace {

std::uint16_t unbound_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

std::uint16_t free_port() {
  static std::mutex mutex;
  static std::set<std::uint16_t> given;
  std::lock_guard lock(mutex);
  for (;;) {
    const auto port = unbound_loopback_port();
    if (given.insert(port).second) return port;
  }
}

fs::path JunctiondProcess::binary() { return fs::path(JUNCTION_BINARY_DIR) / "bin" / "junctiond"; }

JunctiondProcess::JunctiondProcess(fs::path dir, std::string config)
    : dir_(std::move(dir)),
      config_file_(dir_ / "junctiond.toml"),
      log_file_(dir_ / "junctiond.log") {
  std::ofstream(config_file_) << config;
}

JunctiondProcess::~JunctiondProcess() {
  if (pid_ > 0) kill_hard();
}

bool JunctiondProcess::start(std::chrono::milliseconds timeout) {
  return launch({binary().string(), "--config", config_file_.string()}, timeout);
}

bool JunctiondProcess::start_without_config(std::chrono::milliseconds timeout) {
  return launch({binary().string()}, timeout);
}

bool JunctiondProcess::launch(const std::vector<std::string>& args,
                              std::chrono::milliseconds timeout) {
  pid_ = spawn(args, dir_ / "junctiond.out", log_file_, dir_);
  if (pid_ < 0) return false;
  const bool ready =
      wait_until([&] { return log_contains("ready (config:") || !running(); }, timeout);
  if (ready && running()) return true;
  std::cerr << "junctiond did not become ready; its log:\n" << log() << std::endl;
  return false;
}

bool JunctiondProcess::running() {
  if (pid_ <= 0) return false;
  int raw = 0;
  if (::waitpid(pid_, &raw, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int JunctiondProcess::stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto status = wait_for_exit(pid_, timeout);
  if (!status) {
    kill_hard();
    return -1;
  }
  pid_ = -1;
  return *status;
}

void JunctiondProcess::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int raw = 0;
  ::waitpid(pid_, &raw, 0);
  pid_ = -1;
}

std::string JunctiondProcess::log() const { return read_file(log_file_); }

bool JunctiondProcess::log_contains(const std::string& text) const {
  return log().find(text) != std::string::npos;
}

JunctiondProcess::Output JunctiondProcess::run(const std::vector<std::string>& args,
                                               const fs::path& working_dir) {
  TempDir scratch;
  std::vector<std::string> argv{binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = spawn(argv, scratch.path() / "out", scratch.path() / "err", working_dir);
  Output output;
  if (pid < 0) return output;
  output.status = wait_for_exit(pid, std::chrono::seconds(60)).value_or(-1);
  output.out = read_file(scratch.path() / "out");
  output.err = read_file(scratch.path() / "err");
  return output;
}

CommandOutput run_command(const std::vector<std::string>& argv, const std::string& input,
                          std::chrono::milliseconds timeout) {
  TempDir scratch;
  const auto stdin_file = scratch.path() / "in";
  std::ofstream(stdin_file, std::ios::binary) << input;
  const pid_t pid = spawn(argv, scratch.path() / "out", scratch.path() / "err", {}, stdin_file);
  CommandOutput output;
  if (pid < 0) {
    output.err = "cannot start " + argv.front();
    return output;
  }
  auto status = wait_for_exit(pid, timeout);
  if (!status) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    output.timed_out = true;
  }
  output.status = status.value_or(-1);
  output.out = read_file(scratch.path() / "out");
  output.err = read_file(scratch.path() / "err");
  return output;
}

int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

LineClient::LineClient(std::uint16_t port) : fd_(connect_loopback(port)) {}

LineClient::~LineClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool LineClient::send_line(const std::string& line) {
  const std::string data = line + "\n";
  return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == ssize_t(data.size());
}

std::optional<std::string> LineClient::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, int(left.count())) <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return std::nullopt;
    buffer_.append(chunk, std::size_t(n));
  }
}

}  // namespace junction::testing
