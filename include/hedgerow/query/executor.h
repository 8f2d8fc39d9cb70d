#pragma once

// Runs a parsed SELECT on the store. So far: one table (or none: system.one), FINAL,
// PREWHERE/WHERE, GROUP BY with the common aggregates, HAVING, ORDER BY, LIMIT/OFFSET,
// aliases used anywhere in the query. Joins, subqueries, UNION ALL, ARRAY JOIN, DISTINCT,
// LIMIT BY and WITH are refused with a clear error until they are built.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/query/ast.h"
#include "hedgerow/query/column.h"

namespace hedgerow::store {
class Store;
}

namespace hedgerow::query {

class RemoteEngine;

struct QueryContext {
  const store::Store* store = nullptr;
  // Set when the tables live on a ClickHouse cluster: SELECTs run there, scoped the same way.
  const RemoteEngine* remote = nullptr;
  // Set for every query from outside: each scan of a table with a team_id column sees that
  // team's rows only (the planner adds the condition; no SQL can take it away).
  std::optional<int64_t> team_id;
  // A final result with more rows is refused (the query API caps it at 50,000).
  size_t max_result_rows = 10'000'000;
  // Past this the query stops with "Timeout exceeded" (ClickHouse's max_execution_time).
  std::optional<std::chrono::steady_clock::time_point> deadline;
  double max_execution_seconds = 0;  // for the message
  // Past this estimate of what the query holds (collected rows, groups, a join's right side)
  // it stops with "Memory limit (for query) exceeded" (ClickHouse's max_memory_usage). 0: none.
  uint64_t max_memory_bytes = 0;
  // Set (by another thread: the client went away) to stop the query.
  const std::atomic<bool>* cancelled = nullptr;
  // Set when the server stops: the query ends early.
  const std::atomic<bool>* stopping = nullptr;
};

// The limits of `context` lowered by a query's SETTINGS max_execution_time (seconds),
// max_memory_usage (bytes) and max_result_rows: a query may ask for less than the server
// allows, never more. Other settings are accepted and ignored. InvalidArgument for a value
// of the wrong type.
Result<QueryContext> ApplySettings(const QueryContext& context, const std::vector<std::pair<std::string, Literal>>& settings);

struct QueryResult {
  std::vector<std::string> names;
  std::vector<ColumnPtr> columns;  // non-constant, `rows` long each
  size_t rows = 0;
  // GROUP BY ... WITH TOTALS: one row, the aggregates over every group (keys at their
  // defaults); empty otherwise.
  std::vector<ColumnPtr> totals;
};

// Where SELECTs run when the store is elsewhere (cluster/cluster_query.h): the same answer
// ExecuteSelect gives, with the same team scoping and limits.
class RemoteEngine {
 public:
  virtual ~RemoteEngine() = default;
  virtual Result<QueryResult> ExecuteSelect(const SelectUnion& select, const QueryContext& context) const = 0;
};

// InvalidArgument in ClickHouse's words for what the query gets wrong (unknown table,
// missing column, illegal types, ...) and for what is not supported yet.
Result<QueryResult> ExecuteSelect(const SelectUnion& select, const QueryContext& context);
// Any statement: a SELECT, or SHOW TABLES, SHOW DATABASES, DESCRIBE and EXISTS, answered
// as ClickHouse answers them (DESCRIBE: name, type, default_type, default_expression).
Result<QueryResult> ExecuteStatement(const Statement& statement, const QueryContext& context);

}  // namespace hedgerow::query
