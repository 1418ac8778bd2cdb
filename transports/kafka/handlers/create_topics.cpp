// CreateTopics v0-4. Per-topic overrides are not stored by the kernel (every
// topic takes the broker's [topics] settings), so a requested config is
// accepted only when it matches what the topic gets; anything else fails
// with INVALID_CONFIG naming the key rather than being silently ignored.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "handlers/handlers.hpp"
#include "handlers/topic_config_entries.hpp"
#include "junction/kernel.hpp"
#include "junction/log.hpp"
#include "protocol/error_code.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"
#include "server/cluster_view.hpp"

namespace junction::kafka {
namespace {

struct TopicToCreate {
  std::string name;
  std::int32_t partitions = -1;
  std::int16_t replication_factor = -1;
  bool has_manual_assignment = false;
  std::vector<std::pair<std::string, std::optional<std::string>>> configs;
};

struct CreateTopicsRequest {
  std::vector<TopicToCreate> topics;
  bool validate_only = false;
};

struct Outcome {
  ErrorCode error = ErrorCode::none;
  std::optional<std::string> message;
};

std::optional<CreateTopicsRequest> decode(const Request& request) {
  WireReader in(request.body);
  CreateTopicsRequest decoded;
  auto count = in.array_length(2 + 4 + 2 + 4 + 4);
  for (std::int32_t i = 0; i < count && in.ok(); ++i) {
    TopicToCreate topic;
    topic.name = in.string();
    topic.partitions = in.int32();
    topic.replication_factor = in.int16();
    auto assignments = in.array_length(8);
    topic.has_manual_assignment = assignments > 0;
    for (std::int32_t a = 0; a < assignments && in.ok(); ++a) {
      in.int32();
      auto brokers = in.array_length(4);
      for (std::int32_t b = 0; b < brokers && in.ok(); ++b) in.int32();
    }
    auto configs = in.array_length(4);
    for (std::int32_t c = 0; c < configs && in.ok(); ++c) {
      auto name = in.string();
      topic.configs.emplace_back(std::move(name), in.nullable_string());
    }
    decoded.topics.push_back(std::move(topic));
  }
  in.int32();  // timeout_ms: creation is synchronous here
  if (request.api_version >= 1) decoded.validate_only = in.boolean();
  if (!in.ok()) return std::nullopt;
  return decoded;
}

const TopicConfigEntry* find_entry(const std::vector<TopicConfigEntry>& entries,
                                   const std::string& name) {
  for (const auto& entry : entries)
    if (entry.name == name) return &entry;
  return nullptr;
}

// The first requested config that differs from what the topic has.
std::optional<std::string> unsupported_config(const TopicToCreate& topic,
                                              const std::optional<TopicConfig>& actual) {
  const auto entries = topic_config_entries(actual.value_or(TopicConfig{}));
  for (const auto& [name, value] : topic.configs) {
    const auto* entry = find_entry(entries, name);
    if (!entry) return "unknown topic config '" + name + "'";
    if (actual && value && *value != entry->value) {
      return "per-topic override " + name + "=" + *value +
             " is not supported: every topic takes the broker's [topics] settings (" + name + "=" +
             entry->value + ")";
    }
  }
  return std::nullopt;
}

Outcome create_one(BrokerContext& context, const TopicToCreate& topic, bool validate_only) {
  if (auto valid = validate_topic_name(topic.name); !valid) {
    return {ErrorCode::invalid_topic_exception, valid.error().message};
  }
  if (topic.has_manual_assignment) {
    return {ErrorCode::invalid_request, "manual replica assignment is not supported"};
  }
  if (topic.partitions == 0 || topic.partitions < -1) {
    return {ErrorCode::invalid_partitions, "number of partitions must be at least 1"};
  }
  const auto brokers = static_cast<std::int16_t>(kafka_brokers(context).size());
  if (topic.replication_factor == 0 || topic.replication_factor > brokers) {
    return {ErrorCode::invalid_replication_factor,
            "replication factor " + std::to_string(topic.replication_factor) +
                " is larger than the " + std::to_string(brokers) + " available broker(s)"};
  }
  if (context.kernel.describe_topic(topic.name)) {
    return {ErrorCode::topic_already_exists, "topic '" + topic.name + "' already exists"};
  }
  if (validate_only) {
    if (auto problem = unsupported_config(topic, std::nullopt)) {
      return {ErrorCode::invalid_config, *problem};
    }
    return {};
  }
  auto created =
      context.kernel.create_topic(topic.name, topic.partitions == -1 ? 0 : topic.partitions);
  if (!created) {
    auto error = to_error_code(created.error().code);
    if (created.error().code == Errc::invalid_argument) error = ErrorCode::invalid_partitions;
    return {error, created.error().message};
  }
  if (auto problem = unsupported_config(topic, created->config)) {
    (void)context.kernel.delete_topic(topic.name);
    return {ErrorCode::invalid_config, *problem};
  }
  return {};
}

}  // namespace

void handle_create_topics(BrokerContext& context, const Request& request, Responder responder) {
  auto decoded = decode(request);
  if (!decoded) return responder.reject("malformed CreateTopics request");

  std::multiset<std::string> names;
  for (const auto& topic : decoded->topics) names.insert(topic.name);

  WireWriter out;
  if (request.api_version >= 2) out.int32(0);  // throttle_time_ms
  out.array_length(decoded->topics.size());
  for (const auto& topic : decoded->topics) {
    Outcome outcome = names.count(topic.name) > 1
                          ? Outcome{ErrorCode::invalid_request, "topic named more than once"}
                          : create_one(context, topic, decoded->validate_only);
    out.string(topic.name);
    out.int16(wire(outcome.error));
    if (request.api_version >= 1) out.nullable_string(outcome.message);
  }
  responder.send(out.take());
}

}  // namespace junction::kafka
