#include "zk_session.hpp"

#include <cerrno>
#include <cstring>

#include "junction/log.hpp"

namespace junction::zookeeper {
namespace {

// The client logs each failed connection attempt (many per second while a
// server is down) as an error: its messages go to the debug level of the
// broker's log, and the plugin reports what matters itself.
void log_client_message(const char* message) {
  static const Logger logger{"zookeeper-client"};
  logger.debug() << message;
}

void route_client_log() {
  static std::once_flag once;
  std::call_once(once, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR); });
}

}  // namespace

ZkSession::ZkSession(std::string root, std::string description, EventSink sink)
    : root_(root == "/" ? "" : std::move(root)),
      description_(std::move(description)),
      sink_(std::move(sink)) {}

Result<std::unique_ptr<ZkSession>> ZkSession::open(const std::string& connect, std::string root,
                                                   std::chrono::milliseconds timeout,
                                                   EventSink sink) {
  route_client_log();
  const std::string description = connect + (root == "/" ? "" : root);
  std::unique_ptr<ZkSession> session(new ZkSession(std::move(root), description, std::move(sink)));
  session->handle_ =
      zookeeper_init2(connect.c_str(), &ZkSession::on_watch, static_cast<int>(timeout.count()),
                      nullptr, session.get(), 0, &log_client_message);
  if (!session->handle_) {
    return make_error(Errc::invalid_config,
                      "cannot use ZooKeeper connect string '" + connect + "': " + strerror(errno));
  }
  std::unique_lock lock(session->mutex_);
  const bool up = session->changed_.wait_for(lock, timeout, [&] {
    return session->state_ == ZOO_CONNECTED_STATE || session->state_ == ZOO_EXPIRED_SESSION_STATE ||
           session->state_ == ZOO_AUTH_FAILED_STATE;
  });
  if (!up || session->state_ != ZOO_CONNECTED_STATE) {
    lock.unlock();
    return make_error(Errc::io_error, "cannot connect to ZooKeeper at " + connect + " within " +
                                          std::to_string(timeout.count()) +
                                          " ms (session_timeout_ms): is the server running?");
  }
  return session;
}

ZkSession::~ZkSession() {
  if (handle_) zookeeper_close(handle_);
}

void ZkSession::on_watch(zhandle_t*, int type, int state, const char*, void* context) {
  auto* self = static_cast<ZkSession*>(context);
  {
    std::lock_guard lock(self->mutex_);
    if (type == ZOO_SESSION_EVENT) self->state_ = state;
    ++self->events_;
  }
  self->changed_.notify_all();
  if (!self->sink_) return;
  if (type != ZOO_SESSION_EVENT) {
    self->sink_(SessionEvent::node_changed);
  } else if (state == ZOO_CONNECTED_STATE) {
    self->sink_(SessionEvent::connected);
  } else if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
    self->sink_(SessionEvent::expired);
  } else {
    self->sink_(SessionEvent::disconnected);
  }
}

bool ZkSession::connected() const {
  std::lock_guard lock(mutex_);
  return state_ == ZOO_CONNECTED_STATE;
}

std::int64_t ZkSession::id() const { return zoo_client_id(handle_)->client_id; }

std::chrono::milliseconds ZkSession::negotiated_timeout() const {
  return std::chrono::milliseconds(zoo_recv_timeout(handle_));
}

std::string ZkSession::full_path(const std::string& path) const { return root_ + path; }

int ZkSession::create(const std::string& path, const std::string& data, bool ephemeral) {
  return zoo_create(handle_, full_path(path).c_str(), data.data(), static_cast<int>(data.size()),
                    &ZOO_OPEN_ACL_UNSAFE, ephemeral ? ZOO_EPHEMERAL : ZOO_PERSISTENT, nullptr, 0);
}

int ZkSession::create_parents(const std::string& path) {
  // Walks the absolute path, root included: the root may not exist yet.
  const std::string full = full_path(path);
  for (std::size_t slash = full.find('/', 1);; slash = full.find('/', slash + 1)) {
    const std::string prefix = full.substr(0, slash);
    const int rc = zoo_create(handle_, prefix.c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE,
                              ZOO_PERSISTENT, nullptr, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) return rc;
    if (slash == std::string::npos) return ZOK;
  }
}

int ZkSession::get(const std::string& path, bool watch, ZNode& node) {
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    int length = static_cast<int>(buffer.size());
    const int rc = zoo_get(handle_, full_path(path).c_str(), watch ? 1 : 0, buffer.data(), &length,
                           &node.stat);
    if (rc != ZOK) return rc;
    if (node.stat.dataLength <= static_cast<int>(buffer.size())) {
      node.data.assign(buffer.data(), length < 0 ? 0 : length);
      return ZOK;
    }
    buffer.resize(node.stat.dataLength);
  }
}

int ZkSession::exists(const std::string& path, bool watch, Stat* stat) {
  Stat ignored{};
  return zoo_exists(handle_, full_path(path).c_str(), watch ? 1 : 0, stat ? stat : &ignored);
}

int ZkSession::children(const std::string& path, bool watch, std::vector<std::string>& names) {
  String_vector strings{};
  const int rc = zoo_get_children(handle_, full_path(path).c_str(), watch ? 1 : 0, &strings);
  if (rc != ZOK) return rc;
  names.assign(strings.data, strings.data + strings.count);
  deallocate_String_vector(&strings);
  return ZOK;
}

int ZkSession::set(const std::string& path, const std::string& data, int version) {
  return zoo_set(handle_, full_path(path).c_str(), data.data(), static_cast<int>(data.size()),
                 version);
}

int ZkSession::remove(const std::string& path, int version) {
  return zoo_delete(handle_, full_path(path).c_str(), version);
}

int ZkSession::remove_if_owned_by(const std::string& path, std::int64_t owner) {
  Stat stat{};
  const int found = exists(path, false, &stat);
  if (found == ZNONODE || (found == ZOK && stat.ephemeralOwner != owner)) return ZOK;
  if (found != ZOK) return found;
  const int removed = remove(path, stat.version);
  return removed == ZNONODE || removed == ZBADVERSION ? ZOK : removed;
}

std::uint64_t ZkSession::events_seen() const {
  std::lock_guard lock(mutex_);
  return events_;
}

bool ZkSession::wait_for_event(std::uint64_t seen,
                               std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline, [&] { return events_ != seen; });
}

Error zk_error(Errc code, int rc, const std::string& operation, const std::string& path) {
  return make_error(code, "ZooKeeper " + operation + " " + path + ": " + zerror(rc));
}

}  // namespace junction::zookeeper
