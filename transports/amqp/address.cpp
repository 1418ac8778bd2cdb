#include "address.hpp"

#include <charconv>
#include <map>
#include <optional>
#include <proton/codec/decoder.hpp>
#include <proton/sender.hpp>
#include <proton/source.hpp>
#include <proton/symbol.hpp>
#include <proton/value.hpp>

namespace junction::amqp {
namespace {

Error invalid(std::string message) {
  return make_error(Errc::invalid_argument, std::move(message));
}

template <class Integer>
bool parse_integer(std::string_view text, Integer& out) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

Result<std::string> topic_part(std::string_view address, std::string_view topic) {
  if (topic.empty()) return invalid("address \"" + std::string(address) + "\" names no topic");
  return std::string(topic);
}

// A filter entry is conventionally described (descriptor, value); a plain
// value is accepted as well.
proton::value undescribed(const proton::value& value) {
  if (value.type() != proton::DESCRIBED) return value;
  proton::codec::decoder decoder(value);
  proton::codec::start start;
  proton::value descriptor;
  proton::value inner;
  decoder >> start >> descriptor >> inner;
  return inner;
}

std::optional<proton::value> option(const proton::sender& link, const char* key) {
  // filters() refers into the source: keep the source alive while reading it.
  const auto source = link.source();
  const auto& filters = source.filters();
  if (!filters.empty()) {
    if (auto found = filters.get(proton::symbol(key)); !found.empty()) return undescribed(found);
  }
  auto properties = link.properties();
  if (auto found = properties.find(proton::symbol(key)); found != properties.end()) {
    return undescribed(found->second);
  }
  return std::nullopt;
}

std::optional<std::string> text_of(const proton::value& value) {
  if (value.type() == proton::STRING) return proton::get<std::string>(value);
  if (value.type() == proton::SYMBOL) return std::string(proton::get<proton::symbol>(value));
  return std::nullopt;
}

}  // namespace

Result<ProduceTarget> parse_target_address(std::string_view address) {
  if (address.find("::") != std::string_view::npos) {
    return invalid("address \"" + std::string(address) +
                   "\" names a group; a sender's target is \"topic\" or \"topic/partition\"");
  }
  ProduceTarget target;
  auto slash = address.find('/');
  auto topic = topic_part(address, address.substr(0, slash));
  if (!topic) return topic.error();
  target.topic = std::move(*topic);
  if (slash != std::string_view::npos) {
    auto partition_text = address.substr(slash + 1);
    if (!parse_integer(partition_text, target.partition) || target.partition < 0) {
      return invalid("address \"" + std::string(address) +
                     "\": the partition after '/' must be a number >= 0");
    }
  }
  return target;
}

Result<ConsumeSource> parse_source_address(std::string_view address) {
  if (address.find('/') != std::string_view::npos) {
    return invalid("address \"" + std::string(address) +
                   "\" names a partition; a receiver's source is \"topic\" or \"topic::group\"");
  }
  ConsumeSource source;
  auto separator = address.find("::");
  auto topic = topic_part(address, address.substr(0, separator));
  if (!topic) return topic.error();
  source.topic = std::move(*topic);
  if (separator != std::string_view::npos) {
    source.group = std::string(address.substr(separator + 2));
    if (source.group.empty() || source.group.find(':') != std::string::npos) {
      return invalid("address \"" + std::string(address) +
                     "\": expected a group name without ':' after \"::\"");
    }
  }
  return source;
}

Result<StartPosition> parse_start_position(std::string_view text) {
  if (text == "earliest") return StartPosition::earliest();
  if (text == "latest") return StartPosition::latest();
  std::int64_t value = 0;
  if (text.starts_with("offset:") && parse_integer(text.substr(7), value) && value >= 0) {
    return StartPosition::at_offset(value);
  }
  if (text.starts_with("timestamp:") && parse_integer(text.substr(10), value) && value >= 0) {
    return StartPosition::at_timestamp(value);
  }
  return invalid(std::string(kStartOption) + " must be \"earliest\", \"latest\", \"offset:N\" or " +
                 "\"timestamp:MS\", got \"" + std::string(text) + "\"");
}

Result<SubscriptionSpec> subscription_for(const proton::sender& link) {
  auto source = parse_source_address(link.source().address());
  if (!source) return source.error();
  SubscriptionSpec spec;
  spec.topic = std::move(source->topic);
  spec.name = std::move(source->group);
  spec.mode = spec.name.empty() ? DeliveryMode::broadcast : DeliveryMode::queue;
  if (auto start = option(link, kStartOption)) {
    auto text = text_of(*start);
    if (!text) return invalid(std::string(kStartOption) + " must be a string");
    auto position = parse_start_position(*text);
    if (!position) return position.error();
    spec.start = *position;
  }
  if (auto key_shared = option(link, kKeySharedOption)) {
    if (key_shared->type() != proton::BOOLEAN) {
      return invalid(std::string(kKeySharedOption) + " must be a boolean");
    }
    spec.key_shared = proton::get<bool>(*key_shared);
  }
  return spec;
}

}  // namespace junction::amqp
