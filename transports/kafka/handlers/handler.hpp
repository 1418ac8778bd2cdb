#pragma once

// What a request handler sees: the decoded request header, the body to
// decode, and a Responder that takes the answer now or later (after a long
// poll, a rebalance or an fsync) from any thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/api_key.hpp"

namespace junction::kafka {

struct BrokerContext;

struct Request {
  ApiKey api_key{};
  std::int16_t api_version = 0;
  std::int32_t correlation_id = 0;
  std::optional<std::string> client_id;
  std::string_view body;  // the bytes after the header, owned by the session
  std::string peer;       // "address:port" of the client, for log lines
};

// The connection's side of a pending response; implemented by the session.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void complete(std::uint64_t slot, std::optional<std::string> body) = 0;
  virtual void reject(std::uint64_t slot, std::string reason) = 0;
  virtual void on_abandon(std::uint64_t slot, std::function<void()> cancel) = 0;
};

// Answers one request exactly once. Copyable so it can ride in callbacks.
class Responder {
 public:
  Responder(std::shared_ptr<ResponseSink> sink, std::uint64_t slot)
      : sink_(std::move(sink)), slot_(slot) {}

  // The response body: everything after the response header.
  void send(std::string body) const { sink_->complete(slot_, std::move(body)); }
  // Requests that take no answer (Produce with acks=0) still free their slot.
  void send_nothing() const { sink_->complete(slot_, std::nullopt); }
  // A request that cannot be decoded closes the connection with a log line.
  void reject(std::string reason) const { sink_->reject(slot_, std::move(reason)); }
  // Runs if the connection closes before the answer is sent, so a handler
  // can cancel a wait whose callback holds this Responder.
  void on_abandon(std::function<void()> cancel) const {
    sink_->on_abandon(slot_, std::move(cancel));
  }

 private:
  std::shared_ptr<ResponseSink> sink_;
  std::uint64_t slot_;
};

using HandlerFunction = void (*)(BrokerContext&, const Request&, Responder);

// One API this broker implements, with the versions it implements fully.
// The same table dispatches requests and answers ApiVersions, so what is
// advertised cannot drift from what is served.
struct HandlerEntry {
  ApiKey key;
  std::int16_t min_version;
  std::int16_t max_version;
  std::int16_t first_flexible_version;  // response header v1 from here; -1: none
  HandlerFunction handle;
};

std::span<const HandlerEntry> handler_table();
const HandlerEntry* find_handler(ApiKey key);

}  // namespace junction::kafka
