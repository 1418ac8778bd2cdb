#pragma once

#include "junction/log.hpp"

namespace junction::cluster {

// Every log line of the cluster kernel and the inter-broker channel carries
// the component "cluster".
inline const Logger& logger() {
  static const Logger instance{"cluster"};
  return instance;
}

}  // namespace junction::cluster
