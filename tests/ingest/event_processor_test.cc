// Table-style cases: each feeds a sequence of capture messages through the processor and
// checks the exact person, distinct-id, group, warning and event rows it emits.
#include "hedgerow/ingest/event_processor.h"

#include <catch2/catch.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

#include <map>
#include <random>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/uuid.h"
#include "ingest/processor_harness.h"

using namespace hedgerow;
using namespace hedgerow::ingest;
using namespace hedgerow::ingest::testing;


namespace {

// Takes the rows Emit writes in place into one buffer, each after the last as in a log
// payload, and the others whole: all come out as OutputRows, in order.
class InPlaceRows : public RowSink {
 public:
  explicit InPlaceRows(std::vector<OutputRow>& rows) : rows_(rows) {}
  std::string* BeginRow(std::string_view topic, std::string_view key) override {
    topic_ = topic;
    key_ = key;
    start_ = buffer_.size();
    return &buffer_;
  }
  void EndRow() override { rows_.push_back({topic_, key_, buffer_.substr(start_)}); }
  void Add(OutputRow&& row) override { rows_.push_back(std::move(row)); }

 private:
  std::vector<OutputRow>& rows_;
  std::string buffer_ = "rows before";  // a row never starts at the buffer's beginning
  std::string_view topic_;
  std::string key_;
  size_t start_ = 0;
};

}  // namespace

TEST_CASE("ingest: the first event creates a person with $set_once then $set", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"signup","properties":{"$set":{"email":"a@x.com","plan":"pro"},"$set_once":{"plan":"free","first":"yes"}}})", "user_1"}});
  auto persons = Of(rows, "clickhouse_person");
  REQUIRE(persons.size() == 1);
  CHECK(persons[0]->Str("id") == Uuid5("1:user_1"));
  CHECK(persons[0]->Str("id") == "131ecd7b-7aa1-5121-8fd3-5353d39dd23e");
  CHECK(persons[0]->Str("properties") == R"({"plan":"pro","first":"yes","email":"a@x.com"})");
  CHECK(persons[0]->Int("version") == 0);
  CHECK(persons[0]->Int("is_identified") == 0);
  CHECK(persons[0]->Str("created_at") == "2024-01-01 12:00:00.000000");
  auto pdis = Of(rows, "clickhouse_person_distinct_id");
  REQUIRE(pdis.size() == 1);
  CHECK(pdis[0]->Str("distinct_id") == "user_1");
  CHECK(pdis[0]->Str("person_id") == Uuid5("1:user_1"));
  CHECK(pdis[0]->Int("version") == 0);
  auto events = Of(rows, "clickhouse_events_json");
  REQUIRE(events.size() == 1);
  CHECK(events[0]->Str("person_id") == Uuid5("1:user_1"));
  CHECK(events[0]->Str("person_properties") == R"({"plan":"pro","first":"yes","email":"a@x.com"})");
  CHECK(events[0]->Str("person_mode") == "full");
  CHECK(events[0]->Int("team_id") == 1);
}

TEST_CASE("ingest: updates apply $set_once only to new keys, then $set, then $unset; versions bump on change only", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"a","properties":{"$set":{"a":1,"b":2}}})", "u"}});
  auto rows = h.Run({{R"({"event":"b","properties":{"$set_once":{"a":9,"c":3},"$set":{"b":5},"$unset":["zzz"]}})", "u"}});
  auto persons = Of(rows, "clickhouse_person");
  REQUIRE(persons.size() == 1);
  CHECK(persons[0]->Str("properties") == R"({"a":1,"b":5,"c":3})");
  CHECK(persons[0]->Int("version") == 1);
  auto same = h.Run({{R"({"event":"c","properties":{"$set":{"b":5}}})", "u"}});
  CHECK(Of(same, "clickhouse_person").empty());  // no change, no row, no bump
  CHECK(h.Person("u")->version == 1);
  auto unset = h.Run({{R"({"event":"d","properties":{"$unset":["a"]}})", "u"}});
  REQUIRE(Of(unset, "clickhouse_person").size() == 1);
  CHECK(Of(unset, "clickhouse_person")[0]->Str("properties") == R"({"b":5,"c":3})");
  CHECK(Of(unset, "clickhouse_person")[0]->Int("version") == 2);
}

TEST_CASE("ingest: top-level $set and $set_once join the properties", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"$identify","$set":{"name":"Ann"},"$set_once":{"src":"ad"},"properties":{}})", "u"}});
  auto events = Of(rows, "clickhouse_events_json");
  auto props = events[0]->Json("properties");
  CHECK(std::string(props["$set"]["name"].GetString()) == "Ann");
  CHECK(std::string(props["$set_once"]["src"].GetString()) == "ad");
  CHECK(h.Person("u")->properties == R"({"src":"ad","name":"Ann"})");
}

TEST_CASE("ingest: browser properties are captured into $set and $set_once.$initial_*", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"$pageview","properties":{"$browser":"Chrome","$current_url":"https://x/","utm_source":"news","other":1}})", "u"}});
  rapidjson::Document p;
  { std::string text = h.Person("u")->properties; p.Parse(text.data(), text.size()); }
  CHECK(std::string(p["$browser"].GetString()) == "Chrome");
  CHECK(std::string(p["$initial_browser"].GetString()) == "Chrome");
  CHECK(std::string(p["$initial_current_url"].GetString()) == "https://x/");
  CHECK(std::string(p["utm_source"].GetString()) == "news");
  CHECK(std::string(p["$initial_utm_source"].GetString()) == "news");
  CHECK_FALSE(p.HasMember("other"));
  h.Run({{R"({"event":"$pageview","properties":{"$browser":"Firefox"}})", "u"}});
  { std::string text = h.Person("u")->properties; p.Parse(text.data(), text.size()); }
  CHECK(std::string(p["$browser"].GetString()) == "Firefox");
  CHECK(std::string(p["$initial_browser"].GetString()) == "Chrome");
}

TEST_CASE("ingest: $identify of an unknown anon id adds it to the identified person", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"x"})", "user"}});
  auto rows = h.Run({{R"({"event":"$identify","properties":{"$anon_distinct_id":"anon"}})", "user"}});
  auto pdis = Of(rows, "clickhouse_person_distinct_id");
  REQUIRE(pdis.size() == 1);
  CHECK(pdis[0]->Str("distinct_id") == "anon");
  CHECK(pdis[0]->Str("person_id") == Uuid5("1:user"));
  auto persons = Of(rows, "clickhouse_person");
  REQUIRE(persons.size() == 1);  // is_identified false -> true
  CHECK(persons[0]->Int("is_identified") == 1);
  CHECK(persons[0]->Int("version") == 1);
  CHECK(h.Person("anon")->uuid.ToString() == Uuid5("1:user"));
}

TEST_CASE("ingest: $identify with an anonymous person moves the new id onto it", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"$pageview","properties":{"$set":{"seen":true}}})", "anon"}});
  auto rows = h.Run({{R"({"event":"$identify","properties":{"$anon_distinct_id":"anon","$set":{"email":"e"}}})", "user"}});
  auto p = h.Person("user");
  REQUIRE(p);
  CHECK(p->uuid.ToString() == Uuid5("1:anon"));  // the anonymous person keeps its uuid
  CHECK(p->is_identified);
  CHECK(p->properties == R"({"seen":true,"email":"e"})");
  CHECK(p->version == 1);
  CHECK(Of(rows, "clickhouse_events_json")[0]->Str("person_id") == Uuid5("1:anon"));
}

TEST_CASE("ingest: $identify of two known persons merges into the identified one", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"a","properties":{"$set":{"a":1,"shared":"anon"}}})", "anon", "2024-01-01T10:00:00Z"},
         {R"({"event":"b","properties":{"$set":{"b":2,"shared":"user"}}})", "user", "2024-01-01T11:00:00Z"}});
  auto rows = h.Run({{R"({"event":"$identify","properties":{"$anon_distinct_id":"anon"}})", "user"}});
  auto persons = Of(rows, "clickhouse_person");
  REQUIRE(persons.size() == 2);
  CHECK(persons[0]->Str("id") == Uuid5("1:user"));
  CHECK(persons[0]->Str("properties") == R"({"a":1,"shared":"user","b":2})");
  CHECK(persons[0]->Int("is_identified") == 1);
  CHECK(persons[0]->Int("version") == 1);
  CHECK(persons[0]->Str("created_at") == "2024-01-01 10:00:00.000000");  // the earlier one
  CHECK(persons[1]->Str("id") == Uuid5("1:anon"));
  CHECK(persons[1]->Int("is_deleted") == 1);
  CHECK(persons[1]->Int("version") == 100);
  auto pdis = Of(rows, "clickhouse_person_distinct_id");
  REQUIRE(pdis.size() == 1);
  CHECK(pdis[0]->Str("distinct_id") == "anon");
  CHECK(pdis[0]->Str("person_id") == Uuid5("1:user"));
  CHECK(pdis[0]->Int("version") == 1);
  CHECK(h.Person("anon")->uuid.ToString() == Uuid5("1:user"));
}

TEST_CASE("ingest: an already identified person is not merged by $identify or $create_alias", "[ingest]") {
  for (std::string event : {"$identify", "$create_alias"}) {
    Harness h;
    h.Run({{R"({"event":"$identify","properties":{"$anon_distinct_id":"a1"}})", "other"},
           {R"({"event":"x"})", "target"}});
    std::string props = event == "$identify" ? R"({"$anon_distinct_id":"other"})" : R"({"alias":"other"})";
    auto rows = h.Run({{R"({"event":")" + event + R"(","properties":)" + props + "}", "target"}});
    auto warnings = Of(rows, "clickhouse_ingestion_warnings");
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0]->Str("type") == "cannot_merge_already_identified");
    CHECK(h.Person("other")->uuid.ToString() != h.Person("target")->uuid.ToString());
  }
}

TEST_CASE("ingest: $merge_dangerously merges even an identified person", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"$identify","properties":{"$anon_distinct_id":"a1"}})", "other"}, {R"({"event":"x"})", "target"}});
  auto rows = h.Run({{R"({"event":"$merge_dangerously","properties":{"alias":"other"}})", "target"}});
  CHECK(Of(rows, "clickhouse_ingestion_warnings").empty());
  CHECK(h.Person("other")->uuid.ToString() == Uuid5("1:target"));
  CHECK(h.Person("a1")->uuid.ToString() == Uuid5("1:target"));
  auto pdis = Of(rows, "clickhouse_person_distinct_id");
  CHECK(pdis.size() == 2);  // other and a1 moved
}

TEST_CASE("ingest: $create_alias of two unknown ids makes one person with both", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"$create_alias","properties":{"alias":"alias_id"}})", "main_id"}});
  CHECK(Of(rows, "clickhouse_person").size() == 1);
  CHECK(Of(rows, "clickhouse_person_distinct_id").size() == 2);
  CHECK(h.Person("alias_id")->uuid == h.Person("main_id")->uuid);
  CHECK(h.Person("main_id")->uuid.ToString() == Uuid5("1:main_id"));
}

TEST_CASE("ingest: illegal distinct ids are never merged", "[ingest]") {
  for (std::string bad : {"anonymous", "Guest", "NULL_not", "null", "None", "0", "[object Object]", "\"undefined\"",
                          "  ", "'email'", "NaN", "distinct_id", "not_authenticated", "TRUE"}) {
    INFO(bad);
    Harness h;
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    w.String(bad.c_str());
    auto rows = h.Run({{std::string(R"({"event":"$identify","properties":{"$anon_distinct_id":)") + b.GetString() + "}}", "user"}});
    bool illegal = bad != "NULL_not";
    auto warnings = Of(rows, "clickhouse_ingestion_warnings");
    CHECK(warnings.size() == (illegal ? 1u : 0u));
    if (illegal) CHECK(warnings[0]->Str("type") == "cannot_merge_with_illegal_distinct_id");
  }
}

TEST_CASE("ingest: personless events touch no person and carry a deterministic person id", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"$pageview","properties":{"$process_person_profile":false,"$set":{"a":1}}})", "anon"}});
  CHECK(Of(rows, "clickhouse_person").empty());
  CHECK(Of(rows, "clickhouse_person_distinct_id").empty());
  CHECK_FALSE(h.Person("anon"));
  auto e = Of(rows, "clickhouse_events_json");
  REQUIRE(e.size() == 1);
  CHECK(e[0]->Str("person_mode") == "propertyless");
  CHECK(e[0]->Str("person_id") == Uuid5("1:anon"));
  CHECK(e[0]->Str("person_properties") == "{}");
}

TEST_CASE("ingest: personless merge and group events are dropped with a warning", "[ingest]") {
  for (std::string event : {"$identify", "$create_alias", "$merge_dangerously", "$groupidentify"}) {
    Harness h;
    auto rows = h.Run({{R"({"event":")" + event + R"(","properties":{"$process_person_profile":false,"alias":"x","$anon_distinct_id":"y"}})", "u"}});
    CHECK(Of(rows, "clickhouse_events_json").empty());
    auto w = Of(rows, "clickhouse_ingestion_warnings");
    REQUIRE(w.size() == 1);
    CHECK(w[0]->Str("type") == "invalid_event_when_process_person_profile_is_false");
  }
}

TEST_CASE("ingest: groups get type indexes and group columns; a sixth type is ignored with a warning", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"x","properties":{"$groups":{"company":"acme","team":"t1"}}})", "u"},
                     {R"({"event":"y","properties":{"$groups":{"a":"1","b":"2","c":"3","team":"t2"}}})", "u"}});
  auto e = Of(rows, "clickhouse_events_json");
  REQUIRE(e.size() == 2);
  CHECK(e[0]->Str("$group_0") == "acme");
  CHECK(e[0]->Str("$group_1") == "t1");
  CHECK(e[1]->Str("$group_1") == "t2");
  CHECK(e[1]->Str("$group_2") == "1");
  CHECK(e[1]->Str("$group_4") == "3");
  auto w = Of(rows, "clickhouse_ingestion_warnings");
  CHECK(w.empty());
  auto sixth = h.Run({{R"({"event":"z","properties":{"$groups":{"sixth":"s"}}})", "u"}});
  REQUIRE(Of(sixth, "clickhouse_ingestion_warnings").size() == 1);
  CHECK(Of(sixth, "clickhouse_ingestion_warnings")[0]->Str("type") == "group_type_limit_exceeded");
}

TEST_CASE("ingest: $groupidentify creates a group at version 1 and bumps it on changes only", "[ingest]") {
  Harness h;
  auto first = h.Run({{R"({"event":"$groupidentify","properties":{"$group_type":"company","$group_key":"acme","$group_set":{"plan":"pro"}}})", "u"}});
  auto g = Of(first, "clickhouse_groups");
  REQUIRE(g.size() == 1);
  CHECK(g[0]->Int("version") == 1);
  CHECK(g[0]->Int("group_type_index") == 0);
  CHECK(g[0]->Str("group_properties") == R"({"plan":"pro"})");
  auto same = h.Run({{R"({"event":"$groupidentify","properties":{"$group_type":"company","$group_key":"acme","$group_set":{"plan":"pro"}}})", "u"}});
  CHECK(Of(same, "clickhouse_groups").empty());
  auto changed = h.Run({{R"({"event":"$groupidentify","properties":{"$group_type":"company","$group_key":"acme","$group_set":{"seats":5}}})", "u"}});
  REQUIRE(Of(changed, "clickhouse_groups").size() == 1);
  CHECK(Of(changed, "clickhouse_groups")[0]->Int("version") == 2);
  CHECK(Of(changed, "clickhouse_groups")[0]->Str("group_properties") == R"({"plan":"pro","seats":5})");
}

TEST_CASE("ingest: timestamps follow sent_at skew, offset, future and invalid rules", "[ingest]") {
  Harness h;
  auto ts = [&](const std::string& data, const std::string& sent_at = "") {
    Msg m{data, "u"};
    m.sent_at = sent_at;
    auto rows = h.Run({m});
    auto e = Of(rows, "clickhouse_events_json");
    REQUIRE(e.size() == 1);
    auto w = Of(rows, "clickhouse_ingestion_warnings");
    return std::make_pair(e[0]->Str("timestamp"), w.empty() ? std::string() : w[0]->Str("type"));
  };
  // Client clock 1 h fast: the event happened 10 s before it was sent.
  CHECK(ts(R"({"event":"a","timestamp":"2024-01-01T13:00:00Z"})", "2024-01-01T13:00:10Z") ==
        std::make_pair(std::string("2024-01-01 11:59:50.000000"), std::string()));
  CHECK(ts(R"({"event":"a","timestamp":"2024-01-01T13:00:00Z","properties":{"$ignore_sent_at":true}})", "2024-01-01T13:00:10Z").first ==
        "2024-01-01 13:00:00.000000");
  CHECK(ts(R"({"event":"a","offset":5000})").first == "2024-01-01 11:59:55.000000");
  CHECK(ts(R"({"event":"a"})").first == "2024-01-01 12:00:00.000000");
  CHECK(ts(R"({"event":"a","timestamp":"2024-01-03T00:00:00Z"})") ==
        std::make_pair(std::string("2024-01-01 12:00:00.000000"), std::string("event_timestamp_in_future")));
  CHECK(ts(R"({"event":"a","timestamp":"not a date"})") ==
        std::make_pair(std::string("2024-01-01 12:00:00.000000"), std::string("ignored_invalid_timestamp")));
  CHECK(ts(R"({"event":"a","timestamp":"2024-01-01T22:00:00Z"})").first == "2024-01-01 22:00:00.000000");  // < 23 h ahead
  // Outside what ClickHouse's DateTime64 holds (1900-2299), and offsets of any size: now and
  // a warning, never undefined behaviour (this runs under UBSan too).
  const auto now_invalid = std::make_pair(std::string("2024-01-01 12:00:00.000000"), std::string("ignored_invalid_timestamp"));
  CHECK(ts(R"({"event":"a","timestamp":"0001-01-01T00:00:00Z"})") == now_invalid);
  CHECK(ts(R"({"event":"a","timestamp":"1899-12-31T23:59:59Z"})") == now_invalid);
  CHECK(ts(R"({"event":"a","timestamp":"9999-12-01T00:00:00Z"})") == now_invalid);
  CHECK(ts(R"({"event":"a","timestamp":"1900-01-01T00:00:00Z"})").first == "1900-01-01 00:00:00.000000");
  CHECK(ts(R"({"event":"a","offset":1e300})") == now_invalid);
  CHECK(ts(R"({"event":"a","offset":-1e300})") == now_invalid);
  CHECK(ts(R"({"event":"a","offset":9.3e18})") == now_invalid);
  CHECK(ts(R"({"event":"a","timestamp":"2024-01-01T13:00:00Z"})", "0001-01-01T00:00:00Z").first == "2024-01-01 13:00:00.000000");
}

TEST_CASE("ingest: long event names are truncated, long distinct ids dropped with a warning", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":")" + std::string(250, 'e') + R"("})", "u"},
                     {R"({"event":"x"})", std::string(401, 'd')}});
  auto e = Of(rows, "clickhouse_events_json");
  REQUIRE(e.size() == 1);
  CHECK(e[0]->Str("event") == std::string(200, 'e'));
  auto w = Of(rows, "clickhouse_ingestion_warnings");
  REQUIRE(w.size() == 1);
  CHECK(w[0]->Str("type") == "skipping_event_invalid_distinct_id");
}

TEST_CASE("ingest: $ip comes from capture unless the project anonymizes IPs", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"x"})", "u"}});
  CHECK(std::string(Of(rows, "clickhouse_events_json")[0]->Json("properties")["$ip"].GetString()) == "1.2.3.4");
  h.anonymize = true;
  rows = h.Run({{R"({"event":"x","properties":{"$ip":"9.9.9.9"}})", "u"}});
  CHECK_FALSE(Of(rows, "clickhouse_events_json")[0]->Json("properties").HasMember("$ip"));
}

TEST_CASE("ingest: elements_chain comes from the SDK string or is built from $elements", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"$autocapture","properties":{"$elements_chain":"a:href=\"/x\""}})", "u"},
                     {R"({"event":"$autocapture","properties":{"$elements":[
                        {"tag_name":"button","attr_class":["b","a"],"attr__data-x":"1","nth_child":2,"text":"Say \"hi\""},
                        {"tag_name":"div","attr_id":"main"}]}})", "u"}});
  auto e = Of(rows, "clickhouse_events_json");
  CHECK(e[0]->Str("elements_chain") == "a:href=\"/x\"");
  CHECK(e[1]->Str("elements_chain") ==
        "button.a.b:attr__data-x=\"1\"nth-child=\"2\"text=\"Say \\\"hi\\\"\";div:attr_id=\"main\"");
  CHECK_FALSE(e[1]->Json("properties").HasMember("$elements"));
}

TEST_CASE("ingest: unknown tokens and broken messages go to the dead letter queue", "[ingest]") {
  Harness h;
  Msg unknown{R"({"event":"x"})", "u"};
  unknown.token = "phc_nope";
  auto rows = h.Run({unknown});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].topic == "dead_letter_queue");
  CHECK(rows[0].json["error_location"].GetString() == std::string("ingest:team"));
  CHECK(rows[0].json["error"].GetString() == std::string("token does not resolve to a project"));
  std::vector<OutputRow> out;
  auto txn = h.store->Begin();
  REQUIRE(h.processor.Process("not json", **txn, out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == "dead_letter_queue");
  out.clear();
  REQUIRE(h.processor.Process(R"({"token":"phc_test","uuid":"01913a44-5b8b-7c0a-9f41-2d1e3f4a5b6c","distinct_id":"u","now":"2024-01-01T00:00:00Z","data":"{\"no_event\":1}"})", **txn, out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == "dead_letter_queue");
  CHECK(out[0].value.find("data is not an event object") != std::string::npos);
}

TEST_CASE("ingest: $identify with the same id, or without an anon id, only marks identified", "[ingest]") {
  Harness h;
  auto same = h.Run({{R"({"event":"$identify","properties":{"$anon_distinct_id":"u"}})", "u"}});
  CHECK(Of(same, "clickhouse_person_distinct_id").size() == 1);
  CHECK(h.Person("u")->is_identified);
  Harness bare;
  bare.Run({{R"({"event":"x"})", "v"}});
  auto rows = bare.Run({{R"({"event":"$identify"})", "v"}});
  REQUIRE(Of(rows, "clickhouse_person").size() == 1);
  CHECK(Of(rows, "clickhouse_person")[0]->Int("is_identified") == 1);
  CHECK(Of(rows, "clickhouse_person")[0]->Int("version") == 1);
  CHECK(Of(rows, "clickhouse_person_distinct_id").empty());
}

TEST_CASE("ingest: an alias already on the same person changes nothing", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"$create_alias","properties":{"alias":"b"}})", "a"}});
  auto rows = h.Run({{R"({"event":"$create_alias","properties":{"alias":"b"}})", "a"}});
  CHECK(Of(rows, "clickhouse_person").empty());
  CHECK(Of(rows, "clickhouse_person_distinct_id").empty());
  CHECK(Of(rows, "clickhouse_events_json").size() == 1);
}

TEST_CASE("ingest: $merge_dangerously still refuses illegal ids", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"$merge_dangerously","properties":{"alias":"null"}})", "user"}});
  auto w = Of(rows, "clickhouse_ingestion_warnings");
  REQUIRE(w.size() == 1);
  CHECK(w[0]->Str("type") == "cannot_merge_with_illegal_distinct_id");
  CHECK_FALSE(h.Person("null"));
}

TEST_CASE("ingest: a personless event of a known person carries that person's id", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"x","properties":{"$set":{"a":1}}})", "known"}});
  auto rows = h.Run({{R"({"event":"y","properties":{"$process_person_profile":false}})", "known"}});
  auto e = Of(rows, "clickhouse_events_json");
  CHECK(e[0]->Str("person_id") == Uuid5("1:known"));
  CHECK(e[0]->Str("person_properties") == "{}");
  CHECK(e[0]->Str("person_created_at") == "1970-01-01 00:00:00.000000");
  CHECK(h.Person("known")->version == 0);
}

TEST_CASE("ingest: an offset wins over a timestamp", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"a","timestamp":"2020-01-01T00:00:00Z","offset":60000})", "u"}});
  CHECK(Of(rows, "clickhouse_events_json")[0]->Str("timestamp") == "2024-01-01 11:59:00.000000");
}

TEST_CASE("ingest: the events row has every column, with empty groups and created_at = now", "[ingest]") {
  Harness h;
  Msg m{R"({"event":"a"})", "u"};
  m.ip = "";
  auto rows = h.Run({m});
  const Row& e = *Of(rows, "clickhouse_events_json")[0];
  for (const char* col : {"uuid", "event", "properties", "timestamp", "team_id", "distinct_id", "elements_chain",
                          "created_at", "person_id", "person_properties", "person_created_at", "person_mode",
                          "$group_0", "$group_1", "$group_2", "$group_3", "$group_4"}) {
    INFO(col);
    CHECK(e.json.HasMember(col));
  }
  CHECK(e.Str("$group_3").empty());
  CHECK(e.Str("created_at") == "2024-01-01 12:00:00.000000");
  CHECK(e.Str("properties") == "{}");  // no ip from capture, nothing added
}

TEST_CASE("ingest: two events of a new person in a row give versions 0 and 1", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"a","properties":{"$set":{"n":1}}})", "u"}, {R"({"event":"b","properties":{"$set":{"n":2}}})", "u"}});
  auto p = Of(rows, "clickhouse_person");
  REQUIRE(p.size() == 2);
  CHECK(p[0]->Int("version") == 0);
  CHECK(p[1]->Int("version") == 1);
  auto e = Of(rows, "clickhouse_events_json");
  CHECK(e[0]->Str("person_properties") == R"({"n":1})");
  CHECK(e[1]->Str("person_properties") == R"({"n":2})");
}

TEST_CASE("ingest: setting a nested value to an equal value is no change", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"a","properties":{"$set":{"o":{"k":[1,2]}}}})", "u"}});
  auto rows = h.Run({{R"({"event":"b","properties":{"$set":{"o":{"k":[1,2]}}}})", "u"}});
  CHECK(Of(rows, "clickhouse_person").empty());
}

TEST_CASE("ingest: group keys that are not strings are stored as JSON text", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"a","properties":{"$groups":{"org":42}}})", "u"}});
  CHECK(Of(rows, "clickhouse_events_json")[0]->Str("$group_0") == "42");
}

TEST_CASE("ingest: a sixth group type in $groupidentify is refused with a warning", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"a","properties":{"$groups":{"t1":"a","t2":"b","t3":"c","t4":"d","t5":"e"}}})", "u"}});
  auto rows = h.Run({{R"({"event":"$groupidentify","properties":{"$group_type":"t6","$group_key":"k","$group_set":{"a":1}}})", "u"}});
  CHECK(Of(rows, "clickhouse_groups").empty());
  REQUIRE(Of(rows, "clickhouse_ingestion_warnings").size() == 1);
  CHECK(Of(rows, "clickhouse_ingestion_warnings")[0]->Str("type") == "group_type_limit_exceeded");
}

TEST_CASE("ingest: elements with a class string are split and sorted", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"$autocapture","properties":{"$elements":[{"tag_name":"a","attr_class":"z y","href":"/p"}]}})", "u"}});
  CHECK(Of(rows, "clickhouse_events_json")[0]->Str("elements_chain") == "a.y.z:href=\"/p\"");
}

TEST_CASE("ingest: $unset given as an object removes its keys", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"a","properties":{"$set":{"a":1,"b":2}}})", "u"}});
  h.Run({{R"({"event":"b","properties":{"$unset":{"a":null}}})", "u"}});
  CHECK(h.Person("u")->properties == R"({"b":2})");
}

TEST_CASE("ingest: $set_once never overwrites, even with a new value", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"a","properties":{"$set_once":{"first_seen":"mon"}}})", "u"}});
  auto rows = h.Run({{R"({"event":"b","properties":{"$set_once":{"first_seen":"tue"}}})", "u"}});
  CHECK(Of(rows, "clickhouse_person").empty());
  CHECK(h.Person("u")->properties == R"({"first_seen":"mon"})");
}

TEST_CASE("ingest: $set may set a property to null", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"a","properties":{"$set":{"x":1}}})", "u"}});
  h.Run({{R"({"event":"b","properties":{"$set":{"x":null}}})", "u"}});
  CHECK(h.Person("u")->properties == R"({"x":null})");
  CHECK(h.Person("u")->version == 1);
}

TEST_CASE("ingest: chained aliases end in one person", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"$create_alias","properties":{"alias":"a"}})", "b"},
         {R"({"event":"$create_alias","properties":{"alias":"b"}})", "c"}});
  CHECK(h.Person("a")->uuid == h.Person("c")->uuid);
  CHECK(h.Person("b")->uuid == h.Person("c")->uuid);
}

TEST_CASE("ingest: a merge moves every distinct id of the other person", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"$create_alias","properties":{"alias":"o2"}})", "o1"},
         {R"({"event":"$create_alias","properties":{"alias":"o3"}})", "o1"},
         {R"({"event":"x"})", "t"}});
  // o1's person is identified by the aliases; merge_dangerously still merges it.
  auto rows = h.Run({{R"({"event":"$merge_dangerously","properties":{"alias":"o1"}})", "t"}});
  auto pdis = Of(rows, "clickhouse_person_distinct_id");
  REQUIRE(pdis.size() == 3);
  for (const Row* r : pdis) {
    CHECK(r->Str("person_id") == Uuid5("1:t"));
    CHECK(r->Int("version") == 1);
  }
}

TEST_CASE("ingest: identify onto an identified person with an unknown new id adds the id", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"$identify","properties":{"$anon_distinct_id":"anon"}})", "user"}});
  auto rows = h.Run({{R"({"event":"$identify","properties":{"$anon_distinct_id":"user"}})", "second_login"}});
  CHECK(Of(rows, "clickhouse_ingestion_warnings").empty());
  CHECK(h.Person("second_login")->uuid.ToString() == Uuid5("1:user"));
}

TEST_CASE("ingest: in a merge the target keeps its uuid and its values win", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"a","properties":{"$set":{"k":"other","o":1}}})", "older", "2024-01-01T01:00:00Z"},
         {R"({"event":"b","properties":{"$set":{"k":"target","t":1}}})", "newer", "2024-01-01T02:00:00Z"}});
  auto rows = h.Run({{R"({"event":"$identify","properties":{"$anon_distinct_id":"older","$set":{"after":true}}})", "newer"}});
  auto p = h.Person("older");
  CHECK(p->uuid.ToString() == Uuid5("1:newer"));
  CHECK(p->properties == R"({"k":"target","o":1,"t":1,"after":true})");
  CHECK(p->created_at == 1704070800000000);  // 01:00, the older person's
}

TEST_CASE("ingest: a group without $group_set is created empty at version 1", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"$groupidentify","properties":{"$group_type":"org","$group_key":7}})", "u"}});
  auto g = Of(rows, "clickhouse_groups");
  REQUIRE(g.size() == 1);
  CHECK(g[0]->Str("group_key") == "7");
  CHECK(g[0]->Str("group_properties") == "{}");
  CHECK(g[0]->Int("version") == 1);
  CHECK(Of(rows, "clickhouse_events_json").size() == 1);  // the $groupidentify event itself is stored
}

TEST_CASE("ingest: timestamps with offsets or without a zone are read as UTC instants", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"a","timestamp":"2024-01-01T13:30:00+02:00"})", "u"},
                     {R"({"event":"b","timestamp":"2024-01-01T10:00:00"})", "u"}});
  auto e = Of(rows, "clickhouse_events_json");
  CHECK(e[0]->Str("timestamp") == "2024-01-01 11:30:00.000000");
  CHECK(e[1]->Str("timestamp") == "2024-01-01 10:00:00.000000");
}

TEST_CASE("ingest: an invalid sent_at is ignored, not used for skew", "[ingest]") {
  Harness h;
  Msg m{R"({"event":"a","timestamp":"2024-01-01T10:00:00Z"})", "u"};
  m.sent_at = "garbage";
  auto rows = h.Run({m});
  CHECK(Of(rows, "clickhouse_events_json")[0]->Str("timestamp") == "2024-01-01 10:00:00.000000");
}

TEST_CASE("ingest: a $ip the SDK sent is kept over capture's", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"a","properties":{"$ip":"5.6.7.8"}})", "u"}});
  CHECK(std::string(Of(rows, "clickhouse_events_json")[0]->Json("properties")["$ip"].GetString()) == "5.6.7.8");
}

TEST_CASE("ingest: limits are inclusive: 200-character names and 400-character ids pass", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":")" + std::string(200, 'n') + R"("})", std::string(400, 'd')}});
  auto e = Of(rows, "clickhouse_events_json");
  REQUIRE(e.size() == 1);
  CHECK(e[0]->Str("event").size() == 200);
  CHECK(e[0]->Str("distinct_id").size() == 400);
}

TEST_CASE("ingest: properties that are not an object become an empty object", "[ingest]") {
  Harness h;
  Msg m{R"({"event":"a","properties":[1,2]})", "u"};
  m.ip = "";
  auto rows = h.Run({m});
  CHECK(Of(rows, "clickhouse_events_json")[0]->Str("properties") == "{}");
}

TEST_CASE("ingest: a given $elements_chain wins over $elements, which is dropped", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"$autocapture","properties":{"$elements_chain":"span","$elements":[{"tag_name":"div"}]}})", "u"}});
  auto e = Of(rows, "clickhouse_events_json");
  CHECK(e[0]->Str("elements_chain") == "span");
  CHECK_FALSE(e[0]->Json("properties").HasMember("$elements"));
}

TEST_CASE("ingest: names are truncated by characters, not bytes", "[ingest]") {
  Harness h;
  std::string name;
  for (int i = 0; i < 210; ++i) name += "é";
  auto rows = h.Run({{R"({"event":")" + name + R"("})", "u"}});
  std::string stored = Of(rows, "clickhouse_events_json")[0]->Str("event");
  CHECK(stored.size() == 400);  // 200 two-byte characters
}

TEST_CASE("ingest: events of different teams never share persons", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"a","properties":{"$set":{"team":1}}})", "same_id"}});
  auto txn = h.store->Begin();
  CHECK_FALSE((*txn)->FindByDistinctId(2, "same_id")->has_value());
  CHECK((*txn)->FindByDistinctId(1, "same_id")->has_value());
}

TEST_CASE("ingest: an alias of a personless-created id still creates the person on a normal event", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"view","properties":{"$process_person_profile":false}})", "anon"}});
  CHECK_FALSE(h.Person("anon"));
  auto rows = h.Run({{R"({"event":"$identify","properties":{"$anon_distinct_id":"anon"}})", "user"}});
  CHECK(h.Person("anon")->uuid.ToString() == Uuid5("1:user"));
  CHECK(Of(rows, "clickhouse_person_distinct_id").size() == 2);
}

TEST_CASE("ingest: the dead letter row carries the raw message and the reason", "[ingest]") {
  Harness h;
  std::vector<OutputRow> out;
  auto txn = h.store->Begin();
  REQUIRE(h.processor.Process(R"({"token":"phc_test","uuid":"bad","distinct_id":"u","data":"{\"event\":\"x\"}"})", **txn, out).ok());
  REQUIRE(out.size() == 1);
  rapidjson::Document d;
  d.Parse(out[0].value.data(), out[0].value.size());
  CHECK(std::string(d["error"].GetString()) == "message has no valid uuid");
  CHECK(std::string(d["raw_payload"].GetString()).find("\"uuid\":\"bad\"") != std::string::npos);
  CHECK(d["team_id"].GetInt64() == 1);
}

TEST_CASE("ingest: the same input processed twice from the same state gives identical rows", "[ingest]") {
  // Replay determinism, the premise of the outbox-free reprocessing after a rollback.
  std::vector<std::string> first, second;
  for (auto* sink : {&first, &second}) {
    Harness h;
    std::vector<OutputRow> out;
    auto txn = h.store->Begin();
    std::string msg = R"({"token":"phc_test","uuid":"01913a44-5b8b-7c0a-9f41-2d1e3f4a5b6c","distinct_id":"u","now":"2024-01-01T00:00:00Z","sent_at":"","ip":"1.1.1.1","data":"{\"event\":\"$identify\",\"properties\":{\"$anon_distinct_id\":\"a\",\"$set\":{\"x\":1}}}"})";
    REQUIRE(h.processor.Process(msg, **txn, out).ok());
    for (const auto& r : out) sink->push_back(std::string(r.topic) + "|" + r.key + "|" + r.value);
  }
  CHECK(first == second);
  CHECK(first.size() == 4);  // person, 2 distinct ids, event
}

TEST_CASE("ingest: Prepare, Finish, then Emit after the commit (hot rows written in place) give exactly what Process does, with and without apps", "[ingest]") {
  // Prepare runs outside the persons transaction; apps (which may read persons) wait for Finish.
  for (bool with_apps : {false, true}) {
    INFO("apps: " << with_apps);
    std::vector<std::string> sinks[2];
    std::vector<std::string> msgs;
    for (int i = 0; i < 12; ++i) {
      Msg m{fmt::format(R"({{"event":"{}","timestamp":"2024-01-01T11:59:0{}Z","properties":{{"$set":{{"n":{}}},"$anon_distinct_id":"anon{}","$browser":"Firefox","$groups":{{"org":"o{}"}}}}}})",
                        i % 4 == 0 ? "$identify" : "clicked button", i % 10, i, i, i % 3),
            fmt::format("user{}", i % 5)};
      msgs.push_back(Message(m, fmt::format("01913a44-5b8b-7c0a-9f41-2d1e3f4a5b{:02x}", i)));
    }
    for (int mode = 0; mode < 2; ++mode) {
      Harness h;
      if (with_apps) {
        h.AddApp("taxonomy", R"({"style":"snake_case"})");
        h.AddApp("first_time_event", "{}");
      }
      auto txn = h.store->Begin();
      REQUIRE(txn.ok());
      std::vector<OutputRow> out;
      if (mode == 0) {
        for (const std::string& m : msgs) REQUIRE(h.processor.Process(m, **txn, out).ok());
      } else {
        std::vector<PreparedEvent> prepared;
        for (const std::string& m : msgs) prepared.push_back(h.processor.Prepare(m, NowMicros()));
        for (PreparedEvent& e : prepared) REQUIRE(h.processor.Finish(e, **txn).ok());
        REQUIRE((*txn)->Commit().ok());
        InPlaceRows sink(out);
        for (PreparedEvent& e : prepared) h.processor.Emit(e, sink);
      }
      for (const auto& r : out) {
        // created_at is "now" from the message, so rows are comparable across runs.
        sinks[mode].push_back(std::string(r.topic) + "|" + r.key + "|" + r.value);
      }
    }
    CHECK(sinks[0] == sinks[1]);
    CHECK(sinks[0].size() > 12);
  }
}

TEST_CASE("ingest: campaign parameters become person properties with $initial_ copies", "[ingest]") {
  Harness h;
  auto rows = h.Run({{R"({"event":"$pageview","properties":{"utm_source":"news","gclid":"g1"}})", "u"}});
  auto persons = Of(rows, "clickhouse_person");
  REQUIRE(persons.size() == 1);
  auto props = persons[0]->Json("properties");
  CHECK(std::string(props["utm_source"].GetString()) == "news");
  CHECK(std::string(props["$initial_utm_source"].GetString()) == "news");
  CHECK(std::string(props["$initial_gclid"].GetString()) == "g1");
  // A later campaign updates the current value, never the initial one.
  auto later = h.Run({{R"({"event":"$pageview","properties":{"utm_source":"ads"}})", "u"}});
  REQUIRE(Of(later, "clickhouse_person").size() == 1);
  auto updated = Of(later, "clickhouse_person")[0]->Json("properties");
  CHECK(std::string(updated["utm_source"].GetString()) == "ads");
  CHECK(std::string(updated["$initial_utm_source"].GetString()) == "news");
}

TEST_CASE("ingest: $unset of a key the person lacks is no change: no row, no version bump", "[ingest]") {
  Harness h;
  h.Run({{R"({"event":"a","properties":{"$set":{"a":1}}})", "u"}});
  auto rows = h.Run({{R"({"event":"b","properties":{"$unset":["missing"]}})", "u"}});
  CHECK(Of(rows, "clickhouse_person").empty());
  CHECK(h.Person("u")->version == 0);
  REQUIRE(Of(rows, "clickhouse_events_json").size() == 1);
  CHECK(Of(rows, "clickhouse_events_json")[0]->Json("person_properties")["a"].GetInt() == 1);
}

TEST_CASE("ingest: random and truncated messages never crash the processor", "[ingest]") {
  Harness h;
  std::string good = R"({"token":"phc_test","uuid":"01913a44-5b8b-7c0a-9f41-2d1e3f4a5b6c","distinct_id":"u","now":"2024-01-01T00:00:00Z","sent_at":"","ip":null,"data":"{\"event\":\"$identify\",\"properties\":{\"$anon_distinct_id\":\"a\",\"$groups\":{\"o\":\"x\"},\"$elements\":[{\"tag_name\":\"a\"}]}}"})";
  std::mt19937 rng(4);
  auto txn = h.store->Begin();
  for (size_t cut = 0; cut < good.size(); cut += 3) {
    std::vector<OutputRow> out;
    REQUIRE(h.processor.Process(good.substr(0, cut), **txn, out).ok());
  }
  for (int i = 0; i < 3000; ++i) {
    std::string m = good;
    for (int k = 0; k < 3; ++k) m[rng() % m.size()] = "{}[]\":,x0 "[rng() % 11];
    std::vector<OutputRow> out;
    REQUIRE(h.processor.Process(m, **txn, out).ok());
  }
  std::vector<OutputRow> out;
  REQUIRE(h.processor.Process(R"({"token":"phc_test","uuid":"01913a44-5b8b-7c0a-9f41-2d1e3f4a5b6c","distinct_id":"u"})", **txn, out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == "dead_letter_queue");
}
