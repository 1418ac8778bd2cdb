#include "junction/subscription.hpp"

namespace junction {

const char* to_string(DeliveryMode mode) noexcept {
  switch (mode) {
    case DeliveryMode::broadcast:
      return "broadcast";
    case DeliveryMode::queue:
      return "queue";
    case DeliveryMode::multicast:
      return "multicast";
  }
  return "unknown";
}

}  // namespace junction
