#include "zeromq_transport.hpp"

#include "io_loop.hpp"

namespace junction::zeromq {

ZeromqTransport::ZeromqTransport(ZeromqConfig config) : config_(std::move(config)) {}

ZeromqTransport::~ZeromqTransport() { stop(); }

Result<void> ZeromqTransport::start(Kernel& kernel, Coordinator&) {
  auto loop = std::make_unique<IoLoop>(config_, kernel);
  auto bound = loop->bind();
  if (!bound) return bound;
  loop_ = std::move(loop);
  thread_ = std::thread([loop = loop_.get()] { loop->run(); });
  return {};
}

void ZeromqTransport::stop() {
  if (!loop_) return;
  loop_->request_stop();
  if (thread_.joinable()) thread_.join();
  loop_.reset();
}

std::string ZeromqTransport::advertised_endpoint() const { return config_.listen; }

}  // namespace junction::zeromq
