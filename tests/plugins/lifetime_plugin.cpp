// A transport built with -fno-gnu-unique, so its library really unloads when
// the host lets go of it: using an object after its library is gone crashes.
#include <string>

#include "junction/plugin.hpp"

namespace {

class LifetimeTransport final : public junction::Transport {
 public:
  explicit LifetimeTransport(junction::ConfigSection& config)
      : endpoint_(config.string("endpoint", "lifetime:0")) {
    config.reject_unknown_keys();
  }
  junction::Result<void> start(junction::Kernel&, junction::Coordinator&) override { return {}; }
  void stop() override {}
  std::string advertised_endpoint() const override {
    // A function-local static is what g++ normally marks unique.
    static const std::string prefix = "endpoint=";
    return prefix + endpoint_;
  }

 private:
  std::string endpoint_;
};

std::unique_ptr<junction::Transport> create(junction::ConfigSection& config) {
  return std::make_unique<LifetimeTransport>(config);
}

}  // namespace

JUNCTION_TRANSPORT_PLUGIN("lifetime", "test plugin for library lifetime", create)
