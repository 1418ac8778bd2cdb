#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace junction::cluster {

// The inter-broker channel's own I/O threads, shared by its server and clients.
class PeerRuntime {
 public:
  explicit PeerRuntime(int threads);
  ~PeerRuntime();  // stop()s

  boost::asio::io_context& io();
  // Runs `tick` every `period` on a runtime thread until stop().
  void every(std::chrono::milliseconds period, std::function<void()> tick);
  // Stops the threads and joins them; pending handlers are dropped.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace junction::cluster
