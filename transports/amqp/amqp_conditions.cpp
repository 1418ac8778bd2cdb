#include "amqp_conditions.hpp"

namespace junction::amqp {

proton::error_condition condition_for(const Error& error) {
  const char* name = kInternalError;
  switch (error.code) {
    case Errc::record_too_large:
      name = kMessageSizeExceeded;
      break;
    case Errc::unknown_topic:
    case Errc::unknown_partition:
      name = kNotFound;
      break;
    case Errc::invalid_argument:
      name = kInvalidField;
      break;
    case Errc::corrupt_batch:
    case Errc::unsupported_format:
      name = kDecodeError;
      break;
    case Errc::shutting_down:
      name = kDetachForced;
      break;
    default:
      break;
  }
  return proton::error_condition(name, error.message);
}

}  // namespace junction::amqp
