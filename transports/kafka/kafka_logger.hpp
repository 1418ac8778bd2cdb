#pragma once

#include "junction/log.hpp"

namespace junction::kafka {

// Every log line of this transport carries the component "kafka".
inline const Logger& kafka_logger() {
  static const Logger instance{"kafka"};
  return instance;
}

}  // namespace junction::kafka
