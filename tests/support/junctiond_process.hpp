#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace junction::testing {

// A fresh folder under the test temp dir, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A loopback TCP port nobody listens on right now, and one this process has
// not been given before, so a config that asks for several gets distinct ones.
std::uint16_t free_port();

// Waits, polling, until `condition` holds or the deadline passes.
template <class Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// The real junctiond binary, run as a child process with a config file the
// test writes. Its stderr (the log) goes to a file the test can read.
class JunctiondProcess {
 public:
  // `config` is TOML text; it is written to <dir>/junctiond.toml.
  JunctiondProcess(std::filesystem::path dir, std::string config);
  ~JunctiondProcess();  // SIGKILL if still running

  // Starts junctiond and waits for its "ready" log line. False (with the log
  // in the test output) if it exits or is not ready in time.
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // The same without --config: the embedded default, run in dir().
  bool start_without_config(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGTERM, then waits for the exit; returns the exit status (-1: killed or
  // did not stop within the timeout).
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void kill_hard();  // SIGKILL and reap, like a crash
  bool running();
  pid_t pid() const { return pid_; }  // -1 when not running

  std::string log() const;
  bool log_contains(const std::string& text) const;
  const std::filesystem::path& dir() const { return dir_; }
  const std::filesystem::path& config_file() const { return config_file_; }

  static std::filesystem::path binary();
  // Runs junctiond with `args` to completion; returns exit status and output.
  struct Output {
    int status = -1;
    std::string out;
    std::string err;
  };
  static Output run(const std::vector<std::string>& args,
                    const std::filesystem::path& working_dir = {});

 private:
  bool launch(const std::vector<std::string>& args, std::chrono::milliseconds timeout);

  std::filesystem::path dir_;
  std::filesystem::path config_file_;
  std::filesystem::path log_file_;
  pid_t pid_ = -1;
};

// Runs a program (a path, or a name looked up on PATH) to completion with
// `input` on its stdin; after `timeout` it is killed and timed_out is set.
struct CommandOutput {
  int status = -1;  // exit status; -1 if killed by a signal or timed out
  bool timed_out = false;
  std::string out;
  std::string err;
};
CommandOutput run_command(const std::vector<std::string>& argv, const std::string& input = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(120));

// A blocking TCP socket connected to 127.0.0.1:port, or -1.
int connect_loopback(std::uint16_t port);

// A plain blocking TCP client for line protocols.
class LineClient {
 public:
  explicit LineClient(std::uint16_t port);
  ~LineClient();
  bool connected() const { return fd_ >= 0; }
  bool send_line(const std::string& line);
  // The next line without its newline; nullopt on timeout or close.
  std::optional<std::string> read_line(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace junction::testing
