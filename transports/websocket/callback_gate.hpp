#pragma once

#include <mutex>

namespace junction::websocket {

// Kernel callbacks (produce acks, deliveries, closed subscriptions) post to
// the transport's io_context from kernel threads. Once the transport stops,
// the io_context goes away; closing the gate first makes late callbacks
// drop their work instead of posting to a destroyed executor.
class CallbackGate {
 public:
  // Runs `post` unless the gate is closed; close() waits for it to finish.
  template <class Post>
  void run(Post&& post) {
    std::lock_guard lock(mutex_);
    if (open_) post();
  }
  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }

 private:
  std::mutex mutex_;
  bool open_ = true;
};

}  // namespace junction::websocket
