#include "server/session_registry.hpp"

#include <algorithm>

namespace junction::kafka {

void SessionRegistry::add(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [](const auto& weak) { return weak.expired(); });
  sessions_.push_back(session);
  ++alive_;
}

void SessionRegistry::remove() {
  std::lock_guard lock(mutex_);
  if (--alive_ == 0) emptied_.notify_all();
}

std::vector<std::shared_ptr<Session>> SessionRegistry::snapshot() {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Session>> live;
  for (auto& weak : sessions_)
    if (auto session = weak.lock()) live.push_back(std::move(session));
  return live;
}

bool SessionRegistry::wait_until_empty(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return emptied_.wait_until(lock, deadline, [this] { return alive_ == 0; });
}

}  // namespace junction::kafka
