#pragma once

#include <functional>
#include <mutex>

namespace proton {
class work_queue;
}

namespace junction::amqp {

// How kernel threads reach one connection. A Proton work_queue dies with its
// connection, so kernel callbacks never hold it directly: they post through
// this box, which the connection empties when its transport closes. The lock
// only guards the pointer; nobody calls the kernel or does I/O under it.
class ConnectionMailbox {
 public:
  explicit ConnectionMailbox(proton::work_queue& queue) : queue_(&queue) {}

  // Runs `work` on the connection's thread; false if the connection is gone
  // (then `work` never runs).
  bool post(std::function<void()> work);
  // Called on the connection's thread when its transport closes.
  void close();

 private:
  std::mutex mutex_;
  proton::work_queue* queue_;
};

}  // namespace junction::amqp
