// JSON functions: visitParam* against clickhouse-server 18.16's answers
// (tests/query/testdata/json.tsv); JSONExtract*, which 18.16 does not have, against values
// written by hand from ClickHouse's documentation and source (FunctionsJSON.cpp,
// JSONExtractTree.cpp); random and truncated JSON fed to every function.

#include <catch2/catch.hpp>

#include <chrono>
#include <utility>
#include <random>
#include <string>

#include "hedgerow/query/evaluate.h"
#include "hedgerow/query/functions.h"
#include "hedgerow/query/parser.h"
#include "query/answer.h"

using namespace hedgerow;
using namespace hedgerow::query;

namespace {

using hedgerow::query::testing::Eval;

ColumnPtr Strings(const std::vector<std::string>& values) {
  auto c = MakeEmpty(MakeType(TypeId::kString));
  for (const std::string& v : values) {
    c->chars += v;
    c->offsets.push_back(c->chars.size());
  }
  c->rows = values.size();
  return c;
}

ColumnPtr ConstString(const std::string& value, size_t rows) {
  auto c = MakeConstColumn(Literal(value), rows);
  REQUIRE(c.ok());
  return *c;
}

const char* const kProperties = R"({"$browser":"Chrome","$os":"Mac OS X","$current_url":"https:\/\/example.com\/a?b=c","n":3,"f":1.50,"b":true,"z":null,"arr":[1,"two",{"three":3}],"obj":{"k":"v","deep":{"x":[10,20,30]}},"esc":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/","s42":"42","sf":"1.5e2","neg":-5,"big":18446744073709551615})";

// `text` as a SQL string literal.
std::string Quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string OnProperties(const std::string& call_prefix, const std::string& path) {
  return Eval(call_prefix + "(" + Quote(kProperties) + path + ")");
}

}  // namespace

TEST_CASE("visitParam functions agree with clickhouse-server 18.16", "[json]") {
  size_t checked = testing::CheckAnswers("json.tsv");
  CHECK(checked >= 150);
}

TEST_CASE("visitParamExtractString unescapes as newer ClickHouse's readJSONStringInto does", "[json]") {
  CHECK(Eval(R"(visitParamExtractString('{"a":"\\ud83d\\ude00"}', 'a'))") == "😀");
  // A high surrogate without its low half: newer ClickHouse refuses the string (18.16 wrote a
  // zero byte and went on).
  CHECK(Eval(R"(visitParamExtractString('{"a":"\\ud83dx"}', 'a'))") == "");
  CHECK(Eval(R"(visitParamExtractString('{"a":"\\ud83d\\u0041"}', 'a'))") == "\\0");
}

TEST_CASE("simpleJSON* are visitParam* under their newer names", "[json]") {
  CHECK(Eval(R"(simpleJSONExtractString('{"a":"x"}', 'a'))") == "x");
  CHECK(Eval(R"(simpleJSONExtractInt('{"a":"42"}', 'a'))") == "42");
  CHECK(Eval(R"(simpleJSONHas('{"a":1}', 'b'))") == "0");
  CHECK(Eval(R"(simpleJSONExtractRaw('{"a":[1, 2],"b":1}', 'a'))") == "[1, 2]");
}

// Values from ClickHouse's documentation of JSONExtract* (18.16 has none of them).
TEST_CASE("JSONExtract* follow a path of keys and 1-based, negative-from-the-end indices", "[json]") {
  const std::string doc = R"('{"a": "hello", "b": [-100, 200.0, 300]}')";
  CHECK(Eval("JSONHas(" + doc + ", 'b')") == "1");
  CHECK(Eval("JSONHas(" + doc + ", 'b', 4)") == "0");
  CHECK(Eval("JSONLength(" + doc + ", 'b')") == "3");
  CHECK(Eval("JSONLength(" + doc + ")") == "2");
  CHECK(Eval("JSONType(" + doc + ")") == "Object");
  CHECK(Eval("JSONType(" + doc + ", 'a')") == "String");
  CHECK(Eval("JSONType(" + doc + ", 'b')") == "Array");
  CHECK(Eval("JSONExtractFloat(" + doc + ", 'b', 2)") == "200");
  CHECK(Eval("JSONExtractInt(" + doc + ", 'b', 1)") == "-100");
  CHECK(Eval("JSONExtractUInt(" + doc + ", 'b', -1)") == "300");
  CHECK(Eval("JSONExtractString(" + doc + ", 'a')") == "hello");
  CHECK(Eval("JSONExtractString(" + doc + ", 1)") == "hello");  // an index into an object: its n-th member
  CHECK(Eval("JSONExtractInt(" + doc + ", 'b', -3)") == "-100");
  CHECK(Eval("JSONExtractInt(" + doc + ", 'b', -4)") == "0");
  CHECK(Eval("JSONExtractInt(" + doc + ", 'b', 0)") == "0");
  CHECK(Eval("JSONExtractRaw(" + doc + ", 'b')") == "[-100,200,300]");
  CHECK(Eval(R"(JSONExtractRaw('{"a": "hello", "b": [-100, 200.0, 300]}'))") == R"({"a":"hello","b":[-100,200,300]})");
  CHECK(Eval("JSONExtractKeys(" + doc + ")") == "['a','b']");
  CHECK(Eval("JSONExtractBool('{\"passed\": true}', 'passed')") == "1");
}

TEST_CASE("JSONExtract* on PostHog-like properties: nested, escaped, unicode, numbers as strings", "[json]") {
  CHECK(OnProperties("JSONExtractString", ", '$browser'") == "Chrome");
  CHECK(OnProperties("JSONExtractString", ", '$current_url'") == "https://example.com/a?b=c");
  // JSONExtractRaw writes '/' unescaped (ClickHouse sets escape_forward_slashes = false).
  CHECK(OnProperties("JSONExtractRaw", ", '$current_url'") == "\"https://example.com/a?b=c\"");
  CHECK(OnProperties("JSONExtractString", ", 'esc'") == "café 😀 \"q\" \\\\ /");
  CHECK(OnProperties("JSONExtractRaw", ", 'esc'") == "\"café 😀 \\\\\"q\\\\\" \\\\\\\\ /\"");
  CHECK(OnProperties("JSONExtractString", ", 'obj', 'k'") == "v");
  CHECK(OnProperties("JSONExtractInt", ", 'obj', 'deep', 'x', 2") == "20");
  CHECK(OnProperties("JSONExtractInt", ", 'obj', 'deep', 'x', -1") == "30");
  CHECK(OnProperties("JSONExtractRaw", ", 'obj'") == R"({"k":"v","deep":{"x":[10,20,30]}})");
  CHECK(OnProperties("JSONExtractRaw", ", 'arr', 3") == R"({"three":3})");
  CHECK(OnProperties("JSONExtractInt", ", 'arr', 3, 'three'") == "3");
  CHECK(OnProperties("JSONExtractString", ", 'arr', 2") == "two");
  // Missing keys and wrong types give the default.
  CHECK(OnProperties("JSONExtractString", ", 'nope'") == "");
  CHECK(OnProperties("JSONExtractString", ", 'n'") == "");
  CHECK(OnProperties("JSONExtractInt", ", '$browser'") == "0");
  CHECK(OnProperties("JSONExtractString", ", 'obj', 'k', 'deeper'") == "");
  CHECK(OnProperties("JSONHas", ", 'z'") == "1");
  CHECK(OnProperties("JSONHas", ", 'nope'") == "0");
  CHECK(OnProperties("JSONType", ", 'z'") == "Null");
  CHECK(OnProperties("JSONType", ", 'n'") == "Int64");
  CHECK(OnProperties("JSONType", ", 'big'") == "UInt64");
  CHECK(OnProperties("JSONType", ", 'f'") == "Double");
  CHECK(OnProperties("JSONType", ", 'b'") == "Bool");
  CHECK(OnProperties("JSONExtractRaw", ", 'z'") == "null");
  CHECK(OnProperties("JSONExtractRaw", ", 'f'") == "1.5");
  CHECK(OnProperties("JSONExtractRaw", ", 'b'") == "true");
  // Numbers: strings holding numbers are read (JSONExtractTree's tryGetNumericValueFromJSONElement),
  // doubles are truncated, out-of-range values and booleans give 0.
  CHECK(OnProperties("JSONExtractInt", ", 's42'") == "42");
  CHECK(OnProperties("JSONExtractInt", ", 'sf'") == "150");
  CHECK(OnProperties("JSONExtractFloat", ", 'sf'") == "150");
  CHECK(OnProperties("JSONExtractInt", ", 'f'") == "1");
  CHECK(OnProperties("JSONExtractFloat", ", 'n'") == "3");
  CHECK(OnProperties("JSONExtractUInt", ", 'neg'") == "0");
  CHECK(OnProperties("JSONExtractInt", ", 'big'") == "0");
  CHECK(OnProperties("JSONExtractUInt", ", 'big'") == "18446744073709551615");
  CHECK(OnProperties("JSONExtractInt", ", 'b'") == "0");
  CHECK(OnProperties("JSONExtractBool", ", 'b'") == "1");
  CHECK(OnProperties("JSONExtractBool", ", 'n'") == "1");
  CHECK(OnProperties("JSONExtractBool", ", 'f'") == "0");
  CHECK(OnProperties("JSONExtractBool", ", '$browser'") == "0");
  CHECK(OnProperties("JSONLength", ", 'arr'") == "3");
  CHECK(OnProperties("JSONLength", ", '$browser'") == "0");
  CHECK(OnProperties("JSONExtractKeys", ", 'obj'") == "['k','deep']");
  CHECK(OnProperties("JSONExtractKeys", ", 'arr'") == "[]");
}

TEST_CASE("JSONExtract*: keys with escapes, duplicates, root scalars, invalid JSON, NULL", "[json]") {
  CHECK(Eval(R"(JSONExtractString('{"\\u0061":"escaped key"}', 'a'))") == "escaped key");
  CHECK(Eval(R"(JSONExtractString('{"a\\"b":"quote"}', 'a"b'))") == "quote");
  CHECK(Eval(R"(JSONExtractString('{"a":"first","a":"second"}', 'a'))") == "first");
  CHECK(Eval(R"(JSONExtractString('"root"'))") == "root");
  CHECK(Eval(R"(JSONExtractInt('17'))") == "17");
  CHECK(Eval(R"(JSONType('null'))") == "Null");
  CHECK(Eval(R"(JSONExtractString('{"a":"x\\u0001\\u2028"}', 'a'))") == "x\x01\xE2\x80\xA8");
  CHECK(Eval(R"(JSONExtractRaw('{"a":"x\\u0001\\u2028\\n"}', 'a'))") == R"("x\\u0001\\u2028\\n")");
  CHECK(Eval(R"(JSONExtractRaw('{"a" : [ 1 , 2.50 , 1e2 , -0.0 ] }', 'a'))") == "[1,2.5,100,-0]");
  for (const char* invalid : {"", "not json", "{", R"({"a":"x)", "[1,2", "\"\\ud800", "{\"a\":\"\xff\"}"}) {
    INFO(invalid);
    auto c = CallFunction("JSONExtractString", {Strings({invalid}), ConstString("a", 1)}, 1);
    REQUIRE(c.ok());
    CHECK(FormatValue(**c, 0) == "");
    auto has = CallFunction("JSONHas", {Strings({invalid}), ConstString("a", 1)}, 1);
    REQUIRE(has.ok());
    CHECK(FormatValue(**has, 0) == "0");
  }
  CHECK(Eval("JSONExtractString(NULL, 'a')") == "\\N");
  CHECK(Eval(R"(JSONExtractString(toNullable('{"a":"x"}'), 'a'))") == "x");
  CHECK(Eval(R"(JSONExtractString('{"a":"x"}', 1.5))") == "error");
  CHECK(Eval("JSONExtractString(1, 'a')") == "error");
  CHECK(Eval("JSONHas()") == "error");
}

TEST_CASE("JSONExtract* read keys and indices that differ per row", "[json]") {
  auto docs = Strings({R"({"a":1,"b":2})", R"({"a":3,"b":4})", R"([5,6,7])"});
  auto keys = Strings({"a", "b", "a"});
  auto r = CallFunction("JSONExtractInt", {docs, keys}, 3);
  REQUIRE(r.ok());
  CHECK(FormatValue(**r, 0) == "1");
  CHECK(FormatValue(**r, 1) == "4");
  CHECK(FormatValue(**r, 2) == "0");
}

TEST_CASE("JSON nested past 128 levels is refused by JSONExtractRaw, not recursed into", "[json]") {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::string shallow = std::string(100, '[') + std::string(100, ']');
  auto raw = CallFunction("JSONExtractRaw", {Strings({deep, shallow})}, 2);
  REQUIRE(raw.ok());
  CHECK(FormatValue(**raw, 0) == "");
  CHECK(FormatValue(**raw, 1) == shallow);
  auto length = CallFunction("JSONLength", {Strings({deep})}, 1);
  REQUIRE(length.ok());
  CHECK(FormatValue(**length, 0) == "1");
}

TEST_CASE("the HogQL property expression: replaceRegexpAll(nullIf(nullIf(JSONExtractRaw(...)))", "[json]") {
  const std::string expr = "replaceRegexpAll(nullIf(nullIf(JSONExtractRaw(properties, '$browser'), ''), 'null'), '^\"|\"$', '')";
  Chunk chunk;
  chunk.names = {"properties"};
  chunk.columns = {Strings({R"({"$browser":"Chrome"})", R"({"$os":"x"})", R"({"$browser":null})", R"({"$browser":42})",
                            R"({"$browser":"say \"hi\""})"})};
  chunk.rows = 5;
  auto e = ParseExpression(expr);
  REQUIRE(e.ok());
  auto r = Evaluate(**e, chunk);
  REQUIRE(r.ok());
  CHECK(FormatValue(**r, 0) == "Chrome");
  CHECK(FormatValue(**r, 1) == "\\N");
  CHECK(FormatValue(**r, 2) == "\\N");
  CHECK(FormatValue(**r, 3) == "42");
  CHECK(FormatValue(**r, 4) == "say \\\\\"hi\\\\\"");
}

TEST_CASE("random and truncated JSON never crash any JSON function", "[json]") {
  std::mt19937 rng(17);
  const std::string seed = kProperties;
  // "\x00" "abc": a NUL byte, then letters (one literal would read "\x00abc" as one escape).
  static constexpr char kAlphabet[] = "{}[]\":,\\ 0123456789.eE+-truefalsnul\xc3\xa9\xff\x00" "abc";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);
  std::vector<std::string> inputs;
  for (size_t cut = 0; cut <= seed.size(); cut += 3) inputs.push_back(seed.substr(0, cut));
  for (int i = 0; i < 300; ++i) {
    std::string s = seed;
    for (int k = 0; k < 4; ++k) s[rng() % s.size()] = alphabet[rng() % alphabet.size()];
    inputs.push_back(s);
    std::string noise(rng() % 64, ' ');
    for (char& c : noise) c = alphabet[rng() % alphabet.size()];
    inputs.push_back(noise);
  }
  auto docs = Strings(inputs);
  const size_t rows = inputs.size();
  for (const char* f : {"JSONHas", "JSONLength", "JSONType", "JSONExtractInt", "JSONExtractUInt", "JSONExtractFloat",
                        "JSONExtractBool", "JSONExtractString", "JSONExtractRaw", "JSONExtractKeys"}) {
    for (std::vector<ColumnPtr> path : std::vector<std::vector<ColumnPtr>>{
             {}, {ConstString("obj", rows)}, {ConstString("obj", rows), ConstString("deep", rows)}, {ConstString("arr", rows)}}) {
      path.insert(path.begin(), docs);
      auto r = CallFunction(f, path, rows);
      INFO(f);
      REQUIRE(r.ok());
      CHECK((*r)->rows == rows);
    }
  }
  for (const char* f : {"visitParamHas", "visitParamExtractInt", "visitParamExtractUInt", "visitParamExtractFloat",
                        "visitParamExtractBool", "visitParamExtractString", "visitParamExtractRaw"}) {
    auto r = CallFunction(f, {docs, ConstString("obj", rows)}, rows);
    INFO(f);
    REQUIRE(r.ok());
    CHECK((*r)->rows == rows);
  }
}

// Not a unit test: run with "[.bench]" for a throughput printout.
TEST_CASE("JSONExtractString throughput on 200k PostHog-like rows", "[.bench]") {
  std::vector<std::string> rows;
  std::mt19937 rng(1);
  size_t bytes = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string s = R"({"$os":"Mac OS X","$browser":")" + std::string(i % 2 ? "Chrome" : "Firefox") +
                    R"(","$device_type":"Desktop","$current_url":"https://example.com/path/)" + std::to_string(rng()) +
                    R"(?q=1","$host":"example.com","$pathname":"/path/x","$browser_version":120,"$screen_height":1080,"$screen_width":1920,"$lib":"web","$lib_version":"1.2.3","$insert_id":")" +
                    std::to_string(rng()) + R"(abcdefgh","$time":1700000000.123,"distinct_id":"user-)" + std::to_string(rng() % 1000) +
                    R"(","$referrer":"$direct","$referring_domain":"$direct","token":"phc_abcdefghijklmnopqrstuvwxyz0123456789","$session_id":"018c1234-5678-7abc-def0-123456789abc","$window_id":"018c1234-5678-7abc-def0-123456789abd","nested":{"a":[1,2,3,{"b":"c"}],"d":null,"e":true},"$active_feature_flags":["flag-a","flag-b","flag-c"],"utm_source":"newsletter","$ip":"1.2.3.4"})";
    bytes += s.size();
    rows.push_back(std::move(s));
  }
  Chunk chunk;
  chunk.names = {"properties"};
  chunk.columns = {Strings(rows)};
  chunk.rows = rows.size();
  for (const char* expr : {"JSONExtractString(properties, '$browser')", "JSONExtractRaw(properties, '$browser')",
                           "JSONExtractString(properties, 'utm_source')", "visitParamExtractString(properties, '$browser')",
                           "replaceRegexpAll(nullIf(nullIf(JSONExtractRaw(properties, '$browser'), ''), 'null'), '^\"|\"$', '')"}) {
    auto e = ParseExpression(expr);
    REQUIRE(e.ok());
    auto start = std::chrono::steady_clock::now();
    auto r = Evaluate(**e, chunk);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    REQUIRE(r.ok());
    WARN(expr << ": " << rows.size() << " rows, " << bytes / 1e6 << " MB in " << seconds * 1e3 << " ms = "
              << bytes / seconds / 1e6 << " MB/s");
  }
}
