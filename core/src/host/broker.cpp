#include "host/broker.hpp"

#include "junction/log.hpp"

namespace junction::host {
namespace {

const Logger& logger() {
  static const Logger instance{"host"};
  return instance;
}

}  // namespace

Broker::Broker(HostConfig& config) : config_(config), loader_(config.plugin_path) {}

Broker::~Broker() { stop(); }

Result<std::unique_ptr<Broker>> Broker::assemble(HostConfig& config) {
  std::unique_ptr<Broker> broker(new Broker(config));
  if (!config.coordination.plugin.empty()) {
    auto coordinator =
        broker->loader_.create_coordinator(config.coordination.plugin, config.coordination.config);
    if (coordinator) {
      broker->coordinator_ = std::move(coordinator.value());
    } else {
      config.errors->add(config.coordination.where + ": " + coordinator.error().message);
    }
  }
  for (auto& spec : config.transports) {
    if (spec.plugin.empty()) continue;
    auto transport = broker->loader_.create_transport(spec.plugin, spec.config);
    if (!transport) {
      config.errors->add(spec.where + ": " + transport.error().message);
      continue;
    }
    broker->transports_.push_back(std::move(transport.value()));
    broker->transport_names_.push_back(spec.plugin);
  }
  if (!config.errors->empty()) {
    return make_error(Errc::invalid_config, "the configuration " + config.source + " has errors");
  }
  return broker;
}

Result<void> Broker::start() {
  kernel::KernelOptions options;
  options.broker_id = config_.broker_id;
  options.data_dir = config_.data_dir;
  options.topic_defaults = config_.topic_defaults;
  options.auto_create_topics = config_.auto_create_topics;
  options.retention_check_interval_ms = config_.retention_check_interval_ms;
  options.respect_subscriptions = config_.respect_subscriptions;
  options.delivery = config_.delivery;
  // A clustered broker's topics are the cluster's: the ClusterKernel, not
  // the local kernel, registers them.
  options.coordinator = config_.cluster.enabled ? nullptr : coordinator_.get();
  auto opened = kernel::LocalKernel::open(std::move(options));
  if (!opened) return opened.error();
  kernel_ = std::move(opened.value());
  started_ = true;

  BrokerInfo self{config_.broker_id, {}};
  if (config_.cluster.enabled) {
    cluster::ClusterOptions cluster_options;
    cluster_options.broker_id = config_.broker_id;
    cluster_options.listen = config_.cluster.listen;
    cluster_options.advertised_listener = config_.cluster.advertised_listener;
    cluster_options.auto_create_topics = config_.auto_create_topics;
    cluster_options.default_partitions = config_.topic_defaults.partitions;
    auto cluster = cluster::ClusterKernel::create(*kernel_, *coordinator_, cluster_options);
    if (!cluster) return cluster.error();
    cluster_ = std::move(cluster.value());
    coordinator_->on_change(cluster_->change_callback());
    self.endpoints["cluster"] = cluster_->advertised_endpoint();
  }
  for (std::size_t i = 0; i < transports_.size(); ++i) {
    if (auto started = transports_[i]->start(kernel(), *coordinator_); !started) {
      return make_error(started.error().code,
                        "transport '" + transport_names_[i] + "': " + started.error().message);
    }
    // Two transports of one plugin (say two Kafka listeners) both register.
    std::string key = transport_names_[i];
    for (int n = 2; self.endpoints.contains(key); ++n)
      key = transport_names_[i] + "#" + std::to_string(n);
    self.endpoints[key] = transports_[i]->advertised_endpoint();
    logger().info() << "transport '" << transport_names_[i] << "' listening on "
                    << transports_[i]->advertised_endpoint();
  }
  if (auto joined = coordinator_->start(self); !joined) return joined.error();
  if (cluster_) {
    if (auto joined = cluster_->start(); !joined) return joined.error();
  }
  logger().info() << "broker " << config_.broker_id << " started with data_dir "
                  << config_.data_dir.string() << " and " << transports_.size() << " transport(s)";
  return {};
}

void Broker::stop() {
  if (!started_) return;
  started_ = false;
  for (auto& transport : transports_) transport->stop();
  if (cluster_) cluster_->stop();
  coordinator_->stop();
  cluster_.reset();
  kernel_.reset();
  logger().info() << "broker " << config_.broker_id << " stopped";
}

Kernel& Broker::kernel() {
  if (cluster_) return *cluster_;
  return *kernel_;
}

}  // namespace junction::host
