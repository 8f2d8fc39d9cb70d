// PersonUpdates applies $set / $set_once / $unset in two ways: spliced into the text, and
// through a parsed document. Random properties and updates must give the same result both
// ways, byte for byte.
#include "ingest/person_updates.h"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <random>

#include "hedgerow/common/json.h"

using hedgerow::WriteJson;
using hedgerow::ingest::PersonUpdates;

namespace {

// As they appear between quotes in JSON (one needs an escape).
const char* kKeys[] = {"a", "b", "n", "$browser", "$initial_browser", "$os", "x y", "q\\\"uote", "é", "nested"};
const char* kValues[] = {"1",     "1.0",        "2",       "-3.5",         "1e2",        "100",           "true",
                         "false", "null",       "\"s\"",   "\"t\\\"q\"",   "\"\"",       "{\"k\":1,\"j\":2}",
                         "{\"j\":2,\"k\":1}",   "{\"k\":1}", "[1,2]",      "[2,1]",      "\"Chrome\""};

std::string RandomObject(std::mt19937& rng, size_t max_members) {
  std::string out = "{";
  size_t n = rng() % (max_members + 1);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += ',';
    out += fmt::format("\"{}\":{}", kKeys[rng() % std::size(kKeys)], kValues[rng() % std::size(kValues)]);
  }
  return out + "}";
}

std::string Compact(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  REQUIRE_FALSE(d.HasParseError());
  return WriteJson(d);
}

}  // namespace

TEST_CASE("person updates: spliced into the text equals applied to a document", "[ingest]") {
  std::mt19937 rng(4242);
  size_t spliced = 0, changed = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    // Properties as persons keep them: compact, no duplicate keys.
    std::string properties = Compact(RandomObject(rng, 8));
    std::string unset = "[";
    for (size_t i = 0, n = rng() % 3; i < n; ++i) unset += fmt::format("{}\"{}\"", i ? "," : "", kKeys[rng() % std::size(kKeys)]);
    unset += "]";
    std::string event = fmt::format(R"({{"$set":{},"$set_once":{},"$unset":{}{}}})", RandomObject(rng, 4),
                                     RandomObject(rng, 3), unset, rng() % 3 == 0 ? R"(,"$browser":"Chrome")" : "");
    rapidjson::Document props;
    props.Parse(event.data(), event.size());
    REQUIRE_FALSE(props.HasParseError());
    PersonUpdates updates(props);
    std::string by_splice = properties, by_document = properties;
    std::optional<bool> splice_changed = updates.Splice(by_splice);
    bool document_changed = updates.ApplyToDocument(by_document);
    INFO("properties " << properties << " event " << event);
    if (!splice_changed) continue;  // escaped keys: the document's work
    ++spliced;
    changed += document_changed;
    REQUIRE(*splice_changed == document_changed);
    REQUIRE(by_splice == by_document);
  }
  CHECK(spliced > 8000);  // the rest have escaped or repeated keys
  CHECK(changed > 5000);
}

TEST_CASE("person updates: text that is not compact JSON goes to the document", "[ingest]") {
  rapidjson::Document props;
  props.Parse(R"({"$set":{"a":1}})");
  PersonUpdates updates(props);
  for (std::string text : {"{ \"a\":2}", "{\"a\" :2}", "{\"a\":2,}", "{\"a\":2", "[1]", "", "{\"a\":}", "{\"k\\u0041\":1}"}) {
    INFO(text);
    std::string copy = text;
    CHECK_FALSE(updates.Splice(copy).has_value());
    CHECK(copy == text);
  }
  std::string spaced = "{ \"b\" : true }";
  CHECK(updates.ApplyTo(spaced));
  CHECK(spaced == R"({"b":true,"a":1})");
}
