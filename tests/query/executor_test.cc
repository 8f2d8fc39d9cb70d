#include "hedgerow/query/executor.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "hedgerow/query/output_format.h"
#include "hedgerow/query/parser.h"
#include "hedgerow/store/json_rows.h"
#include "hedgerow/store/store.h"
#include "store/store_test_events.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using namespace hedgerow::query;

namespace {

// A store whose events table holds rows of two teams, inserted as the consumers would.
struct Fixture {
  Fixture() {
    auto s = store::Store::Open({.dir = dir.File("store"), .merge_threads = 0}, nullptr);
    REQUIRE(s.ok());
    store = std::move(s).value();
    const int64_t t0 = 1795955696000000;  // 2026-11-29 12:34:56
    Insert({Row(1, "a", "$pageview", t0), Row(1, "b", "$pageview", t0 + 1000000), Row(1, "a", "$pageview", t0 + 2000000),
            Row(1, "a", "signup", t0 + 3000000), Row(2, "z", "$pageview", t0), Row(2, "y", "$pageview", t0)});
  }
  std::string Row(int team, const std::string& distinct_id, const std::string& event, int64_t micros) {
    std::string uuid = Uuid::V7().ToString();
    uuids.push_back(uuid);
    std::string row = store::testing::EventsRow(uuid, distinct_id, micros, event);
    row.replace(row.find(R"("team_id":1)"), 11, fmt::format(R"("team_id":{})", team));
    return row;
  }
  void Insert(const std::vector<std::string>& rows) {
    store::Table& events = *store->table("events");
    store::JsonRowDecoder decoder(events.schema());
    uint64_t offset = 0;
    for (std::string row : rows) REQUIRE(decoder.Add(row, 1700000000000, offset++).ok());
    REQUIRE(events.Insert(decoder.Take(), {}).ok());
  }
  // Each result row as its values joined by tabs; or "error: ..." as the only line.
  std::vector<std::string> Run(const std::string& sql, std::optional<int64_t> team = 1) {
    auto statement = ParseStatement(sql);
    if (!statement.ok()) return {"error: " + statement.status().message()};
    auto result = ExecuteSelect(*statement->select, {.store = store.get(), .team_id = team});
    if (!result.ok()) return {"error: " + result.status().message()};
    std::vector<std::string> out;
    for (size_t r = 0; r < result->rows; ++r) {
      std::string line;
      for (size_t c = 0; c < result->columns.size(); ++c) line += (c ? "\t" : "") + FormatValue(*result->columns[c], r);
      out.push_back(line);
    }
    return out;
  }
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  std::vector<std::string> uuids;
};

using Rows = std::vector<std::string>;

}  // namespace

TEST_CASE("SELECT over the store: filters, projections, GROUP BY, HAVING, ORDER BY, LIMIT", "[query]") {
  Fixture f;
  CHECK(f.Run("SELECT event, count() AS c FROM events GROUP BY event ORDER BY c DESC, event") ==
        Rows{"$pageview\t3", "signup\t1"});
  CHECK(f.Run("SELECT distinct_id FROM events WHERE event = 'signup'") == Rows{"a"});
  CHECK(f.Run("SELECT uniqExact(distinct_id), max(timestamp) > min(timestamp), min(timestamp) FROM events") ==
        Rows{"2\t1\t2026-11-29 12:34:56.000000"});
  CHECK(f.Run("SELECT event FROM events ORDER BY timestamp DESC LIMIT 2 OFFSET 1") == Rows{"$pageview", "$pageview"});
  CHECK(f.Run("SELECT event AS e, count() FROM events WHERE e = 'signup' GROUP BY e") == Rows{"signup\t1"});
  CHECK(f.Run("SELECT countIf(event = '$pageview'), sumIf(1, distinct_id = 'a'), avg(team_id) FROM events") ==
        Rows{"3\t3\t1"});
  CHECK(f.Run("SELECT event, count() c FROM events GROUP BY event HAVING c > 1") == Rows{"$pageview\t3"});
  CHECK(f.Run("SELECT count() FROM events WHERE event = 'none'") == Rows{"0"});
  CHECK(f.Run("SELECT event, count() FROM events WHERE event = 'none' GROUP BY event").empty());
  CHECK(f.Run("SELECT 1 + 1, 'x'") == Rows{"2\tx"});
  CHECK(f.Run("SELECT distinct_id, count() FROM events GROUP BY distinct_id ORDER BY distinct_id LIMIT 1") ==
        Rows{"a\t3"});
  CHECK(f.Run("SELECT count() FROM events LIMIT 0").empty());
  // NULLs last in both directions unless NULLS FIRST: the key is NULL for a, 1 for b.
  const std::string nullable =
      "SELECT distinct_id FROM events GROUP BY distinct_id ORDER BY if(distinct_id = 'b', toNullable(1), NULL) ";
  CHECK(f.Run(nullable + "ASC") == Rows{"b", "a"});
  CHECK(f.Run(nullable + "DESC") == Rows{"b", "a"});
  CHECK(f.Run(nullable + "DESC NULLS FIRST") == Rows{"a", "b"});
}

TEST_CASE("every scan sees only the context's team, whatever the SQL says", "[query]") {
  Fixture f;
  CHECK(f.Run("SELECT count() FROM events", 2) == Rows{"2"});
  CHECK(f.Run("SELECT count() FROM events", std::nullopt) == Rows{"6"});  // inspection, no team
  CHECK(f.Run("SELECT count() FROM events WHERE team_id = 2") == Rows{"0"});
  CHECK(f.Run("SELECT count() FROM events WHERE 1 OR team_id = 2") == Rows{"4"});
  CHECK(f.Run("SELECT count() FROM default.events PREWHERE team_id != 1") == Rows{"0"});
  CHECK(f.Run("SELECT distinct_id FROM events ORDER BY distinct_id", 2) == Rows{"y", "z"});
}

TEST_CASE("FINAL keeps one row per key; what is not built or not allowed is refused clearly", "[query]") {
  Fixture f;
  f.Insert({f.Row(1, "a", "signup", 1795955696000000 + 3000000)});
  // The same key again (same uuid and timestamp): a duplicate until merged.
  std::string again = store::testing::EventsRow(f.uuids.back(), "a", 1795955696000000 + 3000000, "signup");
  f.Insert({again});
  CHECK(f.Run("SELECT count() FROM events") == Rows{"6"});
  CHECK(f.Run("SELECT count() FROM events FINAL") == Rows{"5"});
  CHECK(f.Run("SELECT x FROM nowhere") == Rows{"error: Table default.nowhere doesn't exist."});
  CHECK(f.Run("SELECT nope FROM events") == Rows{"error: Missing columns: 'nope'"});
  CHECK(f.Run("SELECT * FROM file('/etc/passwd')") ==
        Rows{"error: Table function file is not allowed: queries are read-only and see this server's tables only"});
  CHECK(f.Run("SELECT count() FROM events WHERE count() > 1") == Rows{"error: Aggregate function found in WHERE"});
  CHECK(f.Run("SELECT event FROM events LIMIT 'x'") == Rows{"error: The LIMIT must be a constant integer"});
}

TEST_CASE("Pretty and PrettyCompact draw the result as ClickHouse does", "[query]") {
  auto statement = ParseStatement("SELECT 'héllo' AS word, 42 AS n UNION ALL SELECT 'a', 7");
  REQUIRE(statement.ok());
  QueryContext context;
  auto result = ExecuteStatement(*statement, context);
  REQUIRE(result.ok());
  auto pretty = FormatResult(*result, "Pretty");
  REQUIRE(pretty.ok());
  CHECK(pretty->body ==
        "┏━━━━━━━┳━━━━┓\n"
        "┃ word  ┃ n  ┃\n"
        "┡━━━━━━━╇━━━━┩\n"
        "│ héllo │ 42 │\n"
        "├───────┼────┤\n"
        "│ a     │  7 │\n"
        "└───────┴────┘\n");
  auto compact = FormatResult(*result, "PrettyCompact");
  REQUIRE(compact.ok());
  CHECK(compact->body ==
        "┌─word──┬─n──┐\n"
        "│ héllo │ 42 │\n"
        "│ a     │  7 │\n"
        "└───────┴────┘\n");
}

TEST_CASE("time pruning never drops a row the WHERE keeps", "[query]") {
  Fixture f;
  f.Insert({f.Row(1, "old", "$pageview", -3600000000)});  // 1969-12-31 23:00:00: its day key wraps
  CHECK(f.Run("SELECT distinct_id FROM events WHERE timestamp < '1970-01-02 00:00:00'") == Rows{"old"});
  CHECK(f.Run("SELECT count() FROM events WHERE timestamp > '2026-11-29 00:00:00'") == Rows{"4"});
  CHECK(f.Run("SELECT count() FROM events WHERE toDate(timestamp) = '2026-11-29' AND timestamp < now()") == Rows{"4"});
  // An ARRAY JOIN name that shadows the column is not the column.
  CHECK(f.Run("SELECT count() FROM events ARRAY JOIN [toDateTime('2100-01-01 00:00:00')] AS timestamp "
              "WHERE timestamp > '2099-01-01 00:00:00'") == Rows{"5"});
  // IN compares instants: a DateTime64 column with strings and with DateTimes.
  CHECK(f.Run("SELECT count() FROM events WHERE timestamp IN ('2026-11-29 12:34:56', '2026-11-29 12:34:57')") == Rows{"2"});
  // (the 1969 row's DateTime wraps, as a UInt32 of seconds does, so it finds no match)
  CHECK(f.Run("SELECT count() FROM events WHERE timestamp IN (SELECT toDateTime(timestamp) FROM events)") == Rows{"4"});
}

TEST_CASE("a DateTime64 compared with a string keeps the string's fraction of a second", "[query]") {
  Fixture f;
  const int64_t second = 1796619600000000;  // 2026-12-07 05:00:00 UTC
  f.Insert({f.Row(1, "early", "tick", second + 250000), f.Row(1, "late", "tick", second + 750000)});
  auto ids = [&](const std::string& where) { return f.Run("SELECT distinct_id FROM events WHERE event = 'tick' AND " + where); };
  CHECK(ids("timestamp > '2026-12-07 05:00:00.5'") == Rows{"late"});
  CHECK(ids("timestamp < '2026-12-07T05:00:00.500000'") == Rows{"early"});
  CHECK(ids("'2026-12-07 05:00:00.25' = timestamp") == Rows{"early"});
  // Read at the column's scale, as ClickHouse reads it: digits past the microsecond dropped.
  CHECK(ids("timestamp >= '2026-12-07 05:00:00.750000999'") == Rows{"late"});
  CHECK(f.Run("SELECT count() FROM events WHERE timestamp > 'yesterday'") ==
        Rows{"error: Cannot parse string 'yesterday' as DateTime64"});
}

TEST_CASE("granule pruning on event keeps every row the condition keeps", "[query]") {
  Fixture f;
  // Enough rows over a few days for many granules, events interleaved within each day.
  std::vector<std::string> rows;
  const char* events[] = {"a", "b", "c", "$pageview"};
  for (int i = 0; i < 40000; ++i) {
    rows.push_back(f.Row(1, "u" + std::to_string(i % 97), events[(i * 7) % 4], 1795955696000000 + int64_t{i} * 20000000));
  }
  f.Insert(rows);
  for (const char* condition : {"event = 'b'", "event IN ('a', 'c')", "'$pageview' = event", "event = 'zzz'"}) {
    INFO(condition);
    // concat() hides the column from pruning: the same rows, read without it.
    std::string unpruned = std::string(condition);
    unpruned.replace(unpruned.find("event"), 5, "concat(event, '')");
    CHECK(f.Run(std::string("SELECT count() FROM events WHERE ") + condition) ==
          f.Run("SELECT count() FROM events WHERE " + unpruned));
  }
  CHECK(f.Run("SELECT count() FROM events WHERE event = 'b'") == Rows{"10000"});
}

TEST_CASE("WITH TOTALS adds a row of the aggregates over every group, in each format", "[query]") {
  Fixture f;
  auto statement = ParseStatement("SELECT event, count() AS c FROM events GROUP BY event WITH TOTALS ORDER BY event");
  REQUIRE(statement.ok());
  auto result = ExecuteStatement(*statement, {.store = f.store.get(), .team_id = 1});
  REQUIRE(result.ok());
  auto tsv = FormatResult(*result, "TabSeparated");
  REQUIRE(tsv.ok());
  CHECK(tsv->body == "$pageview\t3\nsignup\t1\n\n\t4\n");
  auto json = FormatResult(*result, "JSONCompact");
  REQUIRE(json.ok());
  CHECK(json->body.find(R"("totals":["","4"])") != std::string::npos);
}

TEST_CASE("ORDER BY ... LIMIT keeps each chunk's first rows only, with the full sort's answer", "[query]") {
  Fixture f;
  // numbers() streams chunks of 65,536 rows: ORDER BY with a small LIMIT takes the top-N
  // path; a LIMIT above its bound, the full sort. Both must agree, ties in input order.
  auto check = [&](const std::string& order_limit) {
    INFO(order_limit);
    const std::string select = "SELECT number, number % 7 AS k, if(number % 11 = 0, NULL, number % 5) AS n FROM numbers(200000)";
    const size_t limit = order_limit.find(" LIMIT");
    Rows top = f.Run(fmt::format("{} {}", select, order_limit));
    Rows full = f.Run(fmt::format("SELECT * FROM ({} {} LIMIT 70000) LIMIT {}", select, order_limit.substr(0, limit),
                                  order_limit.substr(limit + 7)));
    CHECK(top == full);
    CHECK(!top.empty());
    return top;
  };
  CHECK(check("ORDER BY k DESC LIMIT 3") == Rows{"6\t6\t1", "13\t6\t3", "20\t6\t0"});
  CHECK(check("ORDER BY k, number DESC LIMIT 2 OFFSET 1") == Rows{"199990\t0\t0", "199983\t0\t3"});
  CHECK(check("ORDER BY n NULLS FIRST, number LIMIT 2") == Rows{"0\t0\t\\N", "11\t4\t\\N"});
  check("ORDER BY n DESC, k LIMIT 50 OFFSET 10");
  CHECK(f.Run("SELECT number FROM numbers(150000) ORDER BY number % 3 LIMIT 4") == Rows{"0", "3", "6", "9"});
  CHECK(f.Run("SELECT number FROM numbers(150000) WHERE number > 149990 ORDER BY number DESC LIMIT 2") ==
        Rows{"149999", "149998"});
  // "All rows after the fifth": offset + limit wraps around in 64 bits; the full sort answers.
  Rows rest = f.Run("SELECT number FROM numbers(150000) ORDER BY number DESC LIMIT 18446744073709551615 OFFSET 5");
  REQUIRE(rest.size() == 149995);
  CHECK(rest.front() == "149994");
}
