#include "amqp_conditions.hpp"

#include <proton/link.h>
#include <proton/terminus.h>

#include "proton_c_access.hpp"

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

void refuse_link(proton::link& link, const proton::error_condition& condition) {
  pn_link_t* raw = c_link(link);
  pn_terminus_set_type(pn_link_source(raw), PN_UNSPECIFIED);
  pn_terminus_set_type(pn_link_target(raw), PN_UNSPECIFIED);
  link.close(condition);
}

}  // namespace junction::amqp
