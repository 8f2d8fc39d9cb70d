// The cluster module's pure parts: --clickhouse-url, versions, the DDL, the scoped SQL and
// the Native reader (with random and truncated input).

#include <catch2/catch.hpp>

#include <random>

#include "cluster_ddl.h"
#include "cluster_sql.h"
#include "hedgerow/cluster/clickhouse_node.h"
#include "hedgerow/query/parser.h"
#include "native_format.h"
#include "row_binary.h"

using namespace hedgerow;
using namespace hedgerow::cluster;

namespace {

std::string Scoped(const std::string& sql, int64_t team = 7, ServerVersion version = {18, 16}) {
  auto statement = query::ParseStatement(sql);
  REQUIRE(statement.ok());
  auto printed = PrintScopedSelect(*statement->select, {.team_id = team, .database = "default", .version = version});
  if (!printed.ok()) return "error: " + printed.status().message();
  return *printed;
}

}  // namespace

TEST_CASE("--clickhouse-url takes one node or several, with optional credentials", "[cluster]") {
  auto nodes = ParseClickHouseUrls("http://alice:s%40cret@ch1:8123, http://ch2:9000/");
  REQUIRE(nodes.ok());
  REQUIRE(nodes->size() == 2);
  CHECK((*nodes)[0].user == "alice");
  CHECK((*nodes)[0].password == "s@cret");
  CHECK((*nodes)[0].Name() == "ch1:8123");
  CHECK((*nodes)[1].user == "default");
  CHECK((*nodes)[1].password.empty());
  CHECK((*nodes)[1].port == "9000");
  for (const char* bad : {"", "https://ch:8123", "http://ch", "http://ch:port", "http://:8123", "http://ch:8123/db",
                          "http://@ch:8123"}) {
    INFO(bad);
    auto parsed = ParseClickHouseUrls(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().message().find("--clickhouse-url") != std::string::npos);
  }
}

TEST_CASE("server versions decide the column types and key functions", "[cluster]") {
  auto old = ParseServerVersion("18.16.1\n");
  REQUIRE(old.ok());
  CHECK(old->major == 18);
  CHECK(old->minor == 16);
  CHECK_FALSE(old->datetime64());
  auto recent = ParseServerVersion("23.8.2.7");
  REQUIRE(recent.ok());
  CHECK(recent->datetime64());
  CHECK_FALSE(ParseServerVersion("Code: 1").ok());
  CHECK_FALSE(ParseServerVersion("18").ok());

  const store::TableSchema& events = *store::FindPostHogTable("events");
  std::string ddl = LocalTableDdl(events, "default", "sharded_events", *old);
  CHECK(ddl.find("timestamp DateTime('UTC')") != std::string::npos);
  CHECK(ddl.find("`$group_0` String") != std::string::npos);
  CHECK(ddl.find("ENGINE = ReplacingMergeTree(_timestamp) PARTITION BY toYYYYMM(timestamp) ORDER BY (team_id, "
                 "toDate(timestamp), event, cityHash64(distinct_id), cityHash64(toString(uuid)))") != std::string::npos);
  std::string modern = LocalTableDdl(events, "default", "sharded_events", *recent);
  CHECK(modern.find("timestamp DateTime64(6, 'UTC')") != std::string::npos);
  CHECK(modern.find("properties String CODEC(ZSTD(3))") != std::string::npos);
  CHECK(modern.find("cityHash64(uuid))") != std::string::npos);
  CHECK(DistributedTableDdl(events, "default", "events", "c1", "sharded_events", *old)
            .find("ENGINE = Distributed('c1', 'default', 'sharded_events', sipHash64(distinct_id))") != std::string::npos);
}

TEST_CASE("every table a query reads is scoped to the project", "[cluster]") {
  CHECK(Scoped("SELECT count() FROM events") ==
        "SELECT count() FROM (SELECT * FROM default.events WHERE team_id = 7) AS events");
  CHECK(Scoped("SELECT e.event FROM default.events AS e FINAL PREWHERE event = 'a' WHERE 1") ==
        "SELECT e.event FROM (SELECT * FROM default.events FINAL WHERE team_id = 7) AS e WHERE (equals(event, 'a')) AND (1)");
  // Subqueries in FROM, IN and joins are scoped too; joins and IN are GLOBAL.
  CHECK(Scoped("SELECT x FROM (SELECT distinct_id AS x FROM events) WHERE x IN (SELECT distinct_id FROM person_distinct_id2)") ==
        "SELECT x FROM (SELECT (distinct_id) AS x FROM (SELECT * FROM default.events WHERE team_id = 7) AS events) "
        "WHERE (x) GLOBAL IN (SELECT distinct_id FROM (SELECT * FROM default.person_distinct_id2 WHERE team_id = 7) AS "
        "person_distinct_id2)");
  CHECK(Scoped("SELECT 1 FROM events e ANY LEFT JOIN person p ON e.person_id = p.id") ==
        "SELECT 1 FROM (SELECT * FROM default.events WHERE team_id = 7) AS e GLOBAL ANY LEFT JOIN (SELECT * FROM "
        "default.person WHERE team_id = 7) AS p ON equals(e.person_id, p.id)");
  // What only the local engine spells: BETWEEN, lambdas, `$` names, booleans, LIMIT n OFFSET m.
  CHECK(Scoped("SELECT arrayMap(x -> x + 1, [1]), $group_0 FROM events WHERE timestamp BETWEEN 1 AND 2 AND true "
               "LIMIT 5 OFFSET 10") ==
        "SELECT arrayMap((x) -> plus(x, 1), array(1)), `$group_0` FROM (SELECT * FROM default.events WHERE team_id = 7) "
        "AS events WHERE and(((timestamp) >= (1) AND (timestamp) <= (2)), 1) LIMIT 10, 5");
  // 18.x reads one JSON key with visitParamExtractRaw.
  CHECK(Scoped("SELECT JSONExtractRaw(properties, 'k'), JSONExtractRaw(properties, 'a', 'b') FROM events")
            .find("visitParamExtractRaw(properties, 'k'), JSONExtractRaw(properties, 'a', 'b')") != std::string::npos);
  CHECK(Scoped("SELECT JSONExtractString(properties, 'k'), JSONHas(properties, 'k') FROM events")
            .find("visitParamExtractString(properties, 'k'), visitParamHas(properties, 'k')") != std::string::npos);
  CHECK(Scoped("SELECT JSONExtractRaw(properties, 'k') FROM events", 7, {21, 8}).find("JSONExtractRaw(properties, 'k')") !=
        std::string::npos);
  CHECK(Scoped("SELECT 1 FROM system.one") == "SELECT 1 FROM system.one");
  CHECK(Scoped("SELECT number FROM numbers(3)") == "SELECT number FROM numbers(3)");
  // Nothing outside the project's tables.
  CHECK(Scoped("SELECT * FROM system.tables") == "error: Table system.tables doesn't exist.");
  CHECK(Scoped("SELECT * FROM sharded_events") == "error: Table default.sharded_events doesn't exist.");
  CHECK(Scoped("SELECT * FROM url('http://x', CSV, 'a String')") == "error: Unknown table function url");
  CHECK(Scoped("SELECT * FROM remote('h', default.events)") == "error: Unknown table function remote");
  CHECK(Scoped("WITH t AS (SELECT 1) SELECT * FROM t").rfind("error: WITH t AS (SELECT ...)", 0) == 0);
  CHECK(Scoped("SELECT 1 WHERE 1 IN events").rfind("error: IN a table", 0) == 0);
  // Functions hedgerow does not have are never sent: some read past the project.
  CHECK(Scoped("SELECT dictGetString('d', 'a', toUInt64(1)) FROM events") == "error: Unknown function dictGetString");
  CHECK(Scoped("SELECT joinGet('db.t', 'c', 1)") == "error: Unknown function joinGet");
  CHECK(Scoped("SELECT nullIn(1, (SELECT 1))") == "error: Unknown function nullIn");
  // No name of the query may be team_id, the column the scope compares.
  CHECK(Scoped("WITH 7 AS team_id SELECT count() FROM events").rfind("error: the name team_id is reserved", 0) == 0);
  CHECK(Scoped("SELECT event AS TEAM_ID FROM events").rfind("error: the name TEAM_ID is reserved", 0) == 0);
  CHECK(Scoped("SELECT arrayMap(team_id -> 1, [1]) FROM events").rfind("error: the name team_id", 0) == 0);
  CHECK(Scoped("SELECT 1 FROM events AS team_id").rfind("error: the name team_id", 0) == 0);
  CHECK(Scoped("SELECT team_id FROM events") == "SELECT team_id FROM (SELECT * FROM default.events WHERE team_id = 7) AS events");
  CHECK(Scoped("SELECT count() FROM events GROUP BY event WITH TOTALS").rfind("error: WITH TOTALS", 0) == 0);
  // A whole Float64 stays a Float64.
  CHECK(Scoped("SELECT 1.0, 2.5, 1e30") == "SELECT 1.0, 2.5, 1e+30");
}

TEST_CASE("Native answers decode into the engine's columns; bad ones are errors, never a crash", "[cluster]") {
  // SELECT 1 AS a, 'xy' AS b, [1,2] AS c, toNullable(3) d, toDateTime(..., 'UTC') AS t FORMAT Native, from 18.16.
  static constexpr char kAnswer[] =
      "\x05\x01\x01" "a\x05UInt8\x01"
      "\x01" "b\x06String\x02xy"
      "\x01" "c\x0c" "Array(UInt8)\x02\x00\x00\x00\x00\x00\x00\x00\x01\x02"
      "\x01" "d\x0fNullable(UInt8)\x00\x03"
      "\x01" "t\x08" "DateTime\x00\xe1\x0b\x5e";
  const std::string answer(kAnswer, sizeof(kAnswer) - 1);
  auto result = ReadNative(answer, 100);
  REQUIRE(result.ok());
  CHECK(result->rows == 1);
  CHECK(result->names == std::vector<std::string>{"a", "b", "c", "d", "t"});
  CHECK(query::FormatValue(*result->columns[1], 0) == "xy");
  CHECK(query::FormatValue(*result->columns[2], 0) == "[1,2]");
  CHECK(query::FormatValue(*result->columns[3], 0) == "3");
  CHECK(query::FormatValue(*result->columns[4], 0) == "2020-01-01 00:00:00");
  CHECK_FALSE(ReadNative(answer + answer, 1).ok());  // two rows past max_rows
  auto twice = ReadNative(answer + answer, 100);
  REQUIRE(twice.ok());
  CHECK(twice->rows == 2);
  CHECK(query::FormatValue(*twice->columns[2], 1) == "[1,2]");
  // A second block must have the first one's columns.
  std::string renamed = answer;
  renamed[3] = 'z';
  CHECK_FALSE(ReadNative(answer + renamed, 100).ok());

  std::mt19937 random(5);
  for (size_t cut = 0; cut < answer.size(); ++cut) {
    auto truncated = ReadNative(answer.substr(0, cut), 100);
    CHECK((cut == 0 ? truncated.ok() : !truncated.ok()));
  }
  for (int i = 0; i < 5000; ++i) {
    std::string noise = answer;
    for (int flips = 0; flips < 1 + i % 4; ++flips) noise[random() % noise.size()] = static_cast<char>(random());
    (void)ReadNative(noise, 1000);
    std::string bytes(random() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    (void)ReadNative(bytes, 1000);
  }
}

TEST_CASE("RowBinary holds UUIDs as ClickHouse's two little-endian halves", "[cluster]") {
  store::Block block = store::FindPostHogTable("person_distinct_id2")->EmptyBlock();
  block.columns[0].Push<int64_t>(1);
  block.columns[1].PushString("ab");
  uint8_t uuid[16];
  for (int i = 0; i < 16; ++i) uuid[i] = static_cast<uint8_t>(i);
  block.columns[2].PushFixed(uuid);
  block.columns[3].Push<uint8_t>(0);
  block.columns[4].Push<int64_t>(-2);
  std::string out;
  AppendRowBinary(block, {18, 16}, out);
  const std::string expected("\x01\0\0\0\0\0\0\0" "\x02" "ab"
                             "\x07\x06\x05\x04\x03\x02\x01\x00\x0f\x0e\x0d\x0c\x0b\x0a\x09\x08"
                             "\x00" "\xfe\xff\xff\xff\xff\xff\xff\xff",
                             8 + 3 + 16 + 1 + 8);
  CHECK(out == expected);
}
