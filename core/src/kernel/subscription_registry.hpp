#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "junction/kernel.hpp"
#include "kernel/dispatcher.hpp"
#include "kernel/local_kernel_options.hpp"
#include "kernel/subscription.hpp"
#include "storage/group_offset_store.hpp"

namespace junction::kernel {

// Every subscription of the broker and the Kafka groups' committed offsets,
// with their durable state under data_dir (`~subscriptions/`,
// `~group-offsets`), the delivery threads and the ack-timeout clock.
class SubscriptionRegistry {
 public:
  SubscriptionRegistry(Kernel& kernel, DeliverySource& source, const KernelOptions& options);
  ~SubscriptionRegistry();  // persists and closes every subscription

  // Opens the group store and every durable subscription of a known topic.
  Result<void> recover();

  Result<std::shared_ptr<Consumer>> subscribe(const SubscriptionSpec& spec,
                                              const ConsumerOptions& options,
                                              DeliveryCallback deliver);
  Result<void> remove(std::string_view topic, std::string_view name);
  std::vector<SubscriptionInfo> list(std::string_view topic) const;
  // Forgets the topic's subscriptions and committed offsets.
  void topic_deleted(std::string_view topic);
  // The lowest offset a durable subscription of the partition still needs.
  std::int64_t retention_floor(std::string_view topic, std::int32_t partition) const;
  // Writes journals and the group store (the flusher's tick).
  void persist_all();

  Result<void> commit_offset(std::string_view group, std::string_view topic, std::int32_t partition,
                             const CommittedOffset& offset);
  Result<std::optional<CommittedOffset>> committed_offset(std::string_view group,
                                                          std::string_view topic,
                                                          std::int32_t partition) const;
  std::vector<std::string> list_groups() const;
  Result<void> delete_group(std::string_view group);

 private:
  using Key = std::pair<std::string, std::string>;
  Result<std::vector<storage::PartitionProgress>> start_progress(const TopicInfo& topic,
                                                                 const StartPosition& start);
  std::vector<std::shared_ptr<Subscription>> all() const;
  void run_expiry();

  Kernel& kernel_;
  DeliverySource& source_;
  const KernelOptions options_;
  const std::filesystem::path root_;
  std::unique_ptr<storage::GroupOffsetStore> groups_;

  std::mutex create_mutex_;
  mutable std::mutex mutex_;
  std::map<Key, std::shared_ptr<Subscription>, std::less<>> named_;
  std::set<std::shared_ptr<Subscription>> private_;

  std::mutex expiry_mutex_;
  std::condition_variable expiry_wakeup_;
  bool stopping_ = false;
  // Declared last: its threads use everything above.
  Dispatcher dispatcher_;
  std::thread expiry_thread_;
};

}  // namespace junction::kernel
