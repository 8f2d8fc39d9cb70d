#include "hedgerow/query/hogql.h"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hedgerow/common/json.h"
#include "hedgerow/common/uuid.h"
#include "hedgerow/query/executor.h"
#include "hedgerow/query/parser.h"
#include "hedgerow/store/json_rows.h"
#include "hedgerow/store/store.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using namespace hedgerow::query;

namespace {

using Rows = std::vector<std::string>;

// The query as the sugar rewrites it, in FormatSelect's notation; or "error: ...".
std::string Sugared(const std::string& sql) {
  auto statement = ParseStatement(sql);
  if (!statement.ok()) return "error: " + statement.status().message();
  Status s = ApplyHogQLSugar(*statement->select);
  if (!s.ok()) return "error: " + s.message();
  return FormatSelect(*statement->select);
}

// PostHog's extraction of `keys` from `json`, as FormatSelect writes it.
std::string Extract(const std::string& json, const std::string& keys) {
  return fmt::format(R"(replaceRegexpAll(nullIf(nullIf(JSONExtractRaw({}, {}), ''), 'null'), '^"|"$', ''))", json, keys);
}

constexpr const char* kDistinctIds =
    "(SELECT distinct_id, argMax(person_id, version) AS person_id FROM person_distinct_id2 GROUP BY distinct_id "
    "HAVING equals(argMax(is_deleted, version), 0))";

std::string Quoted(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

std::string PersonUuid(int n) { return Uuid::V5(Uuid{}, fmt::format("hogql-person-{}", n)).ToString(); }

// Two teams' events, persons and distinct ids, as the store's consumers insert them. Team
// 1: `anon` was merged into person 1 (its distinct id re-pointed at a higher version),
// person 1 changed its email (the newer version inserted first), person 3 was deleted,
// `gone`'s distinct id was deleted, `ghost` never had a person. Team 2 uses the same
// distinct ids and person ids with secrets of its own.
struct Fixture {
  Fixture() {
    auto s = store::Store::Open({.dir = dir.File("store"), .merge_threads = 0}, nullptr);
    REQUIRE(s.ok());
    store = std::move(s).value();
    const std::string props =
        R"({"$browser":"Chrome","nested":{"a":{"b":"deep"}},"n":5,"nul":null,"q":"say \"hi\"","arr":[1,"x"]})";
    Insert("events", {Event(1, "anon", "$pageview", props, 1), Event(1, "user1", "$pageview", props, 2),
                      Event(1, "user1", "signup", R"({"$browser":"Firefox"})", 3), Event(1, "user2", "$pageview", "{}", 4),
                      Event(1, "ghost", "$pageview", R"({"$browser":"Safari"})", 5),
                      Event(1, "deleted_user", "$pageview", "{}", 6), Event(1, "gone", "$pageview", "{}", 7),
                      Event(2, "user1", "team2_secret", R"({"$browser":"Team2Browser"})", 8)});
    Insert("person", {Person(1, 1, 1, false, R"({"email":"new@example.com","plan":{"name":"pro"}})"),
                      Person(1, 2, 0, false, R"({"email":"two@example.com"})"),
                      Person(1, 3, 0, false, R"({"email":"three@example.com"})"),
                      Person(1, 4, 0, false, R"({"email":"four@example.com"})"),
                      Person(2, 1, 9, false, R"({"email":"secret@team2.example"})")});
    Insert("person", {Person(1, 1, 0, false, R"({"email":"old@example.com"})"),
                      Person(1, 3, 1, true, R"({"email":"three@example.com"})")});
    Insert("person_distinct_id2", {DistinctId(1, "anon", 2, false, 0), DistinctId(1, "user1", 1, false, 0),
                                   DistinctId(1, "user2", 2, false, 0), DistinctId(1, "deleted_user", 3, false, 0),
                                   DistinctId(1, "gone", 4, false, 0), DistinctId(2, "user1", 1, false, 0),
                                   DistinctId(2, "ghost", 1, false, 0)});
    Insert("person_distinct_id2", {DistinctId(1, "anon", 1, false, 1), DistinctId(1, "gone", 4, true, 1)});
  }
  static std::string Event(int team, const std::string& distinct_id, const std::string& event,
                           const std::string& properties, int second) {
    std::string time = fmt::format("2026-11-29 12:00:{:02d}.000000", second);
    return fmt::format(
        R"({{"uuid":"{}","event":"{}","properties":{},"timestamp":"{}","team_id":{},"distinct_id":"{}",)"
        R"("elements_chain":"","created_at":"{}","person_id":"{}","person_properties":"{{}}","person_created_at":"{}",)"
        R"("person_mode":"full","$group_0":"","$group_1":"","$group_2":"","$group_3":"","$group_4":""}})",
        Uuid::V7().ToString(), event, Quoted(properties), time, team, distinct_id, time, PersonUuid(99), time);
  }
  static std::string Person(int team, int person, int version, bool deleted, const std::string& properties) {
    return fmt::format(
        R"({{"id":"{}","created_at":"2026-11-0{} 00:00:00.000000","team_id":{},"properties":{},"is_identified":1,)"
        R"("is_deleted":{},"version":{}}})",
        PersonUuid(person), person, team, Quoted(properties), deleted ? 1 : 0, version);
  }
  static std::string DistinctId(int team, const std::string& distinct_id, int person, bool deleted, int version) {
    return fmt::format(R"({{"team_id":{},"distinct_id":"{}","person_id":"{}","is_deleted":{},"version":{}}})", team,
                       distinct_id, PersonUuid(person), deleted ? 1 : 0, version);
  }
  void Insert(const std::string& table_name, const std::vector<std::string>& rows) {
    store::Table& table = *store->table(table_name);
    store::JsonRowDecoder decoder(table.schema());
    for (std::string row : rows) REQUIRE(decoder.Add(row, 1700000000000, offset++).ok());
    REQUIRE(table.Insert(decoder.Take(), {}).ok());
  }
  // The sugared query's rows, values joined by tabs (NULL as \N); or "error: ...".
  Rows Run(const std::string& sql, int64_t team = 1) {
    auto statement = ParseStatement(sql);
    if (!statement.ok()) return {"error: " + statement.status().message()};
    if (Status s = ApplyHogQLSugar(*statement->select); !s.ok()) return {"error: " + s.message()};
    auto result = ExecuteSelect(*statement->select, {.store = store.get(), .team_id = team});
    if (!result.ok()) return {"error: " + result.status().message()};
    names = result->names;
    Rows out;
    for (size_t r = 0; r < result->rows; ++r) {
      std::string line;
      for (size_t c = 0; c < result->columns.size(); ++c) {
        line += (c ? "\t" : "") + (result->columns[c]->IsNullAt(r) ? std::string("\\N") : FormatValue(*result->columns[c], r));
      }
      out.push_back(line);
    }
    return out;
  }
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  uint64_t offset = 0;
  std::vector<std::string> names;  // of the last result
};

}  // namespace

TEST_CASE("properties.x, nested keys and properties['x'] become PostHog's JSON extraction", "[hogql]") {
  CHECK(Sugared("SELECT properties.$browser FROM events") ==
        "SELECT " + Extract("events.properties", "'$browser'") + " AS properties.$browser FROM events");
  CHECK(Sugared("SELECT count() FROM events WHERE properties.foo.bar = 'x'") ==
        "SELECT count() FROM events WHERE equals(" + Extract("events.properties", "'foo', 'bar'") + ", 'x')");
  CHECK(Sugared("SELECT properties['$browser'] AS b FROM events") ==
        "SELECT " + Extract("events.properties", "'$browser'") + " AS b FROM events");
  CHECK(Sugared("SELECT properties.a['b']['c'] AS v FROM events") ==
        "SELECT " + Extract("events.properties", "'a', 'b', 'c'") + " AS v FROM events");
  // Qualified by the alias, by the table and by the database.
  CHECK(Sugared("SELECT e.properties.$x AS v FROM events AS e") ==
        "SELECT " + Extract("e.properties", "'$x'") + " AS v FROM events AS e");
  CHECK(Sugared("SELECT events.properties.$x AS v FROM events") ==
        "SELECT " + Extract("events.properties", "'$x'") + " AS v FROM events");
  CHECK(Sugared("SELECT default.events.properties.$x AS v FROM default.events") ==
        "SELECT " + Extract("events.properties", "'$x'") + " AS v FROM default.events");
  // The person table's properties too.
  CHECK(Sugared("SELECT properties.email AS v FROM person") ==
        "SELECT " + Extract("person.properties", "'email'") + " AS v FROM person");
}

TEST_CASE("names that are not sugar stay as written", "[hogql]") {
  for (const char* sql : {
           "SELECT properties, event, distinct_id FROM events",
           "SELECT 'properties.$browser', 'person.properties.email' FROM events",
           "SELECT arrayElement(properties, 1) FROM events",
           "SELECT properties.x FROM (SELECT properties FROM events)",  // no events table in this SELECT
           "SELECT properties.x FROM numbers(1) AS properties",
           "SELECT arrayMap(properties -> properties.x, [1]) FROM events",  // a lambda parameter
           "WITH events AS (SELECT 1 AS properties) SELECT properties.x FROM events",  // a CTE, not the table
           "SELECT person.properties.email FROM events JOIN (SELECT 1 AS x) AS person ON 1 = 1",
           "SELECT person_id FROM person_distinct_id2",
       }) {
    auto statement = ParseStatement(sql);
    REQUIRE(statement.ok());
    std::string before = FormatSelect(*statement->select);
    CHECK(Sugared(sql) == before);
  }
}

TEST_CASE("person names add the distinct id and person joins once per SELECT", "[hogql]") {
  CHECK(Sugared("SELECT person_id, person.id FROM events") ==
        std::string("SELECT __hogql_distinct_ids.person_id AS person_id, __hogql_distinct_ids.person_id AS person.id FROM events ") +
            "LEFT JOIN " + kDistinctIds + " AS __hogql_distinct_ids ON equals(events.distinct_id, __hogql_distinct_ids.distinct_id)");
  const std::string persons =
      "(SELECT id, argMax(properties, version) AS properties FROM person GROUP BY id HAVING equals(argMax(is_deleted, version), 0))";
  CHECK(Sugared("SELECT person.properties.email AS m, count() FROM events AS e GROUP BY person.properties['email']") ==
        "SELECT " + Extract("__hogql_persons.properties", "'email'") + " AS m, count() FROM events AS e LEFT JOIN " +
            kDistinctIds + " AS __hogql_distinct_ids ON equals(e.distinct_id, __hogql_distinct_ids.distinct_id) LEFT JOIN " +
            persons + " AS __hogql_persons ON equals(__hogql_distinct_ids.person_id, __hogql_persons.id) GROUP BY " +
            Extract("__hogql_persons.properties", "'email'"));
  // A name the query already uses is not taken; a subquery and each UNION branch get their own.
  std::string own = Sugared(
      "SELECT __hogql_distinct_ids FROM (SELECT person_id AS __hogql_distinct_ids FROM events) "
      "UNION ALL SELECT person_id FROM events");
  CHECK(own.find("AS __hogql_distinct_ids_2 ON") != std::string::npos);
  CHECK(own.find("AS __hogql_distinct_ids_3 ON") != std::string::npos);
  CHECK(own.find("AS __hogql_distinct_ids ON") == std::string::npos);
  // Subqueries in expressions, CTEs and JOINed events tables.
  CHECK(Sugared("SELECT 1 WHERE 'x' IN (SELECT person.properties.email FROM events)").find("LEFT JOIN") != std::string::npos);
  CHECK(Sugared("WITH t AS (SELECT person_id FROM events) SELECT * FROM t").find("LEFT JOIN") != std::string::npos);
  std::string both = Sugared("SELECT a.person_id, b.person_id FROM events AS a JOIN events AS b ON a.uuid = b.uuid");
  CHECK(both.find("ON equals(a.distinct_id, __hogql_distinct_ids.distinct_id)") != std::string::npos);
  CHECK(both.find("ON equals(b.distinct_id, __hogql_distinct_ids_2.distinct_id)") != std::string::npos);
  // `*` keeps to the query's own inputs.
  CHECK(Sugared("SELECT *, person_id FROM events").rfind("SELECT events.*, __hogql_distinct_ids.person_id AS person_id FROM", 0) == 0);
}

TEST_CASE("property extraction over stored events: missing keys, nested, JSON null, escapes", "[hogql]") {
  Fixture f;
  CHECK(f.Run("SELECT properties.$browser AS b, count() FROM events GROUP BY b ORDER BY b") ==
        Rows{"Chrome\t2", "Firefox\t1", "Safari\t1", "\\N\t3"});
  CHECK(f.Run("SELECT properties.nested.a.b, properties['nested']['a'], properties.n, properties.nul, properties.q, "
              "properties.missing, properties.arr FROM events WHERE distinct_id = 'anon'") ==
        Rows{R"(deep	{"b":"deep"}	5	\N	say \\"hi\\"	\N	[1,"x"])"});  // backslashes printed escaped
  CHECK(f.names == std::vector<std::string>{"properties.nested.a.b", "arrayElement(arrayElement(properties, 'nested'), 'a')", "properties.n",
                                            "properties.nul", "properties.q", "properties.missing", "properties.arr"});
  CHECK(f.Run("SELECT count() FROM events AS e WHERE e.properties.$browser = 'Chrome'") == Rows{"2"});
  CHECK(f.Run("SELECT count() FROM events WHERE properties.$browser = 'Team2Browser'") == Rows{"0"});
  CHECK(f.Run("SELECT count() FROM events WHERE properties.$browser = 'Team2Browser'", 2) == Rows{"1"});
}

TEST_CASE("person names over stored persons: merges, versions, deletions, no person", "[hogql]") {
  Fixture f;
  const std::string p1 = PersonUuid(1), p2 = PersonUuid(2), zero = "00000000-0000-0000-0000-000000000000";
  // anon was re-pointed from person 2 to person 1 at a higher version; the person's newest
  // version wins though inserted first; deleted persons and deleted distinct ids match nothing.
  CHECK(f.Run("SELECT distinct_id, person_id, person.properties.email, person.properties.plan.name FROM events "
              "ORDER BY timestamp") ==
        Rows{"anon\t" + p1 + "\tnew@example.com\tpro", "user1\t" + p1 + "\tnew@example.com\tpro",
             "user1\t" + p1 + "\tnew@example.com\tpro", "user2\t" + p2 + "\ttwo@example.com\t\\N",
             "ghost\t" + zero + "\t\\N\t\\N", "deleted_user\t" + PersonUuid(3) + "\t\\N\t\\N", "gone\t" + zero + "\t\\N\t\\N"});
  CHECK(f.names == std::vector<std::string>{"distinct_id", "person_id", "person.properties.email", "person.properties.plan.name"});
  CHECK(f.Run("SELECT person.properties.email AS email, uniqExact(distinct_id) AS ids FROM events AS e "
              "WHERE email IS NOT NULL GROUP BY email ORDER BY email") ==
        Rows{"new@example.com\t2", "two@example.com\t1"});
  CHECK(f.Run("SELECT count() FROM events WHERE person.id = toUUID('" + p1 + "')") == Rows{"3"});
  CHECK(f.Run("SELECT toDate(person.created_at) FROM events WHERE distinct_id = 'user2'") == Rows{"2026-11-02"});
  // Team 2 sees its own person behind the same ids, never team 1's.
  CHECK(f.Run("SELECT distinct_id, person_id, person.properties.email FROM events", 2) ==
        Rows{"user1\t" + p1 + "\tsecret@team2.example"});
  // A self-join resolves each side's person.
  CHECK(f.Run("SELECT a.person.properties.email, b.person_id FROM events AS a JOIN events AS b ON a.uuid = b.uuid "
              "WHERE a.distinct_id = 'anon'") == Rows{"new@example.com\t" + p1});
  // In a subquery, with a lambda and in IN.
  CHECK(f.Run("SELECT count() FROM events WHERE person_id IN (SELECT person.id FROM events WHERE "
              "person.properties.email = 'two@example.com')") == Rows{"1"});
  CHECK(f.Run("SELECT arrayMap(x -> concat(x, person.properties.email), ['a:']) FROM events WHERE distinct_id = 'user2'") ==
        Rows{"['a:two@example.com']"});
}

TEST_CASE("the sugar refuses trees nested deeper than the parser allows, and survives random input", "[hogql]") {
  // Built by hand: the parser itself refuses this depth.
  auto statement = ParseStatement("SELECT properties.x FROM events");
  REQUIRE(statement.ok());
  ExprPtr& column = statement->select->selects[0]->columns[0];
  for (int i = 0; i < 3 * static_cast<int>(kMaxParserDepth); ++i) {
    std::vector<ExprPtr> args;
    args.push_back(std::move(column));
    column = MakeFunction("negate", std::move(args), {});
  }
  Status s = ApplyHogQLSugar(*statement->select);
  CHECK(s.message().find("nests deeper than") != std::string::npos);
  // Operator chains nest the tree without nesting the text: the parser counts them, so a
  // long one never reaches this pass (or any other) as a tree too deep to walk.
  std::string chain = "SELECT properties.x";
  for (int i = 0; i < 100000; ++i) chain += i % 2 ? " + 1" : "[1]";
  CHECK(ParseStatement(chain + " FROM events").status().message().find("nests deeper than") != std::string::npos);
  // Text the parser accepts goes through without crashing, whatever its names.
  const std::vector<std::string> words = {"properties", "person", "person_id", "events", "e", ".", "$x", "[", "]", "'k'",
                                          "(", ")", "SELECT", "FROM", "JOIN", "ON", "=", ",", "AS", "->", "x", "*", "id"};
  std::mt19937 random(17);
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string sql = "SELECT ";
    const int n = 1 + static_cast<int>(random() % 14);
    for (int w = 0; w < n; ++w) sql += words[random() % words.size()] + " ";
    sql += i % 2 ? "FROM events AS e" : "FROM events";
    auto parsed_statement = ParseStatement(sql);
    if (!parsed_statement.ok() || !parsed_statement->select) continue;
    ++parsed;
    (void)ApplyHogQLSugar(*parsed_statement->select);
  }
  CHECK(parsed > 100);
}
