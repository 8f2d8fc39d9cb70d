#include "hedgerow/capture/events.h"
#include "hedgerow/capture/message.h"

#include <catch2/catch.hpp>

#include <random>

#include "hedgerow/common/json.h"

using namespace hedgerow;
using namespace hedgerow::capture;

namespace {
Result<ParsedRequest> Parse(std::string_view json, ParseOptions options = {}) {
  return ParseCaptureRequest(json, options);
}
}  // namespace

TEST_CASE("the three request shapes are accepted", "[capture]") {
  auto array = Parse(R"([{"event":"a","properties":{"distinct_id":"u1","token":"phc_t"}},{"event":"b","distinct_id":"u2","token":"phc_t"}])");
  REQUIRE(array.ok());
  CHECK(array->events.size() == 2);
  CHECK(array->token == "phc_t");
  CHECK(array->events[0].distinct_id == "u1");
  CHECK(array->events[1].event == "b");

  auto batch = Parse(R"({"api_key":"phc_b","sent_at":"2024-01-01T00:00:01.000Z","batch":[{"event":"x","distinct_id":"d"}]})");
  REQUIRE(batch.ok());
  CHECK(batch->token == "phc_b");
  CHECK(batch->sent_at == "2024-01-01T00:00:01.000Z");
  CHECK(batch->events[0].data == R"({"event":"x","distinct_id":"d"})");

  auto single = Parse(R"({"event":"one","$distinct_id":"d1","api_key":"phc_s","uuid":"01913a44-5b8b-7c0a-9f41-2d1e3f4a5b6c"})");
  REQUIRE(single.ok());
  CHECK(single->token == "phc_s");
  CHECK(single->events[0].distinct_id == "d1");
  REQUIRE(single->events[0].uuid);
  CHECK(single->events[0].uuid->ToString() == "01913a44-5b8b-7c0a-9f41-2d1e3f4a5b6c");
}

TEST_CASE("distinct ids are stringified, cleaned and truncated like PostHog's", "[capture]") {
  auto r = Parse(R"({"api_key":"phc_t","batch":[
      {"event":"a","distinct_id":23},
      {"event":"a","distinct_id":true},
      {"event":"a","distinct_id":"a\u0000b"},
      {"event":"a","distinct_id":")" + std::string(300, 'x') + R"("}]})");
  REQUIRE(r.ok());
  CHECK(r->events[0].distinct_id == "23");
  CHECK(r->events[1].distinct_id == "true");
  CHECK(r->events[2].distinct_id == "a\xef\xbf\xbd" "b");
  CHECK(r->events[3].distinct_id == std::string(200, 'x'));
}

TEST_CASE("a distinct_id that is an object or array fails the whole request", "[capture]") {
  for (std::string id : {R"({"k":[1]})", "[1,2]"}) {
    INFO(id);
    for (std::string where : {R"("distinct_id":)" + id, R"("$distinct_id":)" + id,
                              R"("properties":{"distinct_id":)" + id + "}"}) {
      auto r = Parse(R"({"api_key":"phc_t","batch":[{"event":"ok","distinct_id":"u"},{"event":"a",)" + where + "}]}");
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == StatusCode::kInvalidArgument);
      CHECK(r.status().message() == std::string("capture: event 1: \"distinct_id\" must be a string or a number, not an ") +
                                        (id[0] == '{' ? "object" : "array"));
    }
  }
}

TEST_CASE("JSON nested deeper than 128 levels is refused before it is parsed", "[capture]") {
  // Depth counts every object and array, the request's own included: {"event",...,"properties":
  // {...}} is 2 before the first nested value.
  auto event_with_depth = [](size_t depth, const char* open, const char* close) {
    std::string nested;
    for (size_t i = 2; i < depth; ++i) nested += open;
    nested += "1";
    for (size_t i = 2; i < depth; ++i) nested += close;
    return R"({"event":"a","distinct_id":"u","api_key":"phc_t","properties":{"a":)" + nested + "}}";
  };
  auto at_limit = Parse(event_with_depth(128, R"({"b":)", "}"));
  REQUIRE(at_limit.ok());
  CHECK(at_limit->events.size() == 1);
  CHECK(Parse(event_with_depth(128, "[", "]")).ok());
  for (size_t depth : {size_t{129}, size_t{100000}}) {
    for (auto [open, close] : {std::pair{R"({"b":)", "}"}, std::pair{"[", "]"}}) {
      auto r = Parse(event_with_depth(depth, open, close));
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == StatusCode::kInvalidArgument);
      CHECK(r.status().message() == "capture: failed to parse request: JSON nested deeper than 128 levels");
    }
  }
  // Unbalanced: 100k openers and nothing else is refused by depth, not by a parser's stack.
  CHECK_FALSE(Parse(std::string(100000, '[')).ok());
}

TEST_CASE("invalid events are dropped by reason and the rest kept", "[capture]") {
  auto r = Parse(R"({"api_key":"phc_t","batch":[
      {"event":"ok","distinct_id":"u"},
      {"event":"","distinct_id":"u"},
      {"distinct_id":"u"},
      {"event":"no-id"},
      {"event":"null-id","distinct_id":null},
      {"event":"empty-id","distinct_id":""},
      "not an object",
      {"event":"bad-props","distinct_id":"u","properties":[1]},
      {"event":"bad-uuid","distinct_id":"u","uuid":"nope"}]})");
  REQUIRE(r.ok());
  CHECK(r->total == 9);
  REQUIRE(r->events.size() == 2);
  CHECK_FALSE(r->events[1].uuid);  // invalid uuid: kept, the server assigns one
  CHECK(r->dropped.at("missing_event_name") == 2);
  CHECK(r->dropped.at("missing_distinct_id") == 3);
  CHECK(r->dropped.at("not_an_object") == 1);
  CHECK(r->dropped.at("invalid_properties") == 1);
  CHECK(r->first_drop_reason == "missing_event_name");
  CHECK(r->first_drop_detail == "capture: event 1: \"event\" must be a non-empty string");
}

TEST_CASE("engage events default to $identify", "[capture]") {
  ParseOptions engage;
  engage.default_event_name = "$identify";
  auto r = Parse(R"({"distinct_id":"u","token":"phc_t","$set":{"a":1}})", engage);
  REQUIRE(r.ok());
  CHECK(r->events[0].event == "$identify");
  CHECK(IsJson(r->events[0].data));
  CHECK(r->events[0].data.find(R"("event":"$identify")") != std::string::npos);
}

TEST_CASE("token problems are authentication errors", "[capture]") {
  auto none = Parse(R"([{"event":"a","distinct_id":"u"}])");
  CHECK(none.status().code() == StatusCode::kUnauthenticated);
  CHECK(none.status().message() == "capture: event submitted without an api_key");
  auto mixed = Parse(R"([{"event":"a","distinct_id":"u","token":"phc_1"},{"event":"a","distinct_id":"u","token":"phc_2"}])");
  CHECK(mixed.status().message() == "capture: batch submitted with inconsistent api_key values");
  auto personal = Parse(R"({"event":"a","distinct_id":"u","api_key":"phx_secret"})");
  CHECK(personal.status().code() == StatusCode::kUnauthenticated);
  auto long_token = Parse(R"({"event":"a","distinct_id":"u","api_key":")" + std::string(65, 't') + R"("})");
  CHECK(long_token.status().message() == "capture: API key is not valid: it is longer than 64 characters");
  auto trimmed = Parse(R"({"event":"a","distinct_id":"u","api_key":"  phc_x "})");
  REQUIRE(trimmed.ok());
  CHECK(trimmed->token == "phc_x");
}

TEST_CASE("shape errors are validation errors", "[capture]") {
  CHECK(Parse("[]").status().message() == "capture: request holds no event");
  CHECK(Parse(R"({"batch":[]})").status().code() == StatusCode::kInvalidArgument);
  CHECK(Parse(R"({"batch":{}})").status().code() == StatusCode::kInvalidArgument);
  CHECK(Parse("42").status().code() == StatusCode::kInvalidArgument);
  CHECK(Parse("{").status().message().rfind("capture: failed to parse request: ", 0) == 0);
}

TEST_CASE("snapshots need a session id and snapshot data", "[capture]") {
  ParseOptions s;
  s.snapshots = true;
  auto ok = Parse(R"([{"event":"$snapshot","properties":{"distinct_id":"u","token":"phc_t","$session_id":"s1","$snapshot_data":[{"type":2}]}}])", s);
  REQUIRE(ok.ok());
  CHECK(ok->events[0].session_id == "s1");
  auto no_session = Parse(R"([{"event":"$snapshot","properties":{"distinct_id":"u","token":"phc_t","$snapshot_data":[]}}])", s);
  CHECK(no_session.status().code() == StatusCode::kInvalidArgument);
  auto no_data = Parse(R"([{"event":"$snapshot","properties":{"distinct_id":"u","token":"phc_t","$session_id":"s1"}}])", s);
  REQUIRE(no_data.ok());
  CHECK(no_data->dropped.at("invalid_snapshot") == 1);
}

TEST_CASE("anonymized projects lose $ip from stored events", "[capture]") {
  ParseOptions strip;
  strip.strip_ip = true;
  auto r = Parse(R"({"event":"a","distinct_id":"u","token":"phc_t","properties":{"$ip":"1.2.3.4","x":1}})", strip);
  REQUIRE(r.ok());
  CHECK(r->events[0].data.find("1.2.3.4") == std::string::npos);
  CHECK(r->events[0].data.find(R"("x":1)") != std::string::npos);
}

TEST_CASE("the ingestion message has PostHog's fields", "[capture]") {
  auto r = Parse(R"({"event":"a","distinct_id":"u\"1","token":"phc_t"})");
  REQUIRE(r.ok());
  Uuid uuid = *Uuid::Parse("01913a44-5b8b-7c0a-9f41-2d1e3f4a5b6c");
  std::string msg = BuildIngestionMessage(r->events[0], uuid,
                                          {"", "http://localhost:8000", "2024-01-01T00:00:00.000000Z", "", "phc_t"});
  CHECK(msg == R"({"uuid":"01913a44-5b8b-7c0a-9f41-2d1e3f4a5b6c","distinct_id":"u\"1","ip":null,)"
               R"("site_url":"http://localhost:8000","now":"2024-01-01T00:00:00.000000Z","sent_at":"","token":"phc_t",)"
               R"("data":"{\"event\":\"a\",\"distinct_id\":\"u\\\"1\",\"token\":\"phc_t\"}"})");
  CHECK(IngestionKey("phc_t", "u1") == "phc_t:u1");
}

TEST_CASE("random JSON-ish input never crashes the parser", "[capture]") {
  std::mt19937 rng(9);
  std::string base = R"({"api_key":"phc_t","batch":[{"event":"a","distinct_id":"u","properties":{"k":[1,2,{"z":null}]}}]})";
  for (int i = 0; i < 20000; ++i) {
    std::string s = base;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % s.size();
      switch (rng() % 3) {
        case 0: s[pos] = static_cast<char>(rng()); break;
        case 1: s.erase(pos, 1 + rng() % 5); break;
        default: s.insert(pos, 1, "{}[]\":,0"[rng() % 8]);
      }
    }
    auto r = Parse(s);
    if (!r.ok()) CHECK(r.status().code() != StatusCode::kInternal);
  }
}

TEST_CASE("events are stored as the text the SDK sent unless capture changed them", "[capture]") {
  auto batch = Parse(R"({ "api_key" : "phc_t", "x": [1, {"batch": 2}], "batch" : [ {"event":"a", "distinct_id":"u"} ,
                         {"event" : "b","distinct_id":"v","properties":{"s":"]}\"["}} ] } )" "\n\t ");
  REQUIRE(batch.ok());
  CHECK(batch->events[0].data == R"({"event":"a", "distinct_id":"u"})");
  CHECK(batch->events[1].data == R"({"event" : "b","distinct_id":"v","properties":{"s":"]}\"["}})");
  // Text after the JSON value is refused, as PostHog's capture does (serde_json's "trailing characters").
  auto junk = Parse(R"(  {"event":"a","distinct_id":"u","token":"phc_t"}  junk)");
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.status().message().find("The document root must not be followed by other values") != std::string::npos);
  auto single = Parse(R"(  {"event":"a","distinct_id":"u","token":"phc_t"}  )");
  REQUIRE(single.ok());
  CHECK(single->events[0].data == R"({"event":"a","distinct_id":"u","token":"phc_t"})");
  auto escaped_key = Parse(R"({"api_key":"phc_t","\u0062atch":[{"event":"a","distinct_id":"u"}]})");
  REQUIRE(escaped_key.ok());
  CHECK(escaped_key->events[0].data == R"({"event":"a","distinct_id":"u"})");  // serialized: same JSON
  ParseOptions strip;
  strip.strip_ip = true;
  auto stripped = Parse(R"([{"event":"a","distinct_id":"u","token":"phc_t","properties":{"$ip":"1.1.1.1"}}])", strip);
  REQUIRE(stripped.ok());
  CHECK(stripped->events[0].data == R"({"event":"a","distinct_id":"u","token":"phc_t","properties":{}})");
}
