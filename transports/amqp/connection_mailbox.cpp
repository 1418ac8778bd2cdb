#include "connection_mailbox.hpp"

#include <proton/work_queue.hpp>
#include <utility>

namespace junction::amqp {

bool ConnectionMailbox::post(std::function<void()> work) {
  std::lock_guard lock(mutex_);
  return queue_ != nullptr && queue_->add(proton::work(std::move(work)));
}

void ConnectionMailbox::close() {
  std::lock_guard lock(mutex_);
  queue_ = nullptr;
}

}  // namespace junction::amqp
