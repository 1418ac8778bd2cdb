#include "message_mapping.hpp"

#include <proton/annotation_key.hpp>
#include <proton/binary.hpp>
#include <proton/codec/decoder.hpp>
#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/scalar.hpp>
#include <proton/symbol.hpp>
#include <proton/timestamp.hpp>
#include <proton/uuid.hpp>
#include <proton/value.hpp>

#include <charconv>
#include <optional>

namespace junction::amqp {
namespace {

std::string bytes_of(const proton::binary& binary) {
  return std::string(reinterpret_cast<const char*>(binary.data()), binary.size());
}

proton::binary binary_of(std::string_view bytes) {
  return proton::binary(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                        reinterpret_cast<const std::uint8_t*>(bytes.data()) + bytes.size());
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t point = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      point = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      point = (point << 6) | (next & 0x3F);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (point < kSmallest[length] || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

// Header values are bytes: strings and symbols keep their UTF-8, binary its
// bytes, null stays null, any other scalar becomes Proton's text form of it.
std::optional<std::string> header_value_of(const proton::scalar& value) {
  switch (value.type()) {
    case proton::NULL_TYPE:
      return std::nullopt;
    case proton::STRING:
      return proton::get<std::string>(value);
    case proton::SYMBOL:
      return std::string(proton::get<proton::symbol>(value));
    case proton::BINARY:
      return bytes_of(proton::get<proton::binary>(value));
    case proton::UUID:
      return proton::get<proton::uuid>(value).str();
    case proton::TIMESTAMP:
      return std::to_string(proton::get<proton::timestamp>(value).milliseconds());
    case proton::BOOLEAN:
      return proton::get<bool>(value) ? "true" : "false";
    default:
      return proton::to_string(value);
  }
}

// Outgoing: UTF-8 text goes out as a string, anything else as binary.
proton::scalar scalar_of(std::string_view bytes) {
  if (valid_utf8(bytes)) return proton::scalar(std::string(bytes));
  return proton::scalar(binary_of(bytes));
}

void add_id_header(const proton::message_id& id, const char* name, std::vector<Header>& headers) {
  switch (id.type()) {
    case proton::STRING:
      headers.push_back({name, proton::get<std::string>(id)});
      break;
    case proton::ULONG:
      headers.push_back(
          {std::string(name) + kUlongIdSuffix, std::to_string(proton::get<std::uint64_t>(id))});
      break;
    case proton::UUID:
      headers.push_back({std::string(name) + kUuidIdSuffix, proton::get<proton::uuid>(id).str()});
      break;
    case proton::BINARY:
      headers.push_back(
          {std::string(name) + kBinaryIdSuffix, bytes_of(proton::get<proton::binary>(id))});
      break;
    default:
      break;
  }
}

std::optional<proton::uuid> parse_uuid(std::string_view text) {
  std::string bytes;
  for (char c : text) {
    if (c == '-') continue;
    int digit = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
    if (digit < 0) return std::nullopt;
    bytes.push_back(static_cast<char>(digit));
  }
  if (bytes.size() != 32) return std::nullopt;
  char packed[16];
  for (int i = 0; i < 16; ++i)
    packed[i] = static_cast<char>((bytes[2 * i] << 4) | bytes[2 * i + 1]);
  return proton::uuid::copy(packed);
}

// A reserved header restores the id it came from; false if `header` is not one.
std::optional<proton::message_id> id_from_header(const Header& header, std::string_view name) {
  std::string_view key = header.key;
  if (!key.starts_with(name) || !header.value) return std::nullopt;
  auto suffix = key.substr(name.size());
  const std::string& value = *header.value;
  if (suffix.empty()) return proton::message_id(value);
  if (suffix == kUlongIdSuffix) {
    std::uint64_t number = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (error != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return proton::message_id(number);
  }
  if (suffix == kUuidIdSuffix) {
    if (auto uuid = parse_uuid(value)) return proton::message_id(*uuid);
    return std::nullopt;
  }
  if (suffix == kBinaryIdSuffix) return proton::message_id(binary_of(value));
  return std::nullopt;
}

Result<std::optional<std::string>> body_value(const proton::message& message) {
  const proton::value& body = message.body();
  switch (body.type()) {
    case proton::NULL_TYPE:
      return std::optional<std::string>();
    case proton::BINARY:
      return std::optional<std::string>(bytes_of(proton::get<proton::binary>(body)));
    case proton::STRING:
      if (!message.inferred()) return std::optional<std::string>(proton::get<std::string>(body));
      break;
    default:
      break;
  }
  return make_error(
      Errc::unsupported_format,
      "the body must be one data section or an amqp-value that is a string, binary "
      "or null, got " +
          std::string(message.inferred() ? "an amqp-sequence" : "an amqp-value of type ") +
          (message.inferred() ? "" : proton::type_name(body.type())));
}

}  // namespace

Result<void> message_to_record(const proton::message& message, Record& record) {
  record.headers.clear();
  auto value = body_value(message);
  if (!value) return value.error();
  record.value = std::move(*value);

  record.key.reset();
  const auto& annotations = message.message_annotations();
  if (!annotations.empty()) {
    auto key = annotations.get(proton::annotation_key(proton::symbol(kPartitionKeyAnnotation)));
    switch (key.type()) {
      case proton::NULL_TYPE:
        break;
      case proton::STRING:
        record.key = proton::get<std::string>(key);
        break;
      case proton::SYMBOL:
        record.key = std::string(proton::get<proton::symbol>(key));
        break;
      case proton::BINARY:
        record.key = bytes_of(proton::get<proton::binary>(key));
        break;
      default:
        record.key = proton::to_string(key);
        break;
    }
  }
  if (!record.key) {
    auto subject = message.subject();
    if (!subject.empty()) record.key = std::move(subject);
  }

  auto created = message.creation_time().milliseconds();
  record.timestamp_ms = created > 0 ? created : kNoTimestamp;

  add_id_header(message.id(), kMessageIdHeader, record.headers);
  add_id_header(message.correlation_id(), kCorrelationIdHeader, record.headers);
  auto content_type = message.content_type();
  if (!content_type.empty())
    record.headers.push_back({kContentTypeHeader, std::move(content_type)});

  const auto& properties = message.properties();
  if (!properties.empty()) {
    proton::codec::decoder decoder(properties.value());
    proton::codec::start start;
    decoder >> start;
    for (std::size_t i = 0; i < start.size / 2; ++i) {
      std::string name;
      proton::scalar property;
      decoder >> name >> property;
      record.headers.push_back({std::move(name), header_value_of(property)});
    }
  }
  return {};
}

void record_to_message(std::string_view topic, std::int32_t partition, const StoredRecord& stored,
                       proton::message& message) {
  message.clear();
  const Record& record = stored.record;
  if (record.value) {
    message.body(binary_of(*record.value));
    message.inferred(true);
  }
  auto& annotations = message.message_annotations();
  if (record.key) {
    annotations.put(proton::symbol(kPartitionKeyAnnotation), scalar_of(*record.key));
  }
  annotations.put(proton::symbol(kOffsetAnnotation), static_cast<std::int64_t>(stored.offset));
  annotations.put(proton::symbol(kPartitionAnnotation), static_cast<std::int32_t>(partition));
  annotations.put(proton::symbol(kTopicAnnotation), std::string(topic));
  if (record.timestamp_ms >= 0) message.creation_time(proton::timestamp(record.timestamp_ms));

  auto& properties = message.properties();
  for (const Header& header : record.headers) {
    if (header.key.starts_with(kReservedHeaderPrefix)) {
      if (auto id = id_from_header(header, kMessageIdHeader)) {
        message.id(*id);
        continue;
      }
      if (auto id = id_from_header(header, kCorrelationIdHeader)) {
        message.correlation_id(*id);
        continue;
      }
      if (header.key == kContentTypeHeader && header.value) {
        message.content_type(*header.value);
        continue;
      }
    }
    properties.put(header.key, header.value ? scalar_of(*header.value) : proton::scalar());
  }
}

std::size_t record_payload_bytes(const Record& record) {
  std::size_t bytes =
      (record.key ? record.key->size() : 0) + (record.value ? record.value->size() : 0);
  for (const Header& header : record.headers) {
    bytes += header.key.size() + (header.value ? header.value->size() : 0);
  }
  return bytes;
}

}  // namespace junction::amqp
