#include <future>

#include "junction/kernel.hpp"

namespace junction {
namespace {

// Waits for a produce callback; the callback may run on this thread before
// produce returns, or later on a kernel thread.
template <class Start>
Result<ProduceAck> wait_for_ack(Start start) {
  auto promise = std::make_shared<std::promise<Result<ProduceAck>>>();
  auto future = promise->get_future();
  start([promise](Result<ProduceAck> result) { promise->set_value(std::move(result)); });
  return future.get();
}

}  // namespace

Result<ProduceAck> Kernel::produce_and_wait(std::string_view topic, std::int32_t partition,
                                            std::vector<Record> records) {
  return wait_for_ack([&](ProduceCallback done) {
    produce(topic, partition, std::move(records), std::move(done));
  });
}

Result<ProduceAck> Kernel::produce_batch_and_wait(std::string_view topic, std::int32_t partition,
                                                  std::string batch) {
  return wait_for_ack([&](ProduceCallback done) {
    produce_batch(topic, partition, std::move(batch), std::move(done));
  });
}

}  // namespace junction
