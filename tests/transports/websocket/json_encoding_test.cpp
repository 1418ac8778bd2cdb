// The plugin's own JSON parser and writer, and the UTF-8 / base64 rules for
// record bytes, on their edge cases.
#include <gtest/gtest.h>

#include <string>

#include "byte_encoding.hpp"
#include "json/json_value.hpp"
#include "json/json_writer.hpp"

namespace junction::websocket {
namespace {

std::optional<JsonValue> parse(std::string_view text) {
  std::string error;
  return parse_json(text, error);
}

TEST(WebsocketJson, ParsesNestedValuesAndKeepsLargeIntegersExact) {
  auto value = parse(
      R"( {"a": [1, -2.5, true, null], "offset": 9007199254740993, "s": "x\u00e9\ud83d\ude00"} )");
  ASSERT_TRUE(value);
  EXPECT_EQ(value->find("offset")->as_integer(), 9007199254740993);
  EXPECT_EQ(value->find("a")->as_array().size(), 4u);
  EXPECT_EQ(value->find("s")->as_string(), "x\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(WebsocketJson, RefusesWhatRfc8259Refuses) {
  for (const char* bad : {"", "{", "{\"a\":1,}", "[1 2]", "01", "1.", "\"\\x\"", "tru", "{} {}",
                          "\"\\ud800\"", "\"a\nb\"", "{'a': 1}", "NaN"}) {
    EXPECT_FALSE(parse(bad)) << bad;
  }
}

TEST(WebsocketJson, LimitsNestingDepth) {
  std::string deep(40, '[');
  deep += std::string(40, ']');
  EXPECT_FALSE(parse(deep));
  std::string shallow(20, '[');
  shallow += std::string(20, ']');
  EXPECT_TRUE(parse(shallow));
}

TEST(WebsocketJson, WriterEscapesAndRoundTrips) {
  auto text = std::move(JsonObjectWriter().string("op", "a\"b\\c\n\x01").integer("n", -5).null("k"))
                  .finish();
  EXPECT_EQ(text, R"({"op":"a\"b\\c\n\u0001","n":-5,"k":null})");
  auto parsed = parse(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(serialize_json(*parsed), text);
}

TEST(WebsocketBytes, Utf8ValidationRejectsOverlongsSurrogatesAndTruncation) {
  EXPECT_TRUE(is_valid_utf8("plain \xc3\xa9 \xf0\x9f\x98\x80"));
  for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\xff"}) {
    EXPECT_FALSE(is_valid_utf8(bad)) << bad;
  }
}

TEST(WebsocketBytes, Base64RoundTripsAndRejectsBadInput) {
  for (std::string bytes : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                            std::string("\x00\xff\x10", 3)}) {
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
  }
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  for (const char* bad : {"Zm9", "Zm9v!===", "Z===", "=m9v"}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
}

}  // namespace
}  // namespace junction::websocket
