#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace junction::testing {

// A client program left running while the test goes on: the test writes to
// its stdin, follows its stdout line by line, and may SIGKILL it (a crash
// that leaves no chance to say goodbye).
class ClientProcess {
 public:
  explicit ClientProcess(const std::vector<std::string>& argv);
  ~ClientProcess();  // SIGKILL if still running
  ClientProcess(const ClientProcess&) = delete;
  ClientProcess& operator=(const ClientProcess&) = delete;

  bool started() const { return pid_ > 0; }
  bool write_line(const std::string& line);
  std::vector<std::string> lines() const;
  std::string stderr_text() const;
  // Waits until some stdout line satisfies `match`; returns it.
  std::optional<std::string> wait_for_line(const std::function<bool(const std::string&)>& match,
                                           std::chrono::milliseconds timeout);
  void kill_hard();
  // The exit status, or -1 if killed by a signal or still running at the deadline.
  int wait(std::chrono::milliseconds timeout);

 private:
  void read_output();

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
  std::string partial_line_;
  std::string stderr_;
};

}  // namespace junction::testing
