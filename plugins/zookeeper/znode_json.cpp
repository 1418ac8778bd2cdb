#include "znode_json.hpp"

#include <limits>
#include <map>
#include <memory>
#include <variant>
#include <vector>

namespace junction::zookeeper {
namespace {

// The subset of JSON the znodes use: objects, arrays, strings and integers.
struct Value;
using Object = std::map<std::string, Value, std::less<>>;
using Array = std::vector<Value>;
struct Value {
  std::variant<std::int64_t, std::string, Array, Object> data;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::optional<Value> parse_document() {
    auto value = parse_value(0);
    skip_space();
    if (!value || pos_ != text_.size()) return std::nullopt;
    return value;
  }

 private:
  static constexpr int kMaxDepth = 8;

  std::optional<Value> parse_value(int depth) {
    if (depth > kMaxDepth) return std::nullopt;
    skip_space();
    if (pos_ >= text_.size()) return std::nullopt;
    const char c = text_[pos_];
    if (c == '{') return parse_object(depth);
    if (c == '[') return parse_array(depth);
    if (c == '"') {
      auto text = parse_string();
      if (!text) return std::nullopt;
      return Value{std::move(*text)};
    }
    return parse_integer();
  }

  std::optional<Value> parse_object(int depth) {
    ++pos_;
    Object object;
    skip_space();
    if (consume('}')) return Value{std::move(object)};
    do {
      skip_space();
      auto key = parse_string();
      skip_space();
      if (!key || !consume(':')) return std::nullopt;
      auto value = parse_value(depth + 1);
      if (!value || !object.emplace(std::move(*key), std::move(*value)).second) return std::nullopt;
      skip_space();
    } while (consume(','));
    if (!consume('}')) return std::nullopt;
    return Value{std::move(object)};
  }

  std::optional<Value> parse_array(int depth) {
    ++pos_;
    Array array;
    skip_space();
    if (consume(']')) return Value{std::move(array)};
    do {
      auto value = parse_value(depth + 1);
      if (!value) return std::nullopt;
      array.push_back(std::move(*value));
      skip_space();
    } while (consume(','));
    if (!consume(']')) return std::nullopt;
    return Value{std::move(array)};
  }

  // Escapes other than \" and \\ never occur in what the plugin writes, and
  // control characters are invalid JSON: both are refused.
  std::optional<std::string> parse_string() {
    if (!consume('"')) return std::nullopt;
    std::string text;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return text;
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c == '\\') {
        if (pos_ >= text_.size()) return std::nullopt;
        const char escaped = text_[pos_++];
        if (escaped != '"' && escaped != '\\') return std::nullopt;
        text += escaped;
      } else {
        text += c;
      }
    }
    return std::nullopt;
  }

  std::optional<Value> parse_integer() {
    const bool negative = consume('-');
    const auto start = pos_;
    std::int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (value > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return std::nullopt;
      value = value * 10 + (text_[pos_++] - '0');
    }
    if (pos_ == start) return std::nullopt;
    return Value{negative ? -value : value};
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\t' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// Checks that `object` has exactly `keys`.
bool has_exactly(const Object& object, std::initializer_list<std::string_view> keys) {
  if (object.size() != keys.size()) return false;
  for (auto key : keys) {
    if (!object.contains(key)) return false;
  }
  return true;
}

const Object* as_object(const Value& value) { return std::get_if<Object>(&value.data); }
const Array* as_array(const Value& value) { return std::get_if<Array>(&value.data); }

std::optional<std::int32_t> as_int32(const Value& value) {
  const auto* number = std::get_if<std::int64_t>(&value.data);
  if (!number || *number < std::numeric_limits<std::int32_t>::min() ||
      *number > std::numeric_limits<std::int32_t>::max())
    return std::nullopt;
  return static_cast<std::int32_t>(*number);
}

std::optional<std::vector<std::int32_t>> as_ids(const Value& value) {
  const auto* array = as_array(value);
  if (!array) return std::nullopt;
  std::vector<std::int32_t> ids;
  for (const auto& element : *array) {
    auto id = as_int32(element);
    if (!id) return std::nullopt;
    ids.push_back(*id);
  }
  return ids;
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

std::string ids_json(const std::vector<std::int32_t>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(ids[i]);
  }
  return out + ']';
}

std::optional<Object> parse_object(std::string_view json) {
  auto value = Parser(json).parse_document();
  if (!value) return std::nullopt;
  const auto* object = as_object(*value);
  if (!object) return std::nullopt;
  return *object;
}

}  // namespace

std::string broker_json(const BrokerInfo& broker) {
  std::string out = "{\"id\":" + std::to_string(broker.id) + ",\"endpoints\":{";
  bool first = true;
  for (const auto& [name, address] : broker.endpoints) {
    if (!first) out += ',';
    first = false;
    out += quoted(name) + ':' + quoted(address);
  }
  return out + "}}";
}

std::optional<BrokerInfo> parse_broker(std::string_view json) {
  auto object = parse_object(json);
  if (!object || !has_exactly(*object, {"id", "endpoints"})) return std::nullopt;
  BrokerInfo broker;
  auto id = as_int32(object->find("id")->second);
  const auto* endpoints = as_object(object->find("endpoints")->second);
  if (!id || !endpoints) return std::nullopt;
  broker.id = *id;
  for (const auto& [name, address] : *endpoints) {
    const auto* text = std::get_if<std::string>(&address.data);
    if (!text) return std::nullopt;
    broker.endpoints.emplace(name, *text);
  }
  return broker;
}

std::string controller_json(std::int32_t broker_id) {
  return "{\"broker\":" + std::to_string(broker_id) + "}";
}

std::optional<std::int32_t> parse_controller(std::string_view json) {
  auto object = parse_object(json);
  if (!object || !has_exactly(*object, {"broker"})) return std::nullopt;
  return as_int32(object->find("broker")->second);
}

std::string topic_json(const TopicMetadata& topic) {
  std::string out = "{\"partitions\":[";
  for (std::size_t i = 0; i < topic.partitions.size(); ++i) {
    const auto& p = topic.partitions[i];
    if (i > 0) out += ',';
    out += "{\"partition\":" + std::to_string(p.partition) +
           ",\"leader\":" + std::to_string(p.leader) +
           ",\"leader_epoch\":" + std::to_string(p.leader_epoch) +
           ",\"replicas\":" + ids_json(p.replicas) + ",\"isr\":" + ids_json(p.in_sync_replicas) +
           "}";
  }
  return out + "]}";
}

std::optional<TopicMetadata> parse_topic(std::string_view name, std::string_view json) {
  auto object = parse_object(json);
  if (!object || !has_exactly(*object, {"partitions"})) return std::nullopt;
  const auto* partitions = as_array(object->find("partitions")->second);
  if (!partitions) return std::nullopt;
  TopicMetadata topic{std::string(name), {}};
  for (const auto& element : *partitions) {
    const auto* fields = as_object(element);
    if (!fields ||
        !has_exactly(*fields, {"partition", "leader", "leader_epoch", "replicas", "isr"}))
      return std::nullopt;
    auto partition = as_int32(fields->find("partition")->second);
    auto leader = as_int32(fields->find("leader")->second);
    auto epoch = as_int32(fields->find("leader_epoch")->second);
    auto replicas = as_ids(fields->find("replicas")->second);
    auto isr = as_ids(fields->find("isr")->second);
    // Partitions are stored in order, so a partition's number is its index.
    if (!partition || *partition != static_cast<std::int32_t>(topic.partitions.size()) || !leader ||
        !epoch || !replicas || !isr)
      return std::nullopt;
    topic.partitions.push_back(
        PartitionAssignment{*partition, *leader, *epoch, std::move(*replicas), std::move(*isr)});
  }
  return topic;
}

std::string create_request_json(std::int32_t partitions) {
  return "{\"partitions\":" + std::to_string(partitions) + "}";
}

std::optional<std::int32_t> parse_create_request(std::string_view json) {
  auto object = parse_object(json);
  if (!object || !has_exactly(*object, {"partitions"})) return std::nullopt;
  auto partitions = as_int32(object->find("partitions")->second);
  if (!partitions || *partitions < 1) return std::nullopt;
  return partitions;
}

}  // namespace junction::zookeeper
