#pragma once

// Small pieces the group handlers share.

#include <string>

#include "junction/log.hpp"

namespace junction::kafka {

inline const Logger& group_logger() {
  static const Logger instance{"kafka"};
  return instance;
}

// A member's host as Kafka's DescribeGroups shows it ("/127.0.0.1"), from
// the session's "address:port".
inline std::string client_host(const std::string& peer) {
  auto colon = peer.rfind(':');
  return "/" + (colon == std::string::npos ? peer : peer.substr(0, colon));
}

}  // namespace junction::kafka
