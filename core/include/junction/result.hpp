#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace junction {

// Error codes crossing the SDK boundary. Each transport maps them onto its own
// protocol (Kafka error codes, AMQP conditions, WebSocket close codes).
enum class Errc {
  corrupt_batch,       // bad CRC, impossible length, truncated data
  unsupported_format,  // wrong magic, unknown compression codec
  record_too_large,    // over max_message_bytes
  invalid_argument,    // a bad name, a negative count, ...
  unknown_topic,
  unknown_partition,
  topic_exists,
  offset_out_of_range,
  io_error,
  invalid_config,
  plugin_error,
  not_leader,            // the partition is led by another broker
  leader_not_available,  // no live broker leads the partition (or group) now
  timeout,
  shutting_down,
};

const char* to_string(Errc code) noexcept;

struct Error {
  Errc code;
  std::string message;
};

// A value or an Error, in the spirit of std::expected (C++23).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }

 private:
  Error error_{};
  bool failed_ = false;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace junction
