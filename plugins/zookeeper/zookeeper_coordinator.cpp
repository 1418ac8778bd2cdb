#include "zookeeper_coordinator.hpp"

#include "broker_registry.hpp"
#include "znode_json.hpp"

namespace junction::zookeeper {
namespace {

using namespace std::chrono_literals;

// A znode name: no '/', not "." or "..", no control characters.
bool is_valid_znode_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

// Topic changes wait for the worker to see their result, and the worker is
// the thread running the callback.
constexpr const char* kFromCallback =
    "create_topic and delete_topic cannot be called from the on_change callback: hand the work "
    "to another thread";

}  // namespace

ZooKeeperCoordinator::ZooKeeperCoordinator(ZooKeeperConfig config) : config_(std::move(config)) {}

ZooKeeperCoordinator::~ZooKeeperCoordinator() { stop(); }

Result<void> ZooKeeperCoordinator::start(const BrokerInfo& self) {
  self_ = self;
  stopping_ = false;
  controller_ = std::make_unique<Controller>(self.id, log_);
  auto session = join();
  if (!session) return session.error();
  {
    std::lock_guard lock(session_mutex_);
    session_ = session.value();
  }
  active_ = true;
  // Served from the first call on; a failure is retried by the worker.
  refresh(*session.value());
  log_.info() << "broker " << self.id << " joined the cluster at " << session.value()->describe();
  worker_ = std::thread([this] { run(); });
  return {};
}

void ZooKeeperCoordinator::stop() {
  stopping_ = true;
  active_ = false;
  queue_changed_.notify_all();
  cache_.wake_all();
  if (worker_.joinable()) worker_.join();
  std::shared_ptr<ZkSession> closing;
  {
    std::lock_guard lock(session_mutex_);
    closing.swap(session_);
  }
  // Closing the session removes its ephemeral znodes at once: the
  // registration goes and, on the controller, the election reopens.
  closing.reset();
  cache_.clear();
}

Result<std::shared_ptr<ZkSession>> ZooKeeperCoordinator::join() {
  const auto generation = ++generation_;
  auto opened = ZkSession::open(config_.connect, config_.root, config_.session_timeout,
                                [this, generation](SessionEvent event) {
                                  {
                                    std::lock_guard lock(queue_mutex_);
                                    queue_.push_back({generation, event});
                                  }
                                  queue_changed_.notify_one();
                                });
  if (!opened) return opened.error();
  std::shared_ptr<ZkSession> session = std::move(opened.value());
  for (const auto& path : {kBrokersPath, kTopicsPath, kCreateRequestsPath}) {
    if (int rc = session->create_parents(path); rc != ZOK) {
      return zk_error(Errc::io_error, rc, "create", session->describe() + path);
    }
  }
  // A session this broker gave up as lost may not have expired on the server
  // yet: its registration and controllership are ours to clear.
  if (lost_session_id_ != 0) {
    for (const auto& path : {broker_path(self_.id), kControllerPath}) {
      if (int rc = session->remove_if_owned_by(path, lost_session_id_); rc != ZOK) {
        return zk_error(Errc::io_error, rc, "delete", session->describe() + path);
      }
    }
  }
  auto registered = register_broker(
      *session, self_, config_.session_timeout, [this] { return stopping_.load(); }, log_);
  if (!registered) return registered.error();
  return session;
}

void ZooKeeperCoordinator::run() {
  using Clock = std::chrono::steady_clock;
  constexpr auto kNever = Clock::time_point::max();
  auto wake_at = kNever;  // when a retry, or the session's loss, is due
  auto disconnected_since = kNever;
  for (;;) {
    bool expired = false;
    bool reported = false;
    {
      std::unique_lock lock(queue_mutex_);
      const auto ready = [&] { return stopping_ || !queue_.empty(); };
      if (wake_at != kNever) {
        queue_changed_.wait_until(lock, wake_at, ready);
      } else {
        queue_changed_.wait(lock, ready);
      }
      if (stopping_) return;
      // Events are coalesced: one pass re-reads everything.
      for (const auto& queued : queue_) {
        if (queued.generation != generation_) continue;  // a closed session's
        reported = true;
        expired = expired || queued.event == SessionEvent::expired;
      }
      queue_.clear();
    }
    const auto now = Clock::now();
    if (!reported && now < wake_at) continue;
    wake_at = kNever;

    auto session = current_session();
    if (session && !expired && !session->connected()) {
      // The server expires a session on its own clock, and only once it runs
      // again: a broker cut off for a whole timeout must assume it happened,
      // since another broker may already lead its partitions.
      const auto timeout = session->negotiated_timeout();
      if (disconnected_since == kNever) disconnected_since = now;
      if (now - disconnected_since >= timeout) {
        log_.warn() << "no ZooKeeper server answered for the session timeout (" << timeout.count()
                    << " ms): the session counts as lost";
        expired = true;
      } else {
        wake_at = disconnected_since + timeout;
      }
    }
    if (expired) {
      disconnected_since = kNever;
      session.reset();  // the lost handle must close before the new one registers
      rejoin_after_expiry();
      session = current_session();
    }
    if (!session) {
      wake_at = Clock::now() + 250ms;
      continue;
    }
    const bool up = session->connected();
    if (up) disconnected_since = kNever;
    if (up != active_) {
      active_ = up;
      if (up) {
        log_.info() << "ZooKeeper session active again";
      } else {
        log_.warn() << "ZooKeeper session disconnected: leadership may be stale until it returns";
      }
      notify();
    }
    if (!up) {
      if (disconnected_since == kNever) {
        disconnected_since = Clock::now();
        wake_at = disconnected_since + session->negotiated_timeout();
      }
      continue;
    }
    const auto changed = refresh(*session);
    if (!changed) wake_at = Clock::now() + 250ms;
    if (changed.value_or(false)) notify();
  }
}

void ZooKeeperCoordinator::rejoin_after_expiry() {
  active_ = false;
  log_.warn() << "ZooKeeper session expired: leadership is stale until broker " << self_.id
              << " rejoins";
  {
    std::lock_guard lock(session_mutex_);
    lost_session_id_ = session_ ? session_->id() : lost_session_id_;
    session_.reset();
  }
  notify();
  while (!stopping_) {
    auto session = join();
    if (session) {
      std::lock_guard lock(session_mutex_);
      session_ = session.value();
      log_.info() << "broker " << self_.id << " rejoined the cluster with a new session";
      return;
    }
    log_.warn() << "cannot rejoin the cluster: " << session.error().message;
    std::unique_lock lock(queue_mutex_);
    queue_changed_.wait_for(lock, 1s, [&] { return stopping_.load(); });
  }
}

std::optional<bool> ZooKeeperCoordinator::refresh(ZkSession& session) {
  auto state = read_cluster_state(session);
  if (state && !state->controller && controller_->try_elect(session)) {
    state = read_cluster_state(session);
  }
  if (!state) {
    log_.debug() << "cannot read the cluster state: " << state.error().message;
    return std::nullopt;
  }
  if (state->controller_session == session.id()) controller_->act(session, *state);
  return cache_.replace(std::move(state.value()));
}

void ZooKeeperCoordinator::notify() {
  if (on_change_ && !stopping_) on_change_();
}

std::shared_ptr<ZkSession> ZooKeeperCoordinator::current_session() const {
  std::lock_guard lock(session_mutex_);
  return session_;
}

Result<TopicMetadata> ZooKeeperCoordinator::create_topic(std::string_view name,
                                                         std::int32_t partitions) {
  const std::string topic(name);
  if (!is_valid_znode_name(name)) {
    return make_error(Errc::invalid_argument, "invalid topic name '" + topic + "'");
  }
  if (partitions < 1) {
    return make_error(Errc::invalid_argument, "a topic needs at least one partition");
  }
  if (std::this_thread::get_id() == worker_.get_id()) {
    return make_error(Errc::invalid_argument, kFromCallback);
  }
  {
    auto session = current_session();
    if (!session) return make_error(Errc::shutting_down, "not joined to the cluster");
    const int exists = session->exists(kTopicsPath + "/" + topic, false);
    if (exists == ZOK) {
      return make_error(Errc::topic_exists, "topic '" + topic + "' already exists");
    }
    if (exists != ZNONODE)
      return zk_error(Errc::io_error, exists, "exists", kTopicsPath + "/" + topic);
    // The controller, whoever it is now or after a failover, answers the
    // request by writing /topics/<name>.
    const auto request = kCreateRequestsPath + "/" + topic;
    const int created = session->create(request, create_request_json(partitions), false);
    if (created != ZOK && created != ZNODEEXISTS) {
      return zk_error(Errc::io_error, created, "create", request);
    }
  }
  const auto wait = 2 * config_.session_timeout + 5s;
  cache_.wait(std::chrono::steady_clock::now() + wait,
              [&](const ClusterState& state) { return stopping_ || state.topics.contains(topic); });
  if (auto created = cache_.topic(topic)) return *created;
  if (stopping_) return make_error(Errc::shutting_down, "stopping");
  return make_error(Errc::timeout, "no controller created topic '" + topic + "' within " +
                                       std::to_string(wait.count()) + " ms");
}

Result<void> ZooKeeperCoordinator::delete_topic(std::string_view name) {
  const std::string topic(name);
  if (!is_valid_znode_name(name)) {
    return make_error(Errc::unknown_topic, "topic '" + topic + "' does not exist");
  }
  if (std::this_thread::get_id() == worker_.get_id()) {
    return make_error(Errc::invalid_argument, kFromCallback);
  }
  auto session = current_session();
  if (!session) return make_error(Errc::shutting_down, "not joined to the cluster");
  const auto path = kTopicsPath + "/" + topic;
  const int removed = session->remove(path);
  if (removed == ZNONODE) {
    return make_error(Errc::unknown_topic, "topic '" + topic + "' does not exist");
  }
  if (removed != ZOK) return zk_error(Errc::io_error, removed, "delete", path);
  session.reset();
  // Callers expect their own deletion to be visible when this returns.
  cache_.wait(
      std::chrono::steady_clock::now() + config_.session_timeout,
      [&](const ClusterState& state) { return stopping_ || !state.topics.contains(topic); });
  return {};
}

}  // namespace junction::zookeeper
