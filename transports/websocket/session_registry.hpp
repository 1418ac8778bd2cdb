#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace junction::websocket {

class Session;

// Every live connection, so stop() can close them and wait until the last one
// (and every kernel callback holding one) is gone.
class SessionRegistry {
 public:
  void add(const std::shared_ptr<Session>& session);
  void remove(const Session* session);
  std::vector<std::shared_ptr<Session>> snapshot();
  bool wait_until_empty(std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex mutex_;
  std::condition_variable emptied_;
  std::map<const Session*, std::weak_ptr<Session>> sessions_;
};

}  // namespace junction::websocket
