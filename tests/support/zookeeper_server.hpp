#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "support/junctiond_process.hpp"

namespace junction::testing {

// A real standalone ZooKeeper server run from Debian's jars on a free
// 127.0.0.1 port, with its data in a private temp folder. tickTime is 500 ms,
// so sessions as short as 1000 ms are allowed.
class ZooKeeperServer {
 public:
  // Starts the server and waits until it serves (`srvr` says standalone).
  explicit ZooKeeperServer(std::chrono::milliseconds ready_timeout = std::chrono::seconds(60));
  ~ZooKeeperServer();  // SIGTERM, then SIGKILL
  ZooKeeperServer(const ZooKeeperServer&) = delete;
  ZooKeeperServer& operator=(const ZooKeeperServer&) = delete;

  bool ready() const { return ready_; }
  std::uint16_t port() const { return port_; }
  std::string connect_string() const;  // "127.0.0.1:<port>"
  std::string log() const;             // the server's output, for failure messages

  // SIGSTOP / SIGCONT: a frozen server answers nobody, so sessions time out
  // and expire when it resumes.
  void pause();
  void resume();

 private:
  bool serving() const;

  TempDir dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace junction::testing
