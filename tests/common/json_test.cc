#include "hedgerow/common/json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <catch2/catch.hpp>

#include <random>

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
  // A million levels parse without recursion (`hedgerow log tail` runs this on any record).
  CHECK(IsJson(std::string(1000000, '[') + std::string(1000000, ']')));
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
  // The reference is rapidjson's Writer without its SSE2 path (upper-case hex): person
  // properties written by either must agree byte for byte. The fast path takes 16 bytes at
  // a time: every alignment of every special byte.
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
        snprintf(buf, sizeof(buf), "\\u%04X", c);
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
  // Six bytes for each \u00XX: the room reserved for two-byte escapes has to grow.
  for (size_t n : {1, 15, 16, 17, 100, 1000}) {
    for (std::string text : {std::string(n, '\x01'), "a\"" + std::string(n, '\x1f') + "\"b"}) {
      std::string out = "prefix";
      AppendJsonString(out, text);
      REQUIRE(out == "prefix" + reference(text));
    }
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

TEST_CASE("WriteJson writes what rapidjson's Writer writes, and valid JSON where that does not", "[common]") {
  for (const char* text : {
           R"({"a":1,"b":-2,"c":4294967296,"d":18446744073709551615,"e":-9223372036854775808})",
           R"({"f":1.0,"g":0.1,"h":-0.0,"i":1e300,"j":2.5e-8,"k":123456.789})",
           R"([true,false,null,[],{},[[1,[2]],{"x":{"y":[]}}]])",
           R"({"s":"caf\u00e9 \"q\" \\ \n\t/","\u00e9":"\u2028","":""})",
           R"("just a string")", "0", "-1.5"}) {
    rapidjson::Document d;
    d.Parse(text);
    REQUIRE_FALSE(d.HasParseError());
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    d.Accept(writer);
    CHECK(WriteJson(d) == std::string(buffer.GetString(), buffer.GetSize()));
  }
  // rapidjson 1.1's SSE2 path writes 0x1A-0x1F raw (its 16-byte scan compares with 0x19).
  rapidjson::Document d;
  d.SetObject();
  std::string controls = "0123456789abcdef\x1a\x1b\x1c\x1d\x1e\x1f\x01 and the rest, past 16 bytes";
  d.AddMember("k", rapidjson::Value(controls.c_str(), d.GetAllocator()), d.GetAllocator());
  std::string json = WriteJson(d);
  CHECK(IsJson(json));
  CHECK(json.find("\\u001A\\u001B\\u001C\\u001D\\u001E\\u001F\\u0001") != std::string::npos);
}

TEST_CASE("JSON written inside a JSON string equals escaping the written JSON", "[common]") {
  // Random documents of random text (every special byte at every alignment, long strings
  // of \u00XX escapes that grow the buffer): AppendJsonInString must be byte for byte what
  // AppendJsonString(WriteJson(...)) writes between its quotes, and parse back to the text.
  uint32_t x = 777;
  auto next = [&x](unsigned n) {
    x = x * 1103515245 + 12345;
    return (x >> 16) % n;
  };
  auto text = [&](size_t max) {
    std::string t(next(static_cast<unsigned>(max)), 'a');
    for (char& c : t) {
      unsigned r = next(40);
      c = r < 30 ? static_cast<char>('a' + r % 26) : "\"\\\n\x01\x1f\x7f\xc3\xa9 !"[r - 30];
    }
    if (next(20) == 0) t += std::string(next(300), '\x02');
    return t;
  };
  for (int i = 0; i < 2000; ++i) {
    rapidjson::Document d;
    d.SetObject();
    auto& a = d.GetAllocator();
    for (unsigned m = 0, n = next(8); m < n; ++m) {
      rapidjson::Value value;
      switch (next(5)) {
        case 0: value.SetString(text(40).c_str(), a); break;
        case 1: value.SetInt64(static_cast<int64_t>(next(1u << 30)) - (1 << 29)); break;
        case 2: value.SetDouble(next(100000) / 7.0); break;
        case 3: {
          value.SetArray();
          value.PushBack(rapidjson::Value(text(20).c_str(), a), a).PushBack(rapidjson::Value(true), a);
          break;
        }
        default: {
          value.SetObject();
          value.AddMember(rapidjson::Value(text(10).c_str(), a), rapidjson::Value(text(20).c_str(), a), a);
          break;
        }
      }
      d.AddMember(rapidjson::Value(text(12).c_str(), a), value, a);
    }
    std::string once = WriteJson(d);
    std::string escaped;
    AppendJsonString(escaped, once);
    std::string nested = "prefix";
    AppendJsonInString(nested, d);
    REQUIRE(nested == "prefix" + escaped.substr(1, escaped.size() - 2));
    rapidjson::Document back;
    back.Parse(escaped.c_str(), escaped.size());
    REQUIRE(back.IsString());
    REQUIRE(std::string(back.GetString(), back.GetStringLength()) == once);
  }
}

TEST_CASE("JsonNestsDeeperThan counts brackets outside strings, without recursion", "[common]") {
  auto nested = [](size_t n, char open, char close) {
    return std::string(n, open) + "1" + std::string(n, close);
  };
  CHECK_FALSE(hedgerow::JsonNestsDeeperThan(nested(128, '[', ']')));
  CHECK(hedgerow::JsonNestsDeeperThan(nested(129, '[', ']')));
  // A million levels: answered early, on no stack at all.
  CHECK(hedgerow::JsonNestsDeeperThan(nested(1000000, '[', ']')));
  std::string objects;
  for (int i = 0; i < 129; ++i) objects += "{\"a\":";
  objects += "1" + std::string(129, '}');
  CHECK(hedgerow::JsonNestsDeeperThan(objects));
  CHECK_FALSE(hedgerow::JsonNestsDeeperThan(objects, 129));
  // Brackets inside strings, escaped quotes included, do not nest.
  CHECK_FALSE(hedgerow::JsonNestsDeeperThan(R"({"a":"[[[[\"[[[[","b":[1]})", 2));
  CHECK(hedgerow::JsonNestsDeeperThan(R"({"a":"x","b":[[1]]})", 2));
  // Truncated or unbalanced text is not a crash.
  CHECK_FALSE(hedgerow::JsonNestsDeeperThan(R"({"a":"unterminated)", 1));
  CHECK_FALSE(hedgerow::JsonNestsDeeperThan("]]]]}}}}[", 1));
  CHECK_FALSE(hedgerow::JsonNestsDeeperThan(""));
}

TEST_CASE("IsValidUtf8 accepts well-formed UTF-8 only", "[common]") {
  CHECK(hedgerow::IsValidUtf8(""));
  CHECK(hedgerow::IsValidUtf8("plain ascii text, longer than eight bytes"));
  CHECK(hedgerow::IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));  // é € 😀
  CHECK_FALSE(hedgerow::IsValidUtf8("abcdefgh\xff"));               // never in UTF-8
  CHECK_FALSE(hedgerow::IsValidUtf8("\xc0\xaf"));                   // overlong '/'
  CHECK_FALSE(hedgerow::IsValidUtf8("\xe0\x80\xaf"));               // overlong, 3 bytes
  CHECK_FALSE(hedgerow::IsValidUtf8("\xed\xa0\x80"));               // a surrogate, U+D800
  CHECK_FALSE(hedgerow::IsValidUtf8("\xf4\x90\x80\x80"));           // above U+10FFFF
  CHECK_FALSE(hedgerow::IsValidUtf8("\xe2\x82"));                   // truncated
  CHECK_FALSE(hedgerow::IsValidUtf8("\xe2\x28\xa1"));               // bad continuation
  // Every truncation of a valid text ending in a multi-byte character is judged right.
  std::string s = "ab\xf0\x9f\x98\x80";
  for (size_t n = 0; n <= s.size(); ++n) CHECK(hedgerow::IsValidUtf8(s.substr(0, n)) == (n <= 2 || n == s.size()));
}

TEST_CASE("JsonNestsDeeperThan agrees with a byte-at-a-time reference on random text", "[common]") {
  auto reference = [](std::string_view t, size_t max_depth) {
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < t.size(); ++i) {
      char c = t[i];
      if (in_string) {
        if (c == '\\') ++i;
        else if (c == '"') in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        if (++depth > max_depth) return true;
      } else if ((c == '}' || c == ']') && depth > 0) {
        --depth;
      }
    }
    return false;
  };
  std::mt19937 rng(Catch::rngSeed());
  // Half without backslashes, so that whole 16-byte blocks take the vector path.
  const std::string alphabets[] = {"{}[]\"\\ax:,", "{}[]\"ax:, \"\"[]"};
  for (int i = 0; i < 40000; ++i) {
    const std::string& alphabet = alphabets[i % 2];
    std::string t(rng() % 120, ' ');
    for (char& c : t) c = alphabet[rng() % alphabet.size()];
    size_t max_depth = rng() % 12;
    INFO(t << " max " << max_depth);
    REQUIRE(hedgerow::JsonNestsDeeperThan(t, max_depth) == reference(t, max_depth));
  }
}
