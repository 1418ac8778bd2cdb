#include "support/zookeeper_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

extern char** environ;

namespace junction::testing {
namespace {

// Sends a four-letter command and returns the whole answer.
std::string four_letter_word(std::uint16_t port, const std::string& command) {
  const int fd = connect_loopback(port);
  if (fd < 0) return {};
  std::string answer;
  if (::write(fd, command.data(), command.size()) == static_cast<ssize_t>(command.size())) {
    char buffer[4096];
    pollfd readable{fd, POLLIN, 0};
    while (::poll(&readable, 1, 2000) > 0) {
      const auto n = ::read(fd, buffer, sizeof buffer);
      if (n <= 0) break;
      answer.append(buffer, n);
    }
  }
  ::close(fd);
  return answer;
}

}  // namespace

ZooKeeperServer::ZooKeeperServer(std::chrono::milliseconds ready_timeout) : port_(free_port()) {
  const auto data = dir_.path() / "data";
  std::filesystem::create_directories(data);
  const auto config = dir_.path() / "zoo.cfg";
  std::ofstream(config) << "tickTime=500\n"
                        << "dataDir=" << data.string() << "\n"
                        << "clientPort=" << port_ << "\n"
                        << "clientPortAddress=127.0.0.1\n"
                        << "admin.enableServer=false\n"
                        << "4lw.commands.whitelist=srvr,ruok\n";
  const std::vector<std::string> args{
      "java", "-Xmx128m", "-cp",
      // zookeeper.jar's manifest names the rest of its dependencies.
      "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar",
      "-Dzookeeper.admin.enableServer=false", "org.apache.zookeeper.server.ZooKeeperServerMain",
      config.string()};
  const auto log_file = dir_.path() / "zookeeper.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  if (posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
  posix_spawn_file_actions_destroy(&actions);
  if (pid_ > 0) ready_ = wait_until([&] { return serving(); }, ready_timeout);
}

ZooKeeperServer::~ZooKeeperServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGTERM);
  const bool exited = wait_until([&] { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; },
                                 std::chrono::seconds(10));
  if (!exited) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

// `ruok` answers before the server accepts sessions; `srvr` reports the mode
// only once it does.
bool ZooKeeperServer::serving() const {
  return four_letter_word(port_, "srvr").find("Mode: standalone") != std::string::npos;
}

std::string ZooKeeperServer::connect_string() const { return "127.0.0.1:" + std::to_string(port_); }

std::string ZooKeeperServer::log() const {
  std::ifstream in(dir_.path() / "zookeeper.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void ZooKeeperServer::pause() { ::kill(pid_, SIGSTOP); }
void ZooKeeperServer::resume() { ::kill(pid_, SIGCONT); }

}  // namespace junction::testing
