#pragma once

// Kafka's error codes (org.apache.kafka.common.protocol.Errors) that this
// broker answers with, and the mapping from the kernel's Errc.

#include <cstdint>

#include "junction/result.hpp"

namespace junction::kafka {

enum class ErrorCode : std::int16_t {
  unknown_server_error = -1,
  none = 0,
  offset_out_of_range = 1,
  corrupt_message = 2,
  unknown_topic_or_partition = 3,
  leader_not_available = 5,
  not_leader_or_follower = 6,
  request_timed_out = 7,
  message_too_large = 10,
  offset_metadata_too_large = 12,
  coordinator_load_in_progress = 14,
  coordinator_not_available = 15,
  not_coordinator = 16,
  invalid_topic_exception = 17,
  record_list_too_large = 18,
  invalid_required_acks = 21,
  illegal_generation = 22,
  inconsistent_group_protocol = 23,
  invalid_group_id = 24,
  unknown_member_id = 25,
  invalid_session_timeout = 26,
  rebalance_in_progress = 27,
  invalid_commit_offset_size = 28,
  unsupported_for_message_format = 43,
  topic_already_exists = 36,
  invalid_partitions = 37,
  invalid_replication_factor = 38,
  invalid_request = 42,
  unsupported_version = 35,
  invalid_config = 40,
  out_of_order_sequence_number = 45,
  duplicate_sequence_number = 46,
  invalid_producer_epoch = 47,
  invalid_txn_state = 48,
  unsupported_compression_type = 76,
  group_id_not_found = 69,
  non_empty_group = 68,
  member_id_required = 79,
  invalid_record = 87,
  unknown_producer_id = 59,
  transactional_id_authorization_failed = 53,
  cluster_authorization_failed = 31,
  policy_violation = 44,
  kafka_storage_error = 56,
  fenced_instance_id = 82,
  unstable_offset_commit = 88,
};

inline std::int16_t wire(ErrorCode code) { return static_cast<std::int16_t>(code); }

// The Kafka error a client should see for a kernel error.
inline ErrorCode to_error_code(Errc code) {
  switch (code) {
    case Errc::corrupt_batch:
      return ErrorCode::corrupt_message;
    case Errc::unsupported_format:
      return ErrorCode::unsupported_for_message_format;
    case Errc::record_too_large:
      return ErrorCode::message_too_large;
    case Errc::invalid_argument:
      return ErrorCode::invalid_request;
    case Errc::unknown_topic:
    case Errc::unknown_partition:
      return ErrorCode::unknown_topic_or_partition;
    case Errc::topic_exists:
      return ErrorCode::topic_already_exists;
    case Errc::offset_out_of_range:
      return ErrorCode::offset_out_of_range;
    case Errc::io_error:
      return ErrorCode::kafka_storage_error;
    case Errc::invalid_config:
      return ErrorCode::invalid_config;
    case Errc::not_leader:
      return ErrorCode::not_leader_or_follower;
    case Errc::timeout:
      return ErrorCode::request_timed_out;
    case Errc::leader_not_available:
    case Errc::shutting_down:
      return ErrorCode::leader_not_available;
    case Errc::plugin_error:
      break;
  }
  return ErrorCode::unknown_server_error;
}

}  // namespace junction::kafka
