#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "junction/coordinator.hpp"
#include "junction/kernel.hpp"
#include "kernel/data_waits.hpp"
#include "kernel/flusher.hpp"
#include "kernel/local_kernel_options.hpp"
#include "kernel/subscription.hpp"
#include "kernel/subscription_registry.hpp"
#include "storage/partition_log.hpp"

namespace junction::kernel {

// The kernel of one broker: its topics and their partition logs under
// data_dir (`<topic>/<partition>/`), the waits of long-polling readers, and the
// flusher thread.
class LocalKernel final : public Kernel, private DeliverySource {
 public:
  // Locks data_dir against a second broker and recovers every topic in it.
  static Result<std::unique_ptr<LocalKernel>> open(KernelOptions options);
  ~LocalKernel() override;  // flushes everything

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
                                                  std::int64_t offset, Clock::time_point deadline,
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
  Result<std::int32_t> group_coordinator(std::string_view) const override {
    return options_.broker_id;
  }

  // Where subscriptions' dead letters go: by default this kernel's own
  // topic; a cluster routes them so the topic is the whole cluster's.
  // `route` must return at once; empty restores the default.
  using DeadLetterRoute =
      std::function<void(const std::string& topic, Record, std::function<void(bool stored)>)>;
  void route_dead_letters(DeadLetterRoute route);

  // fsyncs every partition with unflushed data.
  void flush_all();
  // Applies retention to every partition now (the flusher also does it on
  // its tick).
  void enforce_retention();

 private:
  struct Partition;
  struct Topic;

  explicit LocalKernel(KernelOptions options, int lock_fd);
  Result<void> recover_topics();
  Result<std::shared_ptr<Topic>> find_topic(std::string_view name) const;
  Result<std::shared_ptr<Topic>> find_or_create_topic(std::string_view name);
  static std::int32_t partition_of(Topic& topic, const std::optional<std::string>& key);
  Result<Partition*> find_partition(const Topic& topic, std::int32_t partition) const;
  void append(const std::shared_ptr<Topic>& topic, std::int32_t partition, std::string batch,
              std::int64_t now_ms, ProduceCallback done);
  void periodic_work();

  // DeliverySource
  Result<std::shared_ptr<const DecodedBatch>> decoded_batch(const std::string& topic,
                                                            std::int32_t partition,
                                                            std::int64_t offset) override;
  Result<PartitionOffsets> partition_offsets(const std::string& topic,
                                             std::int32_t partition) override;
  Result<std::shared_ptr<DataWait>> wait_for_new_data(const std::string& topic,
                                                      std::int32_t partition, std::int64_t offset,
                                                      std::function<void()> wake) override;
  void dead_letter(const std::string& topic, Record record,
                   std::function<void(bool stored)> done) override;

  const KernelOptions options_;
  const int lock_fd_;
  std::mutex create_mutex_;
  mutable std::shared_mutex topics_mutex_;
  std::map<std::string, std::shared_ptr<Topic>, std::less<>> topics_;
  DeadlineTimer deadlines_;
  std::unique_ptr<SubscriptionRegistry> subscriptions_;
  std::atomic<std::int64_t> last_retention_ms_{0};
  std::atomic<std::uint64_t> deleted_count_{0};
  mutable std::mutex dead_letter_mutex_;
  DeadLetterRoute dead_letter_route_;
  // Last member: its thread calls back into the members above.
  std::unique_ptr<Flusher> flusher_;
};

}  // namespace junction::kernel
