#pragma once

#include "junction/log.hpp"

namespace junction::websocket {

inline const Logger& websocket_logger() {
  static const Logger logger("websocket");
  return logger;
}

}  // namespace junction::websocket
