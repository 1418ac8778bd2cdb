#pragma once

#include "junction/log.hpp"

namespace junction::amqp {

// Every log line of this transport carries the component "amqp".
inline const Logger& amqp_logger() {
  static const Logger instance{"amqp"};
  return instance;
}

}  // namespace junction::amqp
