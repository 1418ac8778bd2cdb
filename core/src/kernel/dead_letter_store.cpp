#include "kernel/dead_letter_store.hpp"

#include "junction/log.hpp"

namespace junction::kernel {
namespace {

const Logger& logger() {
  static const Logger instance{"kernel"};
  return instance;
}

}  // namespace

void store_dead_letter(Kernel& kernel, const std::string& topic, Record record,
                       std::function<void(bool stored)> done) {
  if (!kernel.describe_topic(topic)) {
    auto created = kernel.create_topic(topic, 1);
    if (!created && created.error().code != Errc::topic_exists) {
      logger().error() << "cannot create dead-letter topic '" << topic
                       << "': " << created.error().message;
      return done(false);
    }
  }
  std::vector<Record> records;
  records.push_back(std::move(record));
  kernel.produce(topic, kAnyPartition, std::move(records),
                 [topic, done = std::move(done)](Result<ProduceAck> ack) {
                   if (!ack) {
                     logger().error() << "dead-letter append to '" << topic
                                      << "' failed: " << ack.error().message;
                   }
                   done(ack.ok());
                 });
}

}  // namespace junction::kernel
