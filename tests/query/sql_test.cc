// The SQL acceptance tests: every query of tests/query/sql/*.test runs through
// query::ExecuteStatement as team 1 over the rows of sql_dataset.h (both teams, loaded into a
// real store in a temporary directory), and its rows, as TabSeparated (query::FormatValue),
// must equal the expected ones.
//
// The .test format (after duckdb's test/sql/*.test), blocks separated by one blank line:
//
//   -- comment lines: why the case exists, and directives:
//   --   -- sort       compare rows sorted (for a query without ORDER BY)
//   --   -- pending    hedgerow cannot run it yet: skipped, counted and printed (not failed);
//   --                 developers remove the mark when the feature lands
//   --   -- hand       the expected rows are written by hand (18.16 lacks the function or
//   --                 hedgerow differs on purpose; the comment says why): sql_answers.sh keeps them
//   --   -- reference: SQL    sql_answers.sh takes the expected rows from this spelling of
//   --                 the query (one line), e.g. visitParamExtractString for JSONExtractString
//   SELECT the query, on as many lines as it needs
//   ----
//   expected row, columns separated by tabs, TabSeparated escaping
//   ...
//   (blank line)
//
// Instead of rows, one line `-- error: text` expects the query to fail with a message that
// contains `text`, or whose ClickHouse error code name (UNKNOWN_TABLE, ...) is `text`.
// A block of comments alone (the file header: name and description) is not a query.
// A row can not be a single empty string (it would be the blank line): select it with
// something beside it.
//
// The expected rows come from clickhouse-server 18.16 over the same team-1 rows:
// tests/query/reference/sql_answers.sh, which uses the two hidden cases at the end of this
// file ([.sql_dataset] writes the rows, [.sql_regenerate] rewrites the .test files).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "../../src/api/query_errors.h"  // header-only: the error code names ClickHouse clients see
#include "hedgerow/query/executor.h"
#include "hedgerow/query/parser.h"
#include "hedgerow/store/store.h"
#include "sql_dataset.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using namespace hedgerow::query;

namespace {

constexpr size_t kMinimumQueries = 300;

struct SqlCase {
  std::string file;
  size_t line = 0;  // of the query's first line
  std::string query;
  std::vector<std::string> expected;
  std::optional<std::string> error;
  std::string reference;  // -- reference: SQL
  bool sort = false, pending = false, hand = false;
};

// A block as written: its lines up to and including `----` (or all of a comment block),
// and the expected lines, so that sql_answers.sh can rewrite the rows alone.
struct Block {
  std::vector<std::string> head;
  std::vector<std::string> rows;
  std::optional<SqlCase> sql;
};

std::string SqlDir() { return std::string(HEDGEROW_QUERY_TESTDATA) + "/../sql"; }

std::vector<std::string> TestFiles() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(SqlDir())) {
    if (entry.path().extension() == ".test") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<Block> ParseTestFile(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::string name = std::filesystem::path(path).filename().string();
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::vector<Block> blocks;
  size_t i = 0;
  while (i < lines.size()) {
    if (lines[i].empty()) {
      ++i;
      continue;
    }
    Block b;
    SqlCase c;
    c.file = name;
    bool in_query = false, in_rows = false;
    for (; i < lines.size() && !lines[i].empty(); ++i) {
      const std::string& l = lines[i];
      if (in_rows) {
        b.rows.push_back(l);
        continue;
      }
      b.head.push_back(l);
      if (l == "----") {
        in_rows = true;
      } else if (!in_query && l.rfind("--", 0) == 0) {
        if (l == "-- sort") c.sort = true;
        else if (l.rfind("-- pending", 0) == 0) c.pending = true;
        else if (l.rfind("-- hand", 0) == 0) c.hand = true;
        else if (l.rfind("-- reference: ", 0) == 0) c.reference = l.substr(14);
      } else {
        if (!in_query) c.line = i + 1;
        in_query = true;
        c.query += (c.query.empty() ? "" : "\n") + l;
      }
    }
    if (in_query) {
      INFO(name << ":" << c.line << ": a query must end with a line ----");
      REQUIRE(in_rows);
      if (b.rows.size() == 1 && b.rows[0].rfind("-- error: ", 0) == 0) c.error = b.rows[0].substr(10);
      else c.expected = b.rows;
      b.sql = std::move(c);
    }
    blocks.push_back(std::move(b));
  }
  return blocks;
}

// The store holding the dataset, loaded once for every query of the run.
struct Dataset {
  Dataset() {
    auto s = store::Store::Open({.dir = dir.File("store"), .merge_threads = 0}, nullptr);
    REQUIRE(s.ok());
    store = std::move(s).value();
    Status loaded = query::testing::LoadSqlDataset(*store);
    INFO(loaded.ToString());
    REQUIRE(loaded.ok());
  }
  hedgerow::testing::TempDir dir;
  std::unique_ptr<store::Store> store;
};

Dataset& SharedDataset() {
  static Dataset dataset;
  return dataset;
}

// The rows of `sql` run as `team` (team 1, the tests' project), or the error.
Result<std::vector<std::string>> RunHedgerow(const std::string& sql, std::optional<int64_t> team = 1) {
  auto statement = ParseStatement(sql);
  if (!statement.ok()) return statement.status();
  auto result = ExecuteStatement(*statement, {.store = SharedDataset().store.get(), .team_id = team});
  if (!result.ok()) return result.status();
  std::vector<std::string> rows;
  for (size_t r = 0; r < result->rows; ++r) {
    std::string line;
    for (size_t c = 0; c < result->columns.size(); ++c) {
      if (c) line += '\t';
      line += FormatValue(*result->columns[c], r);
    }
    rows.push_back(std::move(line));
  }
  // WITH TOTALS: the totals row follows the rows (TabSeparated's blank line between them
  // cannot stand in a .test block).
  if (!result->totals.empty()) {
    std::string line;
    for (size_t c = 0; c < result->totals.size(); ++c) line += (c ? "\t" : "") + FormatValue(*result->totals[c], 0);
    rows.push_back(std::move(line));
  }
  return rows;
}

std::string Join(const std::vector<std::string>& rows) {
  std::string out;
  for (const std::string& r : rows) out += "    " + r + "\n";
  return out.empty() ? "    (no rows)\n" : out;
}

// Empty when the case passes, else what went wrong.
std::string Check(const SqlCase& c) {
  Result<std::vector<std::string>> got = [&]() -> Result<std::vector<std::string>> {
    try {
      return RunHedgerow(c.query);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("exception: ") + e.what());
    }
  }();
  if (c.error) {
    if (got.ok()) return "expected the error \"" + *c.error + "\", got rows:\n" + Join(*got);
    const std::string& message = got.status().message();
    if (message.find(*c.error) != std::string::npos || *c.error == api::CodeOf(got.status()).name) return "";
    return "expected the error \"" + *c.error + "\", got the error: " + message + " (" +
           api::CodeOf(got.status()).name + ")\n";
  }
  if (!got.ok()) return "expected rows:\n" + Join(c.expected) + "  got the error: " + got.status().message() + "\n";
  std::vector<std::string> rows = *got, expected = c.expected;
  if (c.sort) {
    std::sort(rows.begin(), rows.end());
    std::sort(expected.begin(), expected.end());
  }
  if (rows == expected) return "";
  return "expected:\n" + Join(expected) + "  got:\n" + Join(rows);
}

}  // namespace

TEST_CASE("the SQL tests' queries give the rows clickhouse-server gives on the same data", "[sql]") {
  // Developers drop `-- pending` marks as features land; this tells them which already pass.
  const bool run_pending = std::getenv("HEDGEROW_SQL_RUN_PENDING") != nullptr;
  size_t total = 0, passed = 0, pending = 0;
  std::vector<std::string> failures, pending_passing;
  for (const std::string& path : TestFiles()) {
    for (const Block& b : ParseTestFile(path)) {
      if (!b.sql) continue;
      const SqlCase& c = *b.sql;
      ++total;
      std::string where = c.file + ":" + std::to_string(c.line);
      if (c.pending) {
        ++pending;
        if (run_pending && Check(c).empty()) pending_passing.push_back(where);
        continue;
      }
      std::string problem = Check(c);
      if (problem.empty()) ++passed;
      else failures.push_back(where + ": " + c.query + "\n  " + problem);
    }
  }
  for (const std::string& f : failures) std::cerr << "FAILED " << f << "\n";
  for (const std::string& p : pending_passing) std::cerr << "pending but passing: " << p << "\n";
  std::cerr << "sql tests: " << total << " queries, " << passed << " passed, " << failures.size() << " failed, "
            << pending << " pending (not run" << (run_pending ? "; run for the report above" : "") << ")\n";
  CHECK(total >= kMinimumQueries);
  CHECK(failures.empty());
  // safety.test proves something only if team 2's rows are there to be leaked.
  auto everyone = RunHedgerow("SELECT count() FROM events WHERE team_id = 2", std::nullopt);
  REQUIRE(everyone.ok());
  CHECK(*everyone == std::vector<std::string>{"80"});
}

// HEDGEROW_SQL_DATASET_DIR=dir: writes the team-1 rows for ClickHouse (sql_answers.sh).
TEST_CASE("write the SQL tests' dataset as JSONEachRow", "[.sql_dataset]") {
  const char* dir = std::getenv("HEDGEROW_SQL_DATASET_DIR");
  REQUIRE(dir != nullptr);
  Status s = query::testing::WriteSqlDataset(dir);
  INFO(s.ToString());
  REQUIRE(s.ok());
}

// HEDGEROW_CLICKHOUSE_PORT=port: rewrites the expected rows of every block that is not
// `-- hand` with the answers of the clickhouse-server on that port (sql_answers.sh has
// loaded the dataset into it). When ClickHouse refuses a query, an `-- error:` written by
// hand stays (it is hedgerow's wording); otherwise the block gets ClickHouse's message,
// reported so that someone looks at it. A refusal hedgerow makes on purpose where
// ClickHouse answers (table functions, ...) is `-- hand`.
TEST_CASE("regenerate the SQL tests' expected rows from clickhouse-server", "[.sql_regenerate]") {
  const char* port_text = std::getenv("HEDGEROW_CLICKHOUSE_PORT");
  REQUIRE(port_text != nullptr);
  const auto port = static_cast<uint16_t>(std::stoi(port_text));
  for (const std::string& path : TestFiles()) {
    std::vector<Block> blocks = ParseTestFile(path);
    for (Block& b : blocks) {
      if (!b.sql || b.sql->hand) continue;
      const SqlCase& c = *b.sql;
      std::string sql = c.reference.empty() ? c.query : c.reference;
      // readonly=2: a query of the tests can never change the reference data (SETTINGS and table
      // functions such as numbers() still work).
      auto r = hedgerow::testing::HttpRequest(port, "POST", "/?default_format=TabSeparated&readonly=2", sql);
      REQUIRE(r.has_value());
      if (r->status != 200) {
        if (c.error) continue;
        std::string message = r->body;
        size_t from = message.find("DB::Exception: "), to = message.find(", e.what()");
        if (from != std::string::npos) message = message.substr(from + 15, to == std::string::npos ? to : to - from - 15);
        while (!message.empty() && message.back() == '\n') message.pop_back();
        std::cerr << c.file << ":" << c.line << ": clickhouse refuses: " << message << "\n";
        b.rows = {"-- error: " + message};
        continue;
      }
      std::vector<std::string> rows;
      std::string body = r->body;
      for (size_t at = 0; at < body.size();) {
        size_t nl = body.find('\n', at);
        if (nl == std::string::npos) nl = body.size();
        rows.push_back(body.substr(at, nl - at));
        at = nl + 1;
      }
      for (const std::string& row : rows) {
        if (row.empty()) std::cerr << c.file << ":" << c.line << ": a row is an empty string; select more columns\n";
      }
      if (c.sort) std::sort(rows.begin(), rows.end());
      b.rows = std::move(rows);
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (i) out << "\n";
      for (const std::string& l : blocks[i].head) out << l << "\n";
      for (const std::string& l : blocks[i].rows) out << l << "\n";
    }
    REQUIRE(out.good());
  }
}
