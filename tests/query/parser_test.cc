#include "hedgerow/query/parser.h"

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>

using namespace hedgerow;
using namespace hedgerow::query;

namespace {

// The expression in functional notation, or the error's message.
std::string Expr_(const std::string& sql) {
  auto e = ParseExpression(sql);
  return e.ok() ? FormatExpr(**e) : "error: " + e.status().message();
}

std::string Select(const std::string& sql) {
  auto s = ParseStatement(sql);
  if (!s.ok()) return "error: " + s.status().message();
  REQUIRE(s->select);
  return FormatSelect(*s->select);
}

}  // namespace

TEST_CASE("operators follow ClickHouse's precedence and become its functions", "[query]") {
  CHECK(Expr_("1 + 2 * 3") == "plus(1, multiply(2, 3))");
  CHECK(Expr_("(1 + 2) * 3") == "multiply(plus(1, 2), 3)");
  CHECK(Expr_("1 - 2 - 3") == "minus(minus(1, 2), 3)");
  CHECK(Expr_("a = 1 AND b = 2 OR c") == "or(and(equals(a, 1), equals(b, 2)), c)");
  CHECK(Expr_("a AND b AND c") == "and(a, b, c)");
  CHECK(Expr_("NOT a = b") == "not(equals(a, b))");
  CHECK(Expr_("NOT a AND b") == "and(not(a), b)");
  CHECK(Expr_("a || b = c") == "equals(concat(a, b), c)");
  CHECK(Expr_("-a * b") == "multiply(negate(a), b)");
  CHECK(Expr_("-1") == "-1");
  CHECK(Expr_("-9223372036854775808") == "-9223372036854775808");
  CHECK(Expr_("18446744073709551615") == "18446744073709551615");
  CHECK(Expr_("1.5e3") == "1500");
  CHECK(Expr_("0x1F") == "31");
  CHECK(Expr_("a IS NULL AND b IS NOT NULL") == "and(isNull(a), isNotNull(b))");
  CHECK(Expr_("x NOT LIKE '%a' OR x ILIKE 'B%'") == "or(notLike(x, '%a'), ilike(x, 'B%'))");
  CHECK(Expr_("x BETWEEN 1 AND 2 AND y") == "and(between(x, 1, 2), y)");
  CHECK(Expr_("x NOT BETWEEN 1 + 1 AND 3") == "notBetween(x, plus(1, 1), 3)");
  CHECK(Expr_("(a, b) IN ((1, 2), (3, 4))") == "in(tuple(a, b), tuple(tuple(1, 2), tuple(3, 4)))");
  CHECK(Expr_("x GLOBAL NOT IN (1)") == "globalNotIn(x, 1)");
  CHECK(Expr_("a ? b : c ? d : e") == "if(a, b, if(c, d, e))");
  CHECK(Expr_("a % 3 DIV 2") == "intDiv(modulo(a, 3), 2)");
  CHECK(Expr_("a != b") == "notEquals(a, b)");
  CHECK(Expr_("a <> b") == "notEquals(a, b)");
}

TEST_CASE("primaries: literals, names, calls, arrays, tuples, CASE, CAST, INTERVAL, lambdas, parameters", "[query]") {
  CHECK(Expr_("'it''s \\n\\x41'") == "'it\\'s \\nA'");
  CHECK(Expr_("NULL") == "NULL");
  CHECK(Expr_("true AND FALSE") == "and(true, false)");
  CHECK(Expr_("events.properties") == "events.properties");
  CHECK(Expr_("`weird name`.\"x\"") == "weird name.x");
  CHECK(Expr_("t.*") == "t.*");
  CHECK(Expr_("count(*)") == "count(*)");
  CHECK(Expr_("count(DISTINCT user)") == "count(DISTINCT user)");
  CHECK(Expr_("quantiles(0.5, 0.9)(x)") == "quantiles(0.5, 0.9)(x)");
  CHECK(Expr_("countIf(x > 1)") == "countIf(greater(x, 1))");
  CHECK(Expr_("[1, 2][1]") == "arrayElement(array(1, 2), 1)");
  CHECK(Expr_("[]") == "array()");
  CHECK(Expr_("(1,)") == "tuple(1)");
  CHECK(Expr_("t.1") == "tupleElement(t, 1)");
  CHECK(Expr_("properties['$browser']") == "arrayElement(properties, '$browser')");
  CHECK(Expr_("CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END") == "multiIf(a, 1, b, 2, 3)");
  CHECK(Expr_("CASE x WHEN 1 THEN 'a' END") == "caseWithExpression(x, 1, 'a', NULL)");
  CHECK(Expr_("CAST(x AS Nullable(String))") == "CAST(x, 'Nullable(String)')");
  CHECK(Expr_("CAST(x, 'UInt8')") == "CAST(x, 'UInt8')");
  CHECK(Expr_("x::DateTime64(6, 'UTC')") == "CAST(x, 'DateTime64(6, \\'UTC\\')')");
  CHECK(Expr_("now() - INTERVAL 7 DAY") == "minus(now(), toIntervalDay(7))");
  CHECK(Expr_("INTERVAL 2 hours") == "toIntervalHour(2)");
  CHECK(Expr_("arrayMap(x -> x * 2, arr)") == "arrayMap(lambda(tuple(x), multiply(x, 2)), arr)");
  CHECK(Expr_("arrayFilter((x, y) -> x > y, a, b)") == "arrayFilter(lambda(tuple(x, y), greater(x, y)), a, b)");
  CHECK(Expr_("{p:String}") == "{p:String}");
  CHECK(Expr_("DATE '2024-01-01'") == "toDate('2024-01-01')");
  CHECK(Expr_("f(x AS y, y)") == "f(x AS y, y)");
  CHECK(Expr_("x -- comment\n + /* block */ 1") == "plus(x, 1)");
}

TEST_CASE("SELECT clauses parse in ClickHouse's order", "[query]") {
  CHECK(Select("select 1") == "SELECT 1");
  CHECK(Select("SELECT event, count() AS c FROM events WHERE team_id = 1 GROUP BY event ORDER BY c DESC LIMIT 10") ==
        "SELECT event, count() AS c FROM events WHERE equals(team_id, 1) GROUP BY event ORDER BY c DESC LIMIT 10");
  CHECK(Select("SELECT count() c FROM events FINAL") == "SELECT count() AS c FROM events FINAL");
  CHECK(Select("SELECT DISTINCT a FROM db.t AS x PREWHERE a > 1 WHERE b") ==
        "SELECT DISTINCT a FROM db.t AS x PREWHERE greater(a, 1) WHERE b");
  CHECK(Select("SELECT a FROM t GROUP BY a WITH TOTALS HAVING count() > 1") ==
        "SELECT a FROM t GROUP BY a WITH TOTALS HAVING greater(count(), 1)");
  CHECK(Select("SELECT a FROM t ORDER BY a ASC NULLS FIRST, b DESC NULLS LAST") ==
        "SELECT a FROM t ORDER BY a ASC NULLS FIRST, b DESC NULLS LAST");
  CHECK(Select("SELECT a FROM t LIMIT 2 BY a LIMIT 10 OFFSET 5") == "SELECT a FROM t LIMIT 2 BY a LIMIT 10 OFFSET 5");
  CHECK(Select("SELECT a FROM t LIMIT 5, 10") == "SELECT a FROM t LIMIT 10 OFFSET 5");
  CHECK(Select("SELECT a FROM t LIMIT 1 OFFSET 1 BY a") == "SELECT a FROM t LIMIT 1 OFFSET 1 BY a");
  CHECK(Select("WITH 1 AS one, t2 AS (SELECT 2) SELECT one FROM t2") ==
        "WITH 1 AS one, (SELECT 2) AS t2 SELECT one FROM t2");
  CHECK(Select("SELECT 1 UNION ALL SELECT 2 UNION ALL (SELECT 3)") == "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3");
  CHECK(Select("SELECT * FROM (SELECT a FROM t) AS s WHERE a IN (SELECT a FROM u)") ==
        "SELECT * FROM (SELECT a FROM t) AS s WHERE in(a, (SELECT a FROM u))");
  CHECK(Select("SELECT * FROM a ANY LEFT JOIN b USING (k) INNER JOIN c ON a.x = c.x") ==
        "SELECT * FROM a ANY LEFT JOIN b USING (k) INNER JOIN c ON equals(a.x, c.x)");
  CHECK(Select("SELECT * FROM a GLOBAL FULL OUTER JOIN b ON 1, c") == "SELECT * FROM a GLOBAL FULL JOIN b ON 1, c");
  CHECK(Select("SELECT * FROM a CROSS JOIN b") == "SELECT * FROM a CROSS JOIN b");
  CHECK(Select("SELECT * FROM a LEFT SEMI JOIN b USING k") == "SELECT * FROM a SEMI LEFT JOIN b USING (k)");
  CHECK(Select("SELECT x FROM t ARRAY JOIN arr AS x") == "SELECT x FROM t ARRAY JOIN arr AS x");
  CHECK(Select("SELECT x FROM t LEFT ARRAY JOIN arr AS x, [1] AS y") ==
        "SELECT x FROM t LEFT ARRAY JOIN arr AS x, array(1) AS y");
  CHECK(Select("SELECT number FROM numbers(10) SETTINGS max_threads = 2, x = 'y'") ==
        "SELECT number FROM numbers(10) SETTINGS max_threads = 2, x = 'y'");
}

TEST_CASE("statements: FORMAT, SETTINGS, ';', introspection, and writes refused", "[query]") {
  auto s = ParseStatement("SELECT 1 FORMAT JSONEachRow;");
  REQUIRE(s.ok());
  CHECK(s->format == "JSONEachRow");
  s = ParseStatement("SHOW TABLES FROM default LIKE 'e%'");
  REQUIRE(s.ok());
  CHECK(s->kind == Statement::Kind::kShowTables);
  CHECK(s->database == "default");
  CHECK(s->like == "e%");
  s = ParseStatement("show databases");
  REQUIRE(s.ok());
  CHECK(s->kind == Statement::Kind::kShowDatabases);
  s = ParseStatement("DESCRIBE TABLE default.events");
  REQUIRE(s.ok());
  CHECK(s->kind == Statement::Kind::kDescribe);
  CHECK(s->database == "default");
  CHECK(s->table == "events");
  s = ParseStatement("EXISTS events");
  REQUIRE(s.ok());
  CHECK(s->kind == Statement::Kind::kExists);
  for (const char* write : {"INSERT INTO events VALUES (1)", "drop table events", "ALTER TABLE events DELETE WHERE 1",
                            "CREATE TABLE x (a UInt8) ENGINE = Memory", "TRUNCATE events", "SET max_threads = 1",
                            "OPTIMIZE TABLE events FINAL"}) {
    auto refused = ParseStatement(write);
    INFO(write);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == StatusCode::kInvalidArgument);
    CHECK(refused.status().message().find("queries are read-only") != std::string::npos);
  }
}

TEST_CASE("syntax errors name the line, the column and what was expected", "[query]") {
  CHECK(Select("SELECT 1 +") == "error: Syntax error at line 1, column 11: expected an expression, got end of query");
  CHECK(Select("SELECT a\nFROM t\nWHERE (b") == "error: Syntax error at line 3, column 9: expected ')', got end of query");
  CHECK(Select("SELECT a FROM t WHERE") == "error: Syntax error at line 1, column 22: expected an expression, got end of query");
  CHECK(Select("SELECT 'abc") == "error: Syntax error at line 1, column 8: unterminated string");
  CHECK(Select("SELECT a FROM t UNION SELECT 1") ==
        "error: Syntax error at line 1, column 23: expected ALL after UNION (only UNION ALL is supported), got 'SELECT'");
  CHECK(Select("SELECT a b c") == "error: Syntax error at line 1, column 12: expected end of query, got 'c'");
  CHECK(Select("SELECT a FROM t JOIN u") == "error: Syntax error at line 1, column 23: expected ON or USING, got end of query");
  CHECK(Select("SELECT 1 /* open") == "error: Syntax error at line 1, column 10: unterminated comment");
  CHECK(Select("SELECT a @ b") == "error: Syntax error at line 1, column 10: unexpected character '@'");
  CHECK(Select("SELECT INTERVAL 1 fortnight") ==
        "error: Syntax error at line 1, column 19: expected an interval unit (SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, "
        "QUARTER, YEAR), got 'fortnight'");
  CHECK(Select("UPDATE") == "error: Cannot execute UPDATE: queries are read-only");
  CHECK(Select("hello") == "error: Syntax error at line 1, column 1: expected SELECT, WITH, SHOW, DESCRIBE or EXISTS, got 'hello'");
}

TEST_CASE("nesting past the parser's depth is an error, not a stack overflow", "[query]") {
  const size_t n = 100000;
  for (const auto& [open, close] : {std::pair<std::string, std::string>{"(", ")"}, {"[", "]"}, {"f(", ")"},
                                    {"(SELECT ", ")"}, {"NOT ", ""}, {"- ", ""}, {"a ? b : ", ""}, {"x -> ", ""}}) {
    std::string sql = "SELECT ";
    for (size_t i = 0; i < n; ++i) sql += open;
    sql += "1";
    for (size_t i = 0; i < n; ++i) sql += close;
    auto s = ParseStatement(sql);
    INFO(open);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().message().find("nests deeper than 256 levels") != std::string::npos);
  }
  std::string ok = "SELECT " + std::string(200, '(') + "1" + std::string(200, ')');
  CHECK(ParseStatement(ok).ok());
  CHECK(ParseStatement(std::string(kMaxQueryBytes + 1, ' ')).status().message().find("the limit is") != std::string::npos);
}

TEST_CASE("random, mutated and truncated queries parse or fail cleanly", "[query]") {
  const std::string queries[] = {
      "SELECT event, count() AS c FROM events WHERE team_id = 1 AND timestamp > now() - INTERVAL 7 DAY GROUP BY event "
      "ORDER BY c DESC LIMIT 10",
      "WITH x AS (SELECT a FROM t) SELECT arrayMap(v -> v + 1, [1, 2])[1], CASE WHEN a THEN 'x' END FROM x ARRAY JOIN "
      "arr AS e LEFT JOIN u USING (k) SETTINGS s = 1 FORMAT JSON",
      "SELECT quantiles(0.5)(x), {p:Array(String)}, 'a\\'b', `q`.\"r\" FROM numbers(3) FINAL LIMIT 1 BY x"};
  std::mt19937 rng(Catch::rngSeed());
  const std::string alphabet = "()[]{},.;:'\"`-+*/%=<>?! \n\\aZ09_$xSELECTFROM";
  size_t parsed = 0;
  for (const std::string& q : queries) {
    REQUIRE(ParseStatement(q).ok());
    for (size_t cut = 0; cut <= q.size(); ++cut) parsed += ParseStatement(q.substr(0, cut)).ok();
    for (int i = 0; i < 3000; ++i) {
      std::string m = q;
      for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n; ++k) {
        m[rng() % m.size()] = alphabet[rng() % alphabet.size()];
      }
      auto r = ParseStatement(m);
      if (r.ok() && r->select) parsed += !FormatSelect(*r->select).empty();
    }
  }
  for (int i = 0; i < 3000; ++i) {
    std::string random(rng() % 100, ' ');
    for (char& c : random) c = static_cast<char>(rng());
    (void)ParseStatement(random);
  }
  CHECK(parsed > 0);
}

TEST_CASE("query parameters bind as literals of their type, or fail naming the parameter", "[query]") {
  auto bound = [](const std::string& sql, const std::map<std::string, std::string>& values) {
    auto s = ParseStatement(sql);
    REQUIRE(s.ok());
    Status status = BindParameters(*s, values);
    return status.ok() ? FormatSelect(*s->select) : "error: " + status.message();
  };
  CHECK(bound("SELECT {s:String}, {n:UInt8} AS n WHERE x = {i:Int64} LIMIT {l:UInt64}",
              {{"s", "it's"}, {"n", "7"}, {"i", "-3"}, {"l", "10"}}) ==
        "SELECT 'it\\'s', 7 AS n WHERE equals(x, -3) LIMIT 10");
  CHECK(bound("SELECT {f:Float64}, {z:Nullable(String)}", {{"f", "1.5"}, {"z", "\\N"}}) == "SELECT 1.5, NULL");
  CHECK(bound("SELECT (SELECT {p:String})", {{"p", "x"}}) == "SELECT (SELECT 'x')");
  CHECK(bound("SELECT {p:String}", {}) == "error: Query parameter `p` was not set");
  CHECK(bound("SELECT {n:UInt8}", {{"n", "x"}}) == "error: Value 'x' of query parameter n is not a UInt8");
  CHECK(bound("SELECT {d:Date}", {{"d", "2024-01-01"}}) ==
        "error: Query parameters of type Date are not supported yet (parameter d)");
}

TEST_CASE("a quoted string literal reads back as the text, whatever it holds", "[query]") {
  for (std::string text : {std::string(""), std::string("plain"), std::string("it's"), std::string("back\\slash\\'"),
                           std::string("line\nbreak\ttab\r"), std::string("nul\0byte", 8), std::string("' OR '1'='1"),
                           std::string("héllo €")}) {
    auto parsed = ParseExpression(QuoteStringLiteral(text));
    REQUIRE(parsed.ok());
    REQUIRE((*parsed)->kind == Expr::Kind::kLiteral);
    CHECK(std::get<std::string>((*parsed)->literal) == text);
  }
}
