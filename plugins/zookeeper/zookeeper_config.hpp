#pragma once

#include <chrono>
#include <string>

#include "junction/config.hpp"

namespace junction::zookeeper {

struct ZooKeeperConfig {
  std::string connect;             // "host:port[,host:port...]"
  std::string root = "/junction";  // every znode of this cluster lives under it
  std::chrono::milliseconds session_timeout{6000};
};

// Reads [coordination]'s keys. Errors are recorded in `section` (the host
// reports them with file:line:column and does not start); fallbacks fill in.
ZooKeeperConfig read_config(ConfigSection& section);

}  // namespace junction::zookeeper
