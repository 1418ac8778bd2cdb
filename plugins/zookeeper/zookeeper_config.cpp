#include "zookeeper_config.hpp"

#include <algorithm>

namespace junction::zookeeper {
namespace {

// A ZooKeeper path: "/" or "/a/b" with no empty, "." or ".." component.
bool is_valid_root(const std::string& root) {
  if (root == "/") return true;
  if (root.empty() || root.front() != '/' || root.back() == '/') return false;
  std::size_t start = 1;
  while (start <= root.size()) {
    const auto end = std::min(root.find('/', start), root.size());
    const auto component = root.substr(start, end - start);
    if (component.empty() || component == "." || component == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

ZooKeeperConfig read_config(ConfigSection& section) {
  ZooKeeperConfig config;
  if (!section.contains("connect")) {
    section.fail({}, "the zookeeper plugin needs connect = \"host:port[,host:port...]\"");
  }
  config.connect = section.string("connect", "");
  if (section.contains("connect") && config.connect.empty()) {
    section.fail("connect", "connect must name at least one host:port");
  }
  config.root = section.string("root", config.root);
  if (!is_valid_root(config.root)) {
    section.fail("root", "root must be an absolute ZooKeeper path like \"/junction\", got \"" +
                             config.root + "\"");
  }
  // The server clamps timeouts to [2, 20] ticks; beyond these bounds the value is a mistake.
  config.session_timeout = std::chrono::milliseconds(
      section.integer("session_timeout_ms", config.session_timeout.count(), 100, 600'000));
  section.reject_unknown_keys();
  return config;
}

}  // namespace junction::zookeeper
