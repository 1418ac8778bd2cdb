#include "cluster/cluster_kernel.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "cluster/cluster_logger.hpp"
#include "junction/log.hpp"
#include "junction/partitioner.hpp"
#include "junction/record_batch.hpp"
#include "kernel/dead_letter_store.hpp"
#include "kernel/wall_clock.hpp"

namespace junction::cluster {
namespace {

using namespace std::chrono_literals;

// How long a leader waits for its view to learn a topic a peer produces to.
constexpr auto kViewCatchUp = 5s;
constexpr auto kViewPoll = 20ms;

std::string partition_name(std::string_view topic, std::int32_t partition) {
  return "partition " + std::to_string(partition) + " of topic '" + std::string(topic) + "'";
}

}  // namespace

Result<std::unique_ptr<ClusterKernel>> ClusterKernel::create(kernel::LocalKernel& local,
                                                             Coordinator& coordinator,
                                                             ClusterOptions options) {
  std::unique_ptr<ClusterKernel> cluster(new ClusterKernel(local, coordinator, std::move(options)));
  auto server = PeerServer::listen(*cluster->runtime_, cluster->options_.listen,
                                   cluster->options_.broker_id, *cluster);
  if (!server) return server.error();
  cluster->server_ = std::move(server.value());
  cluster->advertised_ = cluster->options_.advertised_listener.empty()
                             ? cluster->server_->bound_endpoint()
                             : cluster->options_.advertised_listener;
  cluster->runtime_->every(cluster->options_.reattach_interval,
                           [raw = cluster.get()] { raw->refresh_consumers(); });
  local.route_dead_letters([raw = cluster.get()](const std::string& topic, Record record,
                                                 std::function<void(bool)> done) {
    raw->dead_letter(topic, std::move(record), std::move(done));
  });
  logger().info() << "inter-broker channel of broker " << cluster->options_.broker_id
                  << " listening on " << cluster->server_->bound_endpoint();
  return cluster;
}

ClusterKernel::ClusterKernel(kernel::LocalKernel& local, Coordinator& coordinator,
                             ClusterOptions options)
    : local_(local),
      coordinator_(coordinator),
      options_(std::move(options)),
      runtime_(std::make_unique<PeerRuntime>(options_.io_threads)) {}

ClusterKernel::~ClusterKernel() { stop(); }

std::function<void()> ClusterKernel::change_callback() {
  return [this] { on_coordinator_change(); };
}

Result<void> ClusterKernel::start() {
  for (const auto& topic : local_.list_topics()) {
    auto registered = coordinator_.create_topic(topic.name, topic.partitions);
    if (!registered && registered.error().code != Errc::topic_exists) {
      return make_error(registered.error().code, "cannot register recovered topic '" + topic.name +
                                                     "': " + registered.error().message);
    }
    if (registered) view_.learn(*registered);
  }
  auto groups = coordinator_.create_topic(kGroupsTopic, kGroupsPartitions);
  if (!groups && groups.error().code != Errc::topic_exists) {
    return make_error(groups.error().code, "cannot create the topic '" + std::string(kGroupsTopic) +
                                               "': " + groups.error().message);
  }
  {
    std::lock_guard lock(sync_mutex_);
    started_ = true;
  }
  on_coordinator_change();
  return {};
}

void ClusterKernel::stop() {
  std::map<std::int32_t, std::shared_ptr<PeerClient>> peers;
  {
    std::lock_guard lock(peers_mutex_);
    if (stopped_) return;
    stopped_ = true;
    peers = std::move(peers_);
    peers_.clear();
  }
  local_.route_dead_letters(nullptr);
  if (server_) server_->stop();
  for (auto& [id, client] : peers) client->close();
  runtime_->stop();
}

void ClusterKernel::on_coordinator_change() {
  // One change at a time, so an older snapshot never replaces a newer one.
  std::lock_guard changing(change_mutex_);
  view_.rebuild(coordinator_);
  sync_topics();
  const auto view = view_.snapshot();
  std::vector<std::shared_ptr<PeerClient>> gone;
  {
    std::lock_guard lock(peers_mutex_);
    for (auto it = peers_.begin(); it != peers_.end();) {
      auto broker = view->brokers.find(it->first);
      if (broker == view->brokers.end() || !broker->second.endpoints.contains("cluster")) {
        gone.push_back(std::move(it->second));
        it = peers_.erase(it);
        continue;
      }
      it->second->set_endpoint(broker->second.endpoints.at("cluster"));
      ++it;
    }
  }
  // Streams from brokers that left end now; their parts come back with them.
  for (auto& client : gone) client->close();
  refresh_consumers();
}

void ClusterKernel::sync_topics() {
  const auto view = view_.snapshot();
  std::lock_guard lock(sync_mutex_);
  for (const auto& [name, topic] : view->topics) {
    known_topics_.insert(name);
    const auto partitions = std::int32_t(topic.partitions.size());
    auto existing = local_.describe_topic(name);
    if (existing) {
      if (existing->partitions != partitions) {
        logger().warn() << "topic '" << name << "' has " << existing->partitions
                        << " partitions here but " << partitions << " in the cluster";
      }
      continue;
    }
    auto created = local_.create_topic(name, partitions);
    if (!created && created.error().code != Errc::topic_exists) {
      logger().error() << "cannot create topic '" << name
                       << "' locally: " << created.error().message;
    }
  }
  // Only what the coordinator once listed and has dropped is deleted: a
  // topic it never knew (recovered before start) is not the cluster's loss.
  if (!started_) return;
  for (const auto& topic : local_.list_topics()) {
    if (view->topics.contains(topic.name) || !known_topics_.contains(topic.name)) continue;
    known_topics_.erase(topic.name);
    if (auto deleted = local_.delete_topic(topic.name); !deleted) {
      logger().warn() << "cannot delete topic '" << topic.name
                      << "' locally: " << deleted.error().message;
    } else {
      logger().info() << "deleted topic '" << topic.name << "', gone from the cluster";
    }
  }
}

void ClusterKernel::refresh_consumers() {
  std::vector<std::shared_ptr<CompositeConsumer>> live;
  {
    std::lock_guard lock(consumers_mutex_);
    std::erase_if(consumers_, [&live](const std::weak_ptr<CompositeConsumer>& weak) {
      auto consumer = weak.lock();
      if (!consumer || consumer->detached()) return true;
      live.push_back(std::move(consumer));
      return false;
    });
  }
  for (auto& consumer : live) consumer->refresh();
}

Result<TopicInfo> ClusterKernel::create_topic(std::string_view name, std::int32_t partitions) {
  if (auto valid = validate_topic_name(name); !valid) return valid.error();
  if (partitions < 0) return make_error(Errc::invalid_argument, "a negative partition count");
  if (partitions == 0) partitions = options_.default_partitions;
  auto created = coordinator_.create_topic(name, partitions);
  if (!created) return created.error();
  view_.learn(*created);
  {
    std::lock_guard lock(sync_mutex_);
    known_topics_.emplace(name);
  }
  const auto count = std::int32_t(created->partitions.size());
  auto local = local_.create_topic(name, count);
  if (!local && local.error().code != Errc::topic_exists) return local.error();
  return local_.describe_topic(name);
}

Result<void> ClusterKernel::delete_topic(std::string_view name) {
  auto removed = coordinator_.delete_topic(name);
  if (!removed && removed.error().code != Errc::unknown_topic) return removed.error();
  view_.forget(name);
  auto local = local_.delete_topic(name);
  if (!removed && !local) return removed.error();
  return {};
}

Result<TopicInfo> ClusterKernel::describe_topic(std::string_view name) const {
  return local_.describe_topic(name);
}

Result<TopicInfo> ClusterKernel::ensure_topic(std::string_view name) {
  if (auto known = ensure_known(name); !known) return known.error();
  return local_.describe_topic(name);
}

Result<void> ClusterKernel::ensure_known(std::string_view name) {
  if (!view_.assignment(name, 0) || !local_.describe_topic(name)) {
    auto topic = coordinator_.topic(name);
    if (!topic) {
      if (!options_.auto_create_topics) {
        return make_error(Errc::unknown_topic, "topic '" + std::string(name) + "' does not exist");
      }
      auto created = create_topic(name, 0);
      if (created || created.error().code != Errc::topic_exists) {
        if (!created) return created.error();
        return {};
      }
      // Another broker created it first: take its assignment.
      topic = coordinator_.topic(name);
      if (!topic) {
        return make_error(Errc::leader_not_available,
                          "topic '" + std::string(name) + "' is being created");
      }
    }
    view_.learn(*topic);
    auto local = local_.create_topic(name, std::int32_t(topic->partitions.size()));
    if (!local && local.error().code != Errc::topic_exists) return local.error();
  }
  return {};
}

std::vector<TopicInfo> ClusterKernel::list_topics() const { return local_.list_topics(); }

Result<std::int32_t> ClusterKernel::choose_partition(std::string_view name,
                                                     const std::optional<std::string>& key) {
  if (auto known = ensure_known(name); !known) return known.error();
  const auto view = view_.snapshot();
  auto topic = view->topics.find(name);
  if (topic == view->topics.end()) {
    return make_error(Errc::unknown_topic, "topic '" + std::string(name) + "' does not exist");
  }
  const auto& partitions = topic->second.partitions;
  if (key) return partition_for_key(*key, std::int32_t(partitions.size()));
  std::vector<std::int32_t> led;
  for (const auto& assignment : partitions) {
    if (assignment.leader >= 0) led.push_back(assignment.partition);
  }
  if (led.empty()) {
    return make_error(Errc::leader_not_available,
                      "no partition of topic '" + std::string(name) + "' has a live leader");
  }
  return led[next_partition_.fetch_add(1, std::memory_order_relaxed) % led.size()];
}

Result<std::shared_ptr<PeerClient>> ClusterKernel::route_produce(std::string_view topic,
                                                                 std::int32_t partition) {
  auto assignment = view_.assignment(topic, partition);
  if (!assignment) return assignment.error();
  const auto leader = assignment->leader;
  if (leader == options_.broker_id) {
    if (!coordinator_.session_active()) {
      return make_error(Errc::leader_not_available,
                        partition_name(topic, partition) +
                            " cannot be written: this broker's coordination session is not active");
    }
    return std::shared_ptr<PeerClient>();
  }
  if (leader < 0) {
    return make_error(Errc::leader_not_available,
                      partition_name(topic, partition) + " has no live leader");
  }
  auto client = peer(leader);
  if (!client) {
    return make_error(Errc::leader_not_available,
                      partition_name(topic, partition) + " is led by broker " +
                          std::to_string(leader) + ", which cannot be reached");
  }
  return client;
}

void ClusterKernel::produce(std::string_view topic, std::int32_t partition,
                            std::vector<Record> records, ProduceCallback done) {
  if (records.empty()) {
    return done(make_error(Errc::invalid_argument, "produce needs at least one record"));
  }
  if (auto known = ensure_known(topic); !known) return done(known.error());
  if (partition == kAnyPartition) {
    auto chosen = choose_partition(topic, records.front().key);
    if (!chosen) return done(chosen.error());
    partition = *chosen;
  }
  auto route = route_produce(topic, partition);
  if (!route) return done(route.error());
  if (!*route) return local_.produce(topic, partition, std::move(records), std::move(done));
  // Stamped here: a record's time is when this broker received it.
  batch::EncodeOptions encode_options;
  encode_options.default_timestamp_ms = kernel::wall_clock_ms();
  auto encoded = batch::encode(records, encode_options);
  if (!encoded) return done(encoded.error());
  (*route)->produce(std::string(topic), partition, std::move(encoded.value()), std::move(done));
}

void ClusterKernel::produce_batch(std::string_view topic, std::int32_t partition, std::string batch,
                                  ProduceCallback done) {
  if (auto known = ensure_known(topic); !known) return done(known.error());
  if (partition == kAnyPartition) {
    auto records = batch::decode(batch);
    if (!records) return done(records.error());
    if (records->empty()) {
      return done(make_error(Errc::invalid_argument, "produce needs at least one record"));
    }
    auto chosen = choose_partition(topic, records->front().record.key);
    if (!chosen) return done(chosen.error());
    partition = *chosen;
  }
  auto route = route_produce(topic, partition);
  if (!route) return done(route.error());
  if (!*route) return local_.produce_batch(topic, partition, std::move(batch), std::move(done));
  (*route)->produce(std::string(topic), partition, std::move(batch), std::move(done));
}

void ClusterKernel::dead_letter(std::string topic, Record record,
                                std::function<void(bool stored)> done) {
  // Creating the topic waits for the controller: not on a dispatcher thread.
  boost::asio::post(runtime_->io(), [this, topic = std::move(topic), record = std::move(record),
                                     done = std::move(done)]() mutable {
    kernel::store_dead_letter(*this, topic, std::move(record), std::move(done));
  });
}

Result<void> ClusterKernel::require_local_leader(std::string_view topic,
                                                 std::int32_t partition) const {
  auto leader = partition_leader(topic, partition);
  if (!leader) return leader.error();
  if (leader->local) return {};
  if (leader->broker_id < 0) {
    return make_error(Errc::leader_not_available,
                      partition_name(topic, partition) + " has no live leader");
  }
  if (leader->broker_id == options_.broker_id) {
    return make_error(Errc::not_leader, partition_name(topic, partition) +
                                            ": this broker's coordination session is not active");
  }
  return make_error(Errc::not_leader, partition_name(topic, partition) + " is led by broker " +
                                          std::to_string(leader->broker_id));
}

Result<FetchResult> ClusterKernel::fetch(std::string_view topic, std::int32_t partition,
                                         std::int64_t offset, std::size_t max_bytes) const {
  if (auto led = require_local_leader(topic, partition); !led) return led.error();
  return local_.fetch(topic, partition, offset, max_bytes);
}

Result<PartitionOffsets> ClusterKernel::offsets(std::string_view topic,
                                                std::int32_t partition) const {
  if (auto led = require_local_leader(topic, partition); !led) return led.error();
  return local_.offsets(topic, partition);
}

Result<std::optional<std::int64_t>> ClusterKernel::offset_for_timestamp(
    std::string_view topic, std::int32_t partition, std::int64_t timestamp_ms) const {
  if (auto led = require_local_leader(topic, partition); !led) return led.error();
  return local_.offset_for_timestamp(topic, partition, timestamp_ms);
}

Result<std::shared_ptr<DataWait>> ClusterKernel::wait_for_data(
    std::string_view topic, std::int32_t partition, std::int64_t offset,
    std::chrono::steady_clock::time_point deadline, std::function<void(bool)> wake) {
  if (auto led = require_local_leader(topic, partition); !led) return led.error();
  return local_.wait_for_data(topic, partition, offset, deadline, std::move(wake));
}

Result<std::shared_ptr<Consumer>> ClusterKernel::subscribe(const SubscriptionSpec& spec,
                                                           const ConsumerOptions& options,
                                                           DeliveryCallback deliver) {
  if (auto known = ensure_known(spec.topic); !known) return known.error();
  auto composite = std::make_shared<CompositeConsumer>(static_cast<ConsumerRouting&>(*this), spec,
                                                       options, std::move(deliver));
  auto local = local_.subscribe(spec, options, composite->part_delivery());
  if (!local) return local.error();
  composite->set_local(std::move(local.value()));
  composite->refresh();
  {
    std::lock_guard lock(consumers_mutex_);
    consumers_.push_back(composite);
  }
  return std::shared_ptr<Consumer>(std::move(composite));
}

Result<void> ClusterKernel::delete_subscription(std::string_view topic, std::string_view name) {
  const auto view = view_.snapshot();
  for (const auto& [id, broker] : view->brokers) {
    if (id == options_.broker_id) continue;
    auto client = peer(id);
    if (!client) continue;
    client->delete_subscription(
        std::string(topic), std::string(name),
        [id, topic = std::string(topic), name = std::string(name)](Result<void> deleted) {
          if (!deleted) {
            logger().debug() << "broker " << id << " did not delete subscription '" << name
                             << "' of topic '" << topic << "': " << deleted.error().message;
          }
        });
  }
  return local_.delete_subscription(topic, name);
}

std::vector<SubscriptionInfo> ClusterKernel::list_subscriptions(std::string_view topic) const {
  return local_.list_subscriptions(topic);
}

Result<void> ClusterKernel::commit_offset(std::string_view group, std::string_view topic,
                                          std::int32_t partition, CommittedOffset offset) {
  return local_.commit_offset(group, topic, partition, std::move(offset));
}

Result<std::optional<CommittedOffset>> ClusterKernel::committed_offset(
    std::string_view group, std::string_view topic, std::int32_t partition) const {
  return local_.committed_offset(group, topic, partition);
}

std::vector<std::string> ClusterKernel::list_groups() const { return local_.list_groups(); }

Result<void> ClusterKernel::delete_group(std::string_view group) {
  return local_.delete_group(group);
}

Result<PartitionLeader> ClusterKernel::partition_leader(std::string_view topic,
                                                        std::int32_t partition) const {
  auto assignment = view_.assignment(topic, partition);
  if (!assignment) return assignment.error();
  PartitionLeader leader;
  leader.broker_id = assignment->leader;
  leader.leader_epoch = assignment->leader_epoch;
  leader.local = assignment->leader == options_.broker_id && coordinator_.session_active();
  return leader;
}

Result<std::int32_t> ClusterKernel::group_coordinator(std::string_view group) const {
  const auto partition = partition_for_key(group, kGroupsPartitions);
  auto assignment = view_.assignment(kGroupsTopic, partition);
  if (!assignment || assignment->leader < 0) {
    return make_error(Errc::leader_not_available,
                      "the coordinator of group '" + std::string(group) + "' (" +
                          partition_name(kGroupsTopic, partition) + ") has no live leader");
  }
  return assignment->leader;
}

void ClusterKernel::serve_produce(const std::string& topic, std::int32_t partition,
                                  std::string batch, ProduceCallback done) {
  serve_produce_until(topic, partition, std::move(batch), std::move(done),
                      std::chrono::steady_clock::now() + kViewCatchUp);
}

void ClusterKernel::serve_produce_until(const std::string& topic, std::int32_t partition,
                                        std::string batch, ProduceCallback done,
                                        std::chrono::steady_clock::time_point deadline) {
  auto leader = partition_leader(topic, partition);
  if (!leader && leader.error().code == Errc::unknown_topic &&
      std::chrono::steady_clock::now() < deadline) {
    // The sender saw the topic created a moment ago; this broker's view has
    // not caught up yet. Waiting a little beats refusing a fresh topic.
    auto timer = std::make_shared<boost::asio::steady_timer>(runtime_->io(), kViewPoll);
    timer->async_wait([this, timer, topic, partition, batch = std::move(batch),
                       done = std::move(done), deadline](boost::system::error_code) mutable {
      serve_produce_until(topic, partition, std::move(batch), std::move(done), deadline);
    });
    return;
  }
  if (!leader) return done(leader.error());
  if (!leader->local) {
    return done(make_error(Errc::not_leader, partition_name(topic, partition) +
                                                 " is not led by broker " +
                                                 std::to_string(options_.broker_id)));
  }
  if (!local_.describe_topic(topic)) sync_topics();
  local_.produce_batch(topic, partition, std::move(batch), std::move(done));
}

Result<std::shared_ptr<Consumer>> ClusterKernel::serve_subscribe(const SubscriptionSpec& spec,
                                                                 const ConsumerOptions& options,
                                                                 DeliveryCallback deliver) {
  auto topic = view_.assignment(spec.topic, 0);
  if (!topic) return topic.error();
  if (!local_.describe_topic(spec.topic)) sync_topics();
  return local_.subscribe(spec, options, std::move(deliver));
}

Result<void> ClusterKernel::serve_delete_subscription(std::string_view topic,
                                                      std::string_view name) {
  return local_.delete_subscription(topic, name);
}

std::int32_t ClusterKernel::leader_of(std::string_view topic, std::int32_t partition) const {
  auto assignment = view_.assignment(topic, partition);
  return assignment ? assignment->leader : -1;
}

std::vector<std::int32_t> ClusterKernel::remote_leaders(std::string_view topic) const {
  const auto view = view_.snapshot();
  std::set<std::int32_t> leaders;
  auto found = view->topics.find(topic);
  if (found == view->topics.end()) return {};
  for (const auto& assignment : found->second.partitions) {
    if (assignment.leader >= 0 && assignment.leader != options_.broker_id &&
        view->brokers.contains(assignment.leader)) {
      leaders.insert(assignment.leader);
    }
  }
  return {leaders.begin(), leaders.end()};
}

std::shared_ptr<PeerClient> ClusterKernel::peer(std::int32_t broker) {
  auto info = view_.live_broker(broker);
  if (!info) return nullptr;
  auto endpoint = info->endpoints.find("cluster");
  if (endpoint == info->endpoints.end()) return nullptr;
  std::lock_guard lock(peers_mutex_);
  if (stopped_) return nullptr;
  auto& client = peers_[broker];
  if (!client) {
    client = std::make_shared<PeerClient>(*runtime_, options_.broker_id, broker);
    client->set_endpoint(endpoint->second);
  }
  return client;
}

}  // namespace junction::cluster
