#include "junction/result.hpp"

namespace junction {

const char* to_string(Errc code) noexcept {
  switch (code) {
    case Errc::corrupt_batch:
      return "corrupt batch";
    case Errc::unsupported_format:
      return "unsupported format";
    case Errc::record_too_large:
      return "record too large";
    case Errc::invalid_argument:
      return "invalid argument";
    case Errc::unknown_topic:
      return "unknown topic";
    case Errc::unknown_partition:
      return "unknown partition";
    case Errc::topic_exists:
      return "topic exists";
    case Errc::offset_out_of_range:
      return "offset out of range";
    case Errc::io_error:
      return "I/O error";
    case Errc::invalid_config:
      return "invalid configuration";
    case Errc::plugin_error:
      return "plugin error";
    case Errc::not_leader:
      return "not leader";
    case Errc::leader_not_available:
      return "leader not available";
    case Errc::timeout:
      return "timeout";
    case Errc::shutting_down:
      return "shutting down";
  }
  return "unknown error";
}

}  // namespace junction
