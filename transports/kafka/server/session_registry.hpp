#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace junction::kafka {

class Session;

// The live sessions of one listener, so stop() can close them all and wait
// until the last one (and every callback still holding it) is gone.
class SessionRegistry {
 public:
  void add(const std::shared_ptr<Session>& session);
  void remove();
  std::vector<std::shared_ptr<Session>> snapshot();
  // True once no Session object exists any more.
  bool wait_until_empty(std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex mutex_;
  std::condition_variable emptied_;
  std::vector<std::weak_ptr<Session>> sessions_;
  std::size_t alive_ = 0;
};

}  // namespace junction::kafka
