#include "hedgerow/common/json.h"

#include <catch2/catch.hpp>

using namespace hedgerow;

TEST_CASE("IsJson accepts one complete JSON value and nothing else", "[common]") {
  CHECK(IsJson(R"({"event":"$pageview","properties":{"a":[1,2.5,null,true]}})"));
  CHECK(IsJson(" [1] \n"));
  CHECK(IsJson("\"text\""));
  CHECK(IsJson("42"));
  CHECK_FALSE(IsJson(""));
  CHECK_FALSE(IsJson("{"));
  CHECK_FALSE(IsJson("{} {}"));
  CHECK_FALSE(IsJson("plain text"));
  CHECK_FALSE(IsJson(std::string_view("\"a\0\"", 4)));
  CHECK_FALSE(IsJson("\"\xff\""));
}

TEST_CASE("JSON string literals escape quotes, backslashes and controls only", "[common]") {
  std::string out;
  AppendJsonString(out, std::string_view("a\"b\\c\nd\x01\xc3\xa9", 10));
  CHECK(out == "\"a\\\"b\\\\c\\nd\\u0001\xc3\xa9\"");
  std::string doubled;
  AppendJsonString(doubled, out);
  CHECK(IsJson(doubled));
}

TEST_CASE("JSON string escaping agrees with a plain reference on random text", "[common]") {
  // The fast path skips 8 bytes at a time: check every alignment of every special byte.
  auto reference = [](std::string_view text) {
    std::string out = "\"";
    for (unsigned char c : text) {
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else if (c == '\b') out += "\\b";
      else if (c == '\f') out += "\\f";
      else if (c < 0x20) {
        char buf[8];
        snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      } else out += static_cast<char>(c);
    }
    return out + "\"";
  };
  uint32_t x = 12345;
  for (int i = 0; i < 3000; ++i) {
    std::string text(static_cast<size_t>(i % 70), 'a');
    for (char& c : text) {
      x = x * 1103515245 + 12345;
      unsigned r = (x >> 16) % 40;
      c = r < 30 ? static_cast<char>('a' + r % 26) : "\"\\\n\x01\x1f\x7f\xc3\xa9 !"[r - 30];
    }
    std::string out;
    AppendJsonString(out, text);
    REQUIRE(out == reference(text));
  }
}

TEST_CASE("SkipJsonValue finds where each value ends, and never runs past a truncated text", "[common]") {
  std::string text = R"({"a":[1,{"b":"x\"]}"}],"c":-1.5e3,"d":"\\","e":{}})";
  CHECK(SkipJsonValue(text, 0) == text.size());
  CHECK(SkipJsonValue(text, 5) == text.find(",\"c\""));           // the array, a "]}" inside a string included
  CHECK(SkipJsonValue(text, text.find("-1.5")) == text.find(",\"d\""));  // a scalar ends at the delimiter
  CHECK(SkipJsonString(text, text.find("\"\\\\\"")) == text.find(",\"e\""));  // an escaped backslash
  for (size_t n = 0; n < text.size(); ++n) {
    std::string_view prefix(text.data(), n);
    size_t end = SkipJsonValue(prefix, 0);
    CHECK((end == std::string_view::npos || end <= n));
    CHECK(end != n);  // a truncated object never looks complete
  }
}
