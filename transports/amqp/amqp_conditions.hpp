#pragma once

#include <proton/error_condition.hpp>
#include <proton/link.hpp>

#include "junction/result.hpp"

namespace junction::amqp {

// AMQP 1.0 error condition names (spec part 2.8.15 and 2.8.18).
inline constexpr const char* kNotFound = "amqp:not-found";
inline constexpr const char* kInvalidField = "amqp:invalid-field";
inline constexpr const char* kNotImplemented = "amqp:not-implemented";
inline constexpr const char* kInternalError = "amqp:internal-error";
inline constexpr const char* kDecodeError = "amqp:decode-error";
inline constexpr const char* kResourceLimitExceeded = "amqp:resource-limit-exceeded";
inline constexpr const char* kMessageSizeExceeded = "amqp:link:message-size-exceeded";
inline constexpr const char* kDetachForced = "amqp:link:detach-forced";
inline constexpr const char* kConnectionForced = "amqp:connection:forced";

// The condition a kernel error is reported with.
proton::error_condition condition_for(const Error& error);

// Refuses a link the client is attaching, as the spec asks: an attach with no
// terminus on our side, then the detach carrying `condition`.
void refuse_link(proton::link& link, const proton::error_condition& condition);

}  // namespace junction::amqp
