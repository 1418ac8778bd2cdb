#pragma once

// Small pieces the group handlers share.

#include <string>

#include "kafka_logger.hpp"

namespace junction::kafka {

// A member's host as Kafka's DescribeGroups shows it ("/127.0.0.1"), from
// the session's "address:port".
inline std::string client_host(const std::string& peer) {
  auto colon = peer.rfind(':');
  return "/" + (colon == std::string::npos ? peer : peer.substr(0, colon));
}

}  // namespace junction::kafka
