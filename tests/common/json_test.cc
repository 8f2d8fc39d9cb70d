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
