// DescribeConfigs v0-3, enough for admin clients: a topic's settings under
// Kafka's names, and a broker's identity. Every value comes from the broker's
// TOML file and none can be altered at run time, so all are read-only
// STATIC_BROKER_CONFIG.
#include <optional>
#include <string>
#include <vector>

#include "handlers/handlers.hpp"
#include "handlers/topic_config_entries.hpp"
#include "junction/kernel.hpp"
#include "protocol/error_code.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "server/broker_context.hpp"
#include "server/cluster_view.hpp"

namespace junction::kafka {
namespace {

constexpr std::int8_t kTopicResource = 2;
constexpr std::int8_t kBrokerResource = 4;
constexpr std::int8_t kStaticBrokerConfig = 4;

struct Resource {
  std::int8_t type = 0;
  std::string name;
  std::optional<std::vector<std::string>> keys;  // nullopt: all
};

struct Described {
  ErrorCode error = ErrorCode::none;
  std::optional<std::string> message;
  std::vector<TopicConfigEntry> entries;
};

Described describe(BrokerContext& context, const Resource& resource) {
  if (resource.type == kTopicResource) {
    auto topic = context.kernel.describe_topic(resource.name);
    if (!topic) return {to_error_code(topic.error().code), topic.error().message, {}};
    return {ErrorCode::none, std::nullopt, topic_config_entries(topic->config)};
  }
  if (resource.type == kBrokerResource) {
    const auto self = std::to_string(self_broker_id(context));
    if (!resource.name.empty() && resource.name != self) {
      return {ErrorCode::invalid_request, "this is broker " + self, {}};
    }
    const auto listener = context.advertised_host + ":" + std::to_string(context.advertised_port);
    return {ErrorCode::none,
            std::nullopt,
            {{"advertised.listeners", "PLAINTEXT://" + listener, ConfigType::string},
             {"broker.id", self, ConfigType::integer},
             {"socket.request.max.bytes", std::to_string(context.config.max_request_bytes),
              ConfigType::integer}}};
  }
  return {ErrorCode::invalid_request,
          "resource type " + std::to_string(resource.type) + " is not supported",
          {}};
}

bool wanted(const Resource& resource, const std::string& name) {
  if (!resource.keys) return true;
  for (const auto& key : *resource.keys)
    if (key == name) return true;
  return false;
}

}  // namespace

void handle_describe_configs(BrokerContext& context, const Request& request, Responder responder) {
  const auto version = request.api_version;
  WireReader in(request.body);
  std::vector<Resource> resources;
  auto count = in.array_length(1 + 2 + 4);
  for (std::int32_t i = 0; i < count && in.ok(); ++i) {
    Resource resource;
    resource.type = in.int8();
    resource.name = in.string();
    auto keys = in.int32();
    if (keys >= 0) {
      resource.keys.emplace();
      for (std::int32_t k = 0; k < keys && in.ok(); ++k) resource.keys->push_back(in.string());
    }
    resources.push_back(std::move(resource));
  }
  bool include_synonyms = false;
  if (version >= 1) include_synonyms = in.boolean();
  if (version >= 3) in.boolean();  // include_documentation: we have none to give
  if (!in.ok()) return responder.reject("malformed DescribeConfigs request");

  WireWriter out;
  out.int32(0);  // throttle_time_ms
  out.array_length(resources.size());
  for (const auto& resource : resources) {
    auto described = describe(context, resource);
    out.int16(wire(described.error));
    out.nullable_string(described.message);
    out.int8(resource.type);
    out.string(resource.name);
    std::vector<const TopicConfigEntry*> listed;
    for (const auto& entry : described.entries)
      if (wanted(resource, entry.name)) listed.push_back(&entry);
    out.array_length(listed.size());
    for (const auto* entry : listed) {
      out.string(entry->name);
      out.nullable_string(entry->value);
      out.boolean(true);                     // read_only
      if (version == 0) out.boolean(false);  // is_default
      if (version >= 1) out.int8(kStaticBrokerConfig);
      out.boolean(false);  // is_sensitive
      if (version >= 1) {
        out.array_length(include_synonyms ? 1 : 0);
        if (include_synonyms) {
          out.string(entry->name);
          out.nullable_string(entry->value);
          out.int8(kStaticBrokerConfig);
        }
      }
      if (version >= 3) {
        out.int8(static_cast<std::int8_t>(entry->type));
        out.nullable_string(std::nullopt);  // documentation
      }
    }
  }
  responder.send(out.take());
}

}  // namespace junction::kafka
