#include "json/json_writer.hpp"

#include <cstdio>

namespace junction::websocket {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run_start = 0;
  for (std::size_t at = 0; at < text.size(); ++at) {
    const char c = text[at];
    auto byte = static_cast<unsigned char>(c);
    if (c != '"' && c != '\\' && byte >= 0x20) continue;
    // Characters that need no escape are copied a run at a time.
    out.append(text.data() + run_start, at - run_start);
    run_start = at + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out += '"';
}

std::string serialize_json(const JsonValue& value) {
  if (value.is_null()) return "null";
  if (value.is_bool()) return value.as_bool() ? "true" : "false";
  if (value.is_integer()) return std::to_string(value.as_integer());
  if (value.is_number()) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", value.as_double());
    return text;
  }
  std::string out;
  if (value.is_string()) {
    append_json_string(out, value.as_string());
  } else if (value.is_array()) {
    out += '[';
    for (const auto& item : value.as_array()) {
      if (out.size() > 1) out += ',';
      out += serialize_json(item);
    }
    out += ']';
  } else {
    out += '{';
    for (const auto& [name, member] : value.as_object()) {
      if (out.size() > 1) out += ',';
      append_json_string(out, name);
      out += ':';
      out += serialize_json(member);
    }
    out += '}';
  }
  return out;
}

void JsonObjectWriter::key(std::string_view name) {
  if (out_.size() > 1) out_ += ',';
  append_json_string(out_, name);
  out_ += ':';
}

JsonObjectWriter& JsonObjectWriter::string(std::string_view name, std::string_view value) {
  key(name);
  append_json_string(out_, value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::integer(std::string_view name, std::int64_t value) {
  key(name);
  out_ += std::to_string(value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::null(std::string_view name) {
  key(name);
  out_ += "null";
  return *this;
}

JsonObjectWriter& JsonObjectWriter::raw(std::string_view name, std::string_view json) {
  key(name);
  out_ += json;
  return *this;
}

std::string JsonObjectWriter::finish() && {
  out_ += '}';
  return std::move(out_);
}

}  // namespace junction::websocket
