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

// The message properties a record's reserved headers restore.
struct RestoredProperties {
  std::optional<proton::message_id> id;
  std::optional<proton::message_id> correlation_id;
  const std::string* content_type = nullptr;
};

// True if `header` restores a message property (then set in `restored`);
// false if it is an application property.
bool restore_property(const Header& header, RestoredProperties& restored) {
  if (!header.key.starts_with(kReservedHeaderPrefix)) return false;
  if (auto id = id_from_header(header, kMessageIdHeader)) {
    restored.id = std::move(id);
    return true;
  }
  if (auto id = id_from_header(header, kCorrelationIdHeader)) {
    restored.correlation_id = std::move(id);
    return true;
  }
  if (header.key == kContentTypeHeader && header.value) {
    restored.content_type = &*header.value;
    return true;
  }
  return false;
}

// AMQP 1.0 type codes (spec part 1.6) and section descriptors (part 3.2).
namespace wire {
constexpr std::uint8_t kDescribed = 0x00;
constexpr std::uint8_t kSmallUlong = 0x53;
constexpr std::uint8_t kNull = 0x40;
constexpr std::uint8_t kUint = 0x70;
constexpr std::uint8_t kInt = 0x71;
constexpr std::uint8_t kUlong = 0x80;
constexpr std::uint8_t kLong = 0x81;
constexpr std::uint8_t kTimestamp = 0x83;
constexpr std::uint8_t kUuid = 0x98;
constexpr std::uint8_t kBinary8 = 0xa0;
constexpr std::uint8_t kString8 = 0xa1;
constexpr std::uint8_t kSymbol8 = 0xa3;
constexpr std::uint8_t kBinary32 = 0xb0;
constexpr std::uint8_t kString32 = 0xb1;
constexpr std::uint8_t kSymbol32 = 0xb3;
constexpr std::uint8_t kList32 = 0xd0;
constexpr std::uint8_t kMap32 = 0xd1;

constexpr std::uint8_t kHeader = 0x70;
constexpr std::uint8_t kMessageAnnotations = 0x72;
constexpr std::uint8_t kProperties = 0x73;
constexpr std::uint8_t kApplicationProperties = 0x74;
constexpr std::uint8_t kData = 0x75;
constexpr std::uint8_t kAmqpValue = 0x77;
}  // namespace wire

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void byte(std::uint8_t value) { out_.push_back(char(value)); }
  void big_endian(std::uint64_t value, int bytes) {
    char buffer[8];
    for (int i = bytes - 1; i >= 0; --i, value >>= 8) buffer[i] = char(value & 0xff);
    out_.append(buffer, std::size_t(bytes));
  }
  void section(std::uint8_t descriptor) {
    const char described[] = {char(wire::kDescribed), char(wire::kSmallUlong), char(descriptor)};
    out_.append(described, sizeof described);
  }
  void null() { byte(wire::kNull); }
  void uint(std::uint32_t value) {
    byte(wire::kUint);
    big_endian(value, 4);
  }
  void int32(std::int32_t value) {
    byte(wire::kInt);
    big_endian(std::uint32_t(value), 4);
  }
  void int64(std::int64_t value) {
    byte(wire::kLong);
    big_endian(std::uint64_t(value), 8);
  }
  void timestamp(std::int64_t ms) {
    byte(wire::kTimestamp);
    big_endian(std::uint64_t(ms), 8);
  }
  void variable(std::uint8_t code8, std::uint8_t code32, std::string_view bytes) {
    if (bytes.size() <= 0xff) {
      byte(code8);
      byte(std::uint8_t(bytes.size()));
    } else {
      byte(code32);
      big_endian(bytes.size(), 4);
    }
    out_.append(bytes);
  }
  void string(std::string_view text) { variable(wire::kString8, wire::kString32, text); }
  void symbol(std::string_view text) { variable(wire::kSymbol8, wire::kSymbol32, text); }
  void binary(std::string_view bytes) { variable(wire::kBinary8, wire::kBinary32, bytes); }
  // UTF-8 text as a string, other bytes as binary: what scalar_of gives.
  void text_or_binary(std::string_view bytes) {
    if (valid_utf8(bytes)) {
      string(bytes);
    } else {
      binary(bytes);
    }
  }
  void message_id(const proton::message_id& id) {
    switch (id.type()) {
      case proton::STRING:
        string(proton::get<std::string>(id));
        break;
      case proton::ULONG:
        byte(wire::kUlong);
        big_endian(proton::get<std::uint64_t>(id), 8);
        break;
      case proton::UUID: {
        byte(wire::kUuid);
        const auto uuid = proton::get<proton::uuid>(id);
        out_.append(reinterpret_cast<const char*>(uuid.begin()), uuid.size());
        break;
      }
      case proton::BINARY: {
        const auto bytes = proton::get<proton::binary>(id);
        binary({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
        break;
      }
      default:
        null();
        break;
    }
  }

  // A list or map in its 32-bit form; finish() writes its size and count.
  std::size_t open_compound(std::uint8_t code) {
    byte(code);
    const std::size_t at = out_.size();
    out_.append(8, '\0');
    return at;
  }
  void finish(std::size_t at, std::uint32_t count) {
    const auto size = std::uint32_t(out_.size() - at - 4);
    for (int i = 0; i < 4; ++i) {
      out_[at + std::size_t(i)] = char(size >> (24 - 8 * i));
      out_[at + 4 + std::size_t(i)] = char(count >> (24 - 8 * i));
    }
  }

 private:
  std::string& out_;
};

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
  RestoredProperties restored;
  for (const Header& header : record.headers) {
    if (restore_property(header, restored)) continue;
    properties.put(header.key, header.value ? scalar_of(*header.value) : proton::scalar());
  }
  if (restored.id) message.id(*restored.id);
  if (restored.correlation_id) message.correlation_id(*restored.correlation_id);
  if (restored.content_type) message.content_type(*restored.content_type);
}

void encode_record_message(std::string_view topic, std::int32_t partition,
                           const StoredRecord& stored, std::uint32_t delivery_count,
                           std::string& out) {
  out.clear();
  Writer writer(out);
  const Record& record = stored.record;
  // Sections, annotations and small headers fit in the slack: one allocation
  // at most, and none once the buffer has grown to the usual record size.
  out.reserve((record.value ? record.value->size() : 0) + 256);

  if (delivery_count > 0) {
    writer.section(wire::kHeader);
    const auto fields = writer.open_compound(wire::kList32);
    for (int unset = 0; unset < 4; ++unset) writer.null();  // durable .. first-acquirer
    writer.uint(delivery_count);
    writer.finish(fields, 5);
  }

  writer.section(wire::kMessageAnnotations);
  const auto annotations = writer.open_compound(wire::kMap32);
  std::uint32_t entries = 6;
  if (record.key) {
    writer.symbol(kPartitionKeyAnnotation);
    writer.text_or_binary(*record.key);
    entries += 2;
  }
  writer.symbol(kOffsetAnnotation);
  writer.int64(stored.offset);
  writer.symbol(kPartitionAnnotation);
  writer.int32(partition);
  writer.symbol(kTopicAnnotation);
  writer.string(topic);
  writer.finish(annotations, entries);

  RestoredProperties restored;
  std::uint32_t application_properties = 0;
  for (const Header& header : record.headers) {
    if (!restore_property(header, restored)) ++application_properties;
  }
  // Properties fields in order; the list ends at the last one set.
  constexpr std::uint32_t kCorrelationIdField = 5;
  constexpr std::uint32_t kContentTypeField = 6;
  constexpr std::uint32_t kCreationTimeField = 9;
  const std::uint32_t fields = record.timestamp_ms >= 0  ? kCreationTimeField + 1
                               : restored.content_type   ? kContentTypeField + 1
                               : restored.correlation_id ? kCorrelationIdField + 1
                               : restored.id             ? 1
                                                         : 0;
  if (fields > 0) {
    writer.section(wire::kProperties);
    const auto list = writer.open_compound(wire::kList32);
    for (std::uint32_t field = 0; field < fields; ++field) {
      if (field == 0 && restored.id) {
        writer.message_id(*restored.id);
      } else if (field == kCorrelationIdField && restored.correlation_id) {
        writer.message_id(*restored.correlation_id);
      } else if (field == kContentTypeField && restored.content_type) {
        writer.symbol(*restored.content_type);
      } else if (field == kCreationTimeField) {
        writer.timestamp(record.timestamp_ms);
      } else {
        writer.null();
      }
    }
    writer.finish(list, fields);
  }

  if (application_properties > 0) {
    writer.section(wire::kApplicationProperties);
    const auto map = writer.open_compound(wire::kMap32);
    RestoredProperties ignored;
    for (const Header& header : record.headers) {
      if (restore_property(header, ignored)) continue;
      writer.string(header.key);
      if (header.value) {
        writer.text_or_binary(*header.value);
      } else {
        writer.null();
      }
    }
    writer.finish(map, application_properties * 2);
  }

  if (record.value) {
    writer.section(wire::kData);
    writer.binary(*record.value);
  } else {
    writer.section(wire::kAmqpValue);
    writer.null();
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
