#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "junction/coordinator.hpp"
#include "junction/topic.hpp"

namespace junction::kernel {

// How shared subscriptions deliver (the [delivery] config table).
struct DeliveryConfig {
  // An unacknowledged delivery goes back to the subscription after this.
  std::int64_t ack_timeout_ms = 30'000;
  // A record delivered this many times without an ack is dead-lettered.
  std::int32_t max_attempts = 5;
  // Dead letters of topic T go to T + suffix.
  std::string dead_letter_suffix = ".dlq";
  // Per subscription and partition: how far delivery may run ahead of the
  // oldest unacknowledged record (bounds the memory of acknowledgement state).
  std::uint32_t max_unacked_window = 100'000;
  // Threads that run deliveries.
  std::uint32_t dispatcher_threads = 1;
};

struct KernelOptions {
  std::int32_t broker_id = 0;
  std::filesystem::path data_dir;
  TopicConfig topic_defaults;
  bool auto_create_topics = true;
  std::int64_t retention_check_interval_ms = 300'000;
  // Retention never deletes records a durable subscription has not acked.
  bool respect_subscriptions = false;
  DeliveryConfig delivery;
  // Told about topic creation and deletion; may be null (a bare kernel).
  Coordinator* coordinator = nullptr;
};

}  // namespace junction::kernel
