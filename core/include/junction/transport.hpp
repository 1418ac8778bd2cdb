#pragma once

#include <string>

#include "junction/result.hpp"

namespace junction {

class Kernel;
class Coordinator;

// A protocol front end. Built by its plugin's factory from its config table
// (parsing only: no sockets, no threads), then started with the kernel.
class Transport {
 public:
  virtual ~Transport() = default;

  // Binds and starts its own I/O threads; the references outlive stop().
  virtual Result<void> start(Kernel& kernel, Coordinator& coordinator) = 0;
  // Stops accepting, lets in-flight requests finish, closes connections.
  virtual void stop() = 0;
  // "host:port" (or URL) clients should use; valid after start().
  virtual std::string advertised_endpoint() const = 0;
};

}  // namespace junction
