#pragma once

#include <memory>
#include <string>
#include <thread>

#include "junction/transport.hpp"
#include "zeromq_config.hpp"

namespace junction::zeromq {

class IoLoop;

// One I/O thread owns every socket of the transport; kernel threads reach it
// only through its mailbox.
class ZeromqTransport final : public Transport {
 public:
  explicit ZeromqTransport(ZeromqConfig config);
  ~ZeromqTransport() override;

  Result<void> start(Kernel& kernel, Coordinator& coordinator) override;
  void stop() override;
  std::string advertised_endpoint() const override;

 private:
  ZeromqConfig config_;
  std::unique_ptr<IoLoop> loop_;
  std::thread thread_;
};

}  // namespace junction::zeromq
