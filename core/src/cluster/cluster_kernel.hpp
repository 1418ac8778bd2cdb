#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "cluster/composite_consumer.hpp"
#include "cluster/leadership_view.hpp"
#include "cluster/peer_client.hpp"
#include "cluster/peer_runtime.hpp"
#include "cluster/peer_server.hpp"
#include "cluster/peer_service.hpp"
#include "junction/config.hpp"
#include "junction/coordinator.hpp"
#include "junction/kernel.hpp"
#include "kernel/local_kernel.hpp"

namespace junction::cluster {

inline constexpr std::string_view kGroupsTopic = "__junction_groups";
inline constexpr std::int32_t kGroupsPartitions = 8;

struct ClusterOptions {
  std::int32_t broker_id = 0;
  HostPort listen;
  // "host:port" other brokers dial; empty: the bound address.
  std::string advertised_listener;
  bool auto_create_topics = true;
  // What create_topic(name, 0) asks the controller for ([topics] default_partitions).
  std::int32_t default_partitions = 1;
  int io_threads = 2;
  // How often subscriptions retry parts on brokers they lost.
  std::chrono::milliseconds reattach_interval{500};
};

// The kernel transports see in a cluster: it decorates this broker's
// LocalKernel (which holds a folder for every topic but data only for the
// partitions led here) and reaches the leaders of the other partitions over
// the inter-broker channel (docs/clustering.md).
class ClusterKernel final : public Kernel, private PeerService, private ConsumerRouting {
 public:
  // Starts the channel's server, so advertised_endpoint() is known before the
  // coordinator is started. `local` and `coordinator` must outlive it.
  static Result<std::unique_ptr<ClusterKernel>> create(kernel::LocalKernel& local,
                                                       Coordinator& coordinator,
                                                       ClusterOptions options);
  ~ClusterKernel() override;  // stop()s

  std::string advertised_endpoint() const { return advertised_; }
  // What to pass to Coordinator::on_change before the coordinator starts.
  std::function<void()> change_callback();
  // After coordinator->start(): registers this broker's recovered topics,
  // makes sure the groups topic exists, and syncs topics once.
  Result<void> start();
  // Closes the channel both ways; remote consumer parts end.
  void stop();

  Result<TopicInfo> create_topic(std::string_view name, std::int32_t partitions) override;
  Result<void> delete_topic(std::string_view name) override;
  Result<TopicInfo> describe_topic(std::string_view name) const override;
  Result<TopicInfo> ensure_topic(std::string_view name) override;
  std::vector<TopicInfo> list_topics() const override;
  Result<std::int32_t> choose_partition(std::string_view topic,
                                        const std::optional<std::string>& key) override;

  void produce(std::string_view topic, std::int32_t partition, std::vector<Record> records,
               ProduceCallback done) override;
  void produce_batch(std::string_view topic, std::int32_t partition, std::string batch,
                     ProduceCallback done) override;

  Result<FetchResult> fetch(std::string_view topic, std::int32_t partition, std::int64_t offset,
                            std::size_t max_bytes) const override;
  Result<PartitionOffsets> offsets(std::string_view topic, std::int32_t partition) const override;
  Result<std::optional<std::int64_t>> offset_for_timestamp(
      std::string_view topic, std::int32_t partition, std::int64_t timestamp_ms) const override;
  Result<std::shared_ptr<DataWait>> wait_for_data(std::string_view topic, std::int32_t partition,
                                                  std::int64_t offset,
                                                  std::chrono::steady_clock::time_point deadline,
                                                  std::function<void(bool)> wake) override;

  Result<std::shared_ptr<Consumer>> subscribe(const SubscriptionSpec& spec,
                                              const ConsumerOptions& options,
                                              DeliveryCallback deliver) override;
  Result<void> delete_subscription(std::string_view topic, std::string_view name) override;
  std::vector<SubscriptionInfo> list_subscriptions(std::string_view topic) const override;

  Result<void> commit_offset(std::string_view group, std::string_view topic, std::int32_t partition,
                             CommittedOffset offset) override;
  Result<std::optional<CommittedOffset>> committed_offset(std::string_view group,
                                                          std::string_view topic,
                                                          std::int32_t partition) const override;
  std::vector<std::string> list_groups() const override;
  Result<void> delete_group(std::string_view group) override;

  std::int32_t broker_id() const override { return options_.broker_id; }
  Result<PartitionLeader> partition_leader(std::string_view topic,
                                           std::int32_t partition) const override;
  Result<std::int32_t> group_coordinator(std::string_view group) const override;

  // Rebuilds the view, syncs local topics and re-attaches consumer parts.
  void on_coordinator_change();

 private:
  ClusterKernel(kernel::LocalKernel& local, Coordinator& coordinator, ClusterOptions options);

  // Where a produce to (topic, partition) goes: nullptr for here, else the
  // leader's client; an error if neither can take it now.
  Result<std::shared_ptr<PeerClient>> route_produce(std::string_view topic, std::int32_t partition);
  Result<void> require_local_leader(std::string_view topic, std::int32_t partition) const;
  Result<void> ensure_known(std::string_view topic);
  // Stores a subscription's dead letter in the cluster's topic, creating it
  // through the coordinator; runs on the channel's threads, never the caller's.
  void dead_letter(std::string topic, Record record, std::function<void(bool stored)> done);
  void sync_topics();
  void refresh_consumers();

  // PeerService
  void serve_produce(const std::string& topic, std::int32_t partition, std::string batch,
                     ProduceCallback done) override;
  void serve_produce_until(const std::string& topic, std::int32_t partition, std::string batch,
                           ProduceCallback done, std::chrono::steady_clock::time_point deadline);
  Result<std::shared_ptr<Consumer>> serve_subscribe(const SubscriptionSpec& spec,
                                                    const ConsumerOptions& options,
                                                    DeliveryCallback deliver) override;
  Result<void> serve_delete_subscription(std::string_view topic, std::string_view name) override;

  // ConsumerRouting
  std::int32_t self_id() const override { return options_.broker_id; }
  std::int32_t leader_of(std::string_view topic, std::int32_t partition) const override;
  std::vector<std::int32_t> remote_leaders(std::string_view topic) const override;
  std::shared_ptr<PeerClient> peer(std::int32_t broker) override;

  kernel::LocalKernel& local_;
  Coordinator& coordinator_;
  const ClusterOptions options_;
  std::mutex change_mutex_;
  LeadershipView view_;
  std::unique_ptr<PeerRuntime> runtime_;
  std::unique_ptr<PeerServer> server_;
  std::string advertised_;
  std::atomic<std::uint32_t> next_partition_{0};

  std::mutex peers_mutex_;
  std::map<std::int32_t, std::shared_ptr<PeerClient>> peers_;
  bool stopped_ = false;

  std::mutex consumers_mutex_;
  std::vector<std::weak_ptr<CompositeConsumer>> consumers_;

  // Serializes topic syncs; the names the coordinator has listed, so a local
  // topic is deleted only once the coordinator has known and dropped it.
  std::mutex sync_mutex_;
  std::set<std::string, std::less<>> known_topics_;
  bool started_ = false;
};

}  // namespace junction::cluster
