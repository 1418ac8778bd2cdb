#pragma once

#include <memory>
#include <vector>

#include "cluster/cluster_kernel.hpp"
#include "host/host_config.hpp"
#include "host/plugin_loader.hpp"
#include "kernel/local_kernel.hpp"

namespace junction::host {

// One junctiond: the plugins a config names, around one kernel.
class Broker {
 public:
  // Loads every plugin and lets each parse its table. Every problem found,
  // in the host's keys or a plugin's, is in config.errors afterwards; the
  // result is an error if there was any.
  static Result<std::unique_ptr<Broker>> assemble(HostConfig& config);
  ~Broker();

  // Opens the kernel, starts the transports, then joins the cluster. With
  // [cluster], transports get a ClusterKernel around the local one.
  Result<void> start();
  // Transports first (no new work), then the inter-broker channel, the
  // coordinator, and the kernel's final flush.
  void stop();

  // The kernel transports use.
  Kernel& kernel();

 private:
  explicit Broker(HostConfig& config);

  HostConfig& config_;
  PluginLoader loader_;
  std::shared_ptr<Coordinator> coordinator_;
  std::unique_ptr<kernel::LocalKernel> kernel_;
  std::unique_ptr<cluster::ClusterKernel> cluster_;
  std::vector<std::shared_ptr<Transport>> transports_;
  std::vector<std::string> transport_names_;
  bool started_ = false;
};

}  // namespace junction::host
