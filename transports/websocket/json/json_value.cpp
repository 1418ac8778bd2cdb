#include "json/json_value.hpp"

#include <cerrno>
#include <cstdlib>
#include <limits>

namespace junction::websocket {

const JsonValue* JsonValue::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [name, value] : as_object()) {
    if (name == key) return &value;
  }
  return nullptr;
}

namespace {

class Parser {
 public:
  Parser(std::string_view text, const JsonLimits& limits) : text_(text), limits_(limits) {}

  std::optional<JsonValue> document(std::string& error) {
    if (text_.size() > limits_.max_bytes) return fail(error, "document too large");
    skip_space();
    auto value = parse_value(0);
    if (!value) return fail(error, error_);
    skip_space();
    if (at_ != text_.size()) return fail(error, "trailing characters after the value");
    return value;
  }

 private:
  static std::optional<JsonValue> fail(std::string& error, std::string reason) {
    error = std::move(reason);
    return std::nullopt;
  }
  std::optional<JsonValue> fail(std::string reason) {
    error_ = std::move(reason) + " at byte " + std::to_string(at_);
    return std::nullopt;
  }

  void skip_space() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r'))
      ++at_;
  }

  bool consume_literal(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  std::optional<JsonValue> parse_value(std::size_t depth) {
    if (depth > limits_.max_depth) return fail("nesting too deep");
    if (at_ >= text_.size()) return fail("unexpected end");
    char c = text_[at_];
    if (c == '{') return parse_object(depth);
    if (c == '[') return parse_array(depth);
    if (c == '"') {
      std::string text;
      if (!parse_string(text)) return std::nullopt;
      return JsonValue(std::move(text));
    }
    if (consume_literal("true")) return JsonValue(true);
    if (consume_literal("false")) return JsonValue(false);
    if (consume_literal("null")) return JsonValue();
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
    return fail("unexpected character");
  }

  std::optional<JsonValue> parse_object(std::size_t depth) {
    ++at_;
    JsonValue::Object members;
    skip_space();
    if (at_ < text_.size() && text_[at_] == '}') {
      ++at_;
      return JsonValue(std::move(members));
    }
    for (;;) {
      skip_space();
      if (at_ >= text_.size() || text_[at_] != '"') return fail("expected a member name");
      std::string name;
      if (!parse_string(name)) return std::nullopt;
      skip_space();
      if (at_ >= text_.size() || text_[at_] != ':') return fail("expected ':'");
      ++at_;
      skip_space();
      auto value = parse_value(depth + 1);
      if (!value) return std::nullopt;
      members.emplace_back(std::move(name), std::move(*value));
      skip_space();
      if (at_ < text_.size() && text_[at_] == ',') {
        ++at_;
        continue;
      }
      if (at_ < text_.size() && text_[at_] == '}') {
        ++at_;
        return JsonValue(std::move(members));
      }
      return fail("expected ',' or '}'");
    }
  }

  std::optional<JsonValue> parse_array(std::size_t depth) {
    ++at_;
    JsonValue::Array items;
    skip_space();
    if (at_ < text_.size() && text_[at_] == ']') {
      ++at_;
      return JsonValue(std::move(items));
    }
    for (;;) {
      skip_space();
      auto value = parse_value(depth + 1);
      if (!value) return std::nullopt;
      items.push_back(std::move(*value));
      skip_space();
      if (at_ < text_.size() && text_[at_] == ',') {
        ++at_;
        continue;
      }
      if (at_ < text_.size() && text_[at_] == ']') {
        ++at_;
        return JsonValue(std::move(items));
      }
      return fail("expected ',' or ']'");
    }
  }

  std::optional<JsonValue> parse_number() {
    const std::size_t start = at_;
    bool integral = true;
    if (text_[at_] == '-') ++at_;
    if (at_ >= text_.size() || !is_digit(text_[at_])) return fail("bad number");
    if (text_[at_] == '0') {
      ++at_;
    } else {
      while (at_ < text_.size() && is_digit(text_[at_])) ++at_;
    }
    if (at_ < text_.size() && text_[at_] == '.') {
      integral = false;
      ++at_;
      if (at_ >= text_.size() || !is_digit(text_[at_])) return fail("bad number");
      while (at_ < text_.size() && is_digit(text_[at_])) ++at_;
    }
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
      integral = false;
      ++at_;
      if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) ++at_;
      if (at_ >= text_.size() || !is_digit(text_[at_])) return fail("bad number");
      while (at_ < text_.size() && is_digit(text_[at_])) ++at_;
    }
    std::string literal(text_.substr(start, at_ - start));
    errno = 0;
    if (integral) {
      long long value = std::strtoll(literal.c_str(), nullptr, 10);
      if (errno == 0) return JsonValue(static_cast<std::int64_t>(value));
      errno = 0;
    }
    double value = std::strtod(literal.c_str(), nullptr);
    if (errno != 0) return fail("number out of range");
    return JsonValue(value);
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  bool read_hex4(std::uint32_t& value) {
    if (at_ + 4 > text_.size()) return false;
    value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[at_++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }

  static void append_utf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  // Text frames are UTF-8 checked by the WebSocket layer, so raw bytes are
  // copied as they are; only escapes need decoding.
  static bool is_plain(char c) {
    return c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
  }

  bool parse_string(std::string& out) {
    ++at_;
    while (at_ < text_.size()) {
      // Characters that need no decoding are copied a run at a time.
      const std::size_t run_start = at_;
      while (at_ < text_.size() && is_plain(text_[at_])) ++at_;
      out.append(text_.data() + run_start, at_ - run_start);
      if (at_ >= text_.size()) break;
      char c = text_[at_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string"), false;
      if (at_ >= text_.size()) break;
      char escape = text_[at_++];
      switch (escape) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t code = 0;
          if (!read_hex4(code)) return fail("bad \\u escape"), false;
          if (code >= 0xD800 && code <= 0xDBFF) {
            std::uint32_t low = 0;
            if (!consume_literal("\\u") || !read_hex4(low) || low < 0xDC00 || low > 0xDFFF)
              return fail("unpaired surrogate"), false;
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return fail("unpaired surrogate"), false;
          }
          append_utf8(out, code);
          break;
        }
        default:
          return fail("bad escape"), false;
      }
    }
    return fail("unterminated string"), false;
  }

  std::string_view text_;
  const JsonLimits& limits_;
  std::size_t at_ = 0;
  std::string error_;
};

}  // namespace

std::optional<JsonValue> parse_json(std::string_view text, std::string& error,
                                    const JsonLimits& limits) {
  return Parser(text, limits).document(error);
}

}  // namespace junction::websocket
