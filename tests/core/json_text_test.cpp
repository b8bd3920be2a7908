#include "core/json_text.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace connect_auth {
namespace {

using namespace std::string_literals;

// Parses `json` with Boost.JSON (which validates UTF-8) and returns the string it holds.
std::string parse_string(const std::string& json) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(json, ec);
  EXPECT_FALSE(ec) << "not JSON: " << json << " (" << ec.message() << ")";
  if (ec || !value.is_string()) {
    ADD_FAILURE() << "not a JSON string: " << json;
    return {};
  }
  return std::string(value.get_string());
}

TEST(JsonTextTest, QuotesPlainText) {
  EXPECT_EQ(json_string(""), R"("")");
  EXPECT_EQ(json_string("abc XYZ 019 ~!@#$%^&*()"), R"x("abc XYZ 019 ~!@#$%^&*()")x");
}

TEST(JsonTextTest, EscapesQuoteAndBackslash) {
  // RFC 8259 §7: quotation mark and reverse solidus must be escaped.
  EXPECT_EQ(json_string(R"(a"b)"), R"("a\"b")");
  EXPECT_EQ(json_string(R"(a\b)"), R"("a\\b")");
  EXPECT_EQ(json_string(R"(\")"), R"("\\\"")");
  EXPECT_EQ(json_string("/"), R"("/")");  // solidus may stay as is
}

TEST(JsonTextTest, EscapesLineBreaksSoLogLinesCannotBeForged) {
  // bad-inputs.md §G: a user name with CR/LF must not start a new log line.
  EXPECT_EQ(json_string("a\rb\nc\td"), R"("a\rb\nc\td")");
  const std::string forged = json_string("bob\n{\"level\":\"error\",\"event\":\"admin_login\"}");
  EXPECT_EQ(forged.find('\n'), std::string::npos);
  EXPECT_EQ(forged.find('\r'), std::string::npos);
  EXPECT_EQ(forged, R"("bob\n{\"level\":\"error\",\"event\":\"admin_login\"}")");
}

TEST(JsonTextTest, EscapesOtherControlBytesAndDel) {
  EXPECT_EQ(json_string("\x1b[31mred"), R"("\u001b[31mred")");  // ANSI escape
  EXPECT_EQ(json_string("\0"s), R"("\u0000")");
  EXPECT_EQ(json_string("\x01\x08\x0c\x1f"), R"("\u0001\u0008\u000c\u001f")");
  EXPECT_EQ(json_string("\x7f"),
            R"("\u007f")");  // DEL: not required by JSON, but a terminal hazard
  EXPECT_EQ(json_string(" "), R"(" ")");
}

TEST(JsonTextTest, NoRawControlByteEverSurvives) {
  std::string every_ascii;
  for (int c = 0; c < 0x80; ++c) every_ascii.push_back(static_cast<char>(c));
  const std::string out = json_string(every_ascii);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    EXPECT_TRUE(c >= 0x20 && c != 0x7f) << "raw byte " << int(c) << " at " << i;
  }
  EXPECT_EQ(parse_string(out), every_ascii);
}

TEST(JsonTextTest, KeepsValidMultibyteUtf8) {
  const std::string_view valid[] = {
      "\xc3\xa9",          // U+00E9 é
      "\xc2\x80",          // U+0080, smallest two-byte
      "\xdf\xbf",          // U+07FF
      "\xe0\xa0\x80",      // U+0800, smallest three-byte
      "\xe2\x82\xac",      // U+20AC €
      "\xed\x9f\xbf",      // U+D7FF, just below the surrogates
      "\xee\x80\x80",      // U+E000, just above them
      "\xef\xbf\xbd",      // U+FFFD itself
      "\xf0\x90\x80\x80",  // U+10000, smallest four-byte
      "\xf0\x9d\x84\x9e",  // U+1D11E musical G clef
      "\xf4\x8f\xbf\xbf",  // U+10FFFF, the last code point
  };
  for (std::string_view text : valid) {
    const std::string out = json_string(text);
    EXPECT_EQ(out, "\"" + std::string(text) + "\"");
    EXPECT_EQ(parse_string(out), text);
  }
  EXPECT_EQ(json_string("Gr\xc3\xbc\xc3\x9f"
                        "e \xe2\x82\xac"),
            "\"Gr\xc3\xbc\xc3\x9f"
            "e \xe2\x82\xac\"");
}

TEST(JsonTextTest, ReplacesInvalidUtf8WithReplacementCharacter) {
  // One U+FFFD per offending byte; the result is always valid JSON (RFC 8259 §8.1).
  struct Case {
    std::string_view input;
    std::string_view expected;
  };
  const Case cases[] = {
      {"\x80", R"("\ufffd")"},  // lone continuation byte
      {"\xbf", R"("\ufffd")"},
      {"\xff", R"("\ufffd")"},  // never valid in UTF-8
      {"\xfe", R"("\ufffd")"},
      {"\xc0\xaf", R"("\ufffd\ufffd")"},                      // overlong '/'
      {"\xc1\xbf", R"("\ufffd\ufffd")"},                      // overlong
      {"\xe0\x80\xaf", R"("\ufffd\ufffd\ufffd")"},            // overlong three-byte
      {"\xf0\x80\x80\xaf", R"("\ufffd\ufffd\ufffd\ufffd")"},  // overlong four-byte
      {"\xed\xa0\x80", R"("\ufffd\ufffd\ufffd")"},            // UTF-16 surrogate U+D800
      {"\xed\xbf\xbf", R"("\ufffd\ufffd\ufffd")"},            // surrogate U+DFFF
      {"\xf4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"},  // U+110000, beyond Unicode
      {"\xf5\x80\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"},
      {"\xe2\x82", R"("\ufffd\ufffd")"},  // truncated at the end
      {"\xc3", R"("\ufffd")"},
      {"\xf0\x9d\x84", R"("\ufffd\ufffd\ufffd")"},
      {"\xe2\x82x", R"("\ufffd\ufffdx")"},  // interrupted by ASCII
      {"a\xc3(b", R"("a\ufffd(b")"},
      {"\xc3\xa9\xff\xc3\xa9", "\"\xc3\xa9\\ufffd\xc3\xa9\""},  // valid kept around invalid
  };
  for (const Case& c : cases) {
    const std::string out = json_string(c.input);
    EXPECT_EQ(out, c.expected);
    parse_string(out);  // must be valid JSON
  }
}

TEST(JsonTextTest, AppendKeepsExistingContent) {
  std::string out = R"({"user":)";
  append_json_string(out, "a\"b");
  out.push_back('}');
  EXPECT_EQ(out, R"({"user":"a\"b"})");
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(out, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(value.at("user").as_string(), "a\"b");
}

TEST(JsonTextTest, ParsesBackToTheInputForValidUtf8) {
  const std::string_view inputs[] = {
      "",
      "plain",
      "quote\" backslash\\ slash/",
      "\r\n\t\b\f",
      "\x1b[2J\x07",
      "\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91",
      "k1' OR '1'='1",
      "../../etc/passwd",
  };
  for (std::string_view text : inputs) {
    EXPECT_EQ(parse_string(json_string(text)), text);
  }
}

}  // namespace
}  // namespace connect_auth
