#pragma once

// A SELECT made ready to run (executor.cc builds it, executor_run.cc runs it): aliases
// expanded, the team's condition added, the columns to scan and the aggregates known.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hedgerow/query/ast.h"
#include "hedgerow/query/executor.h"
#include "hedgerow/query/types.h"
#include "hedgerow/store/column.h"

namespace hedgerow::store {
class Table;
}

namespace hedgerow::query {

struct Plan {
  const store::Table* table = nullptr;  // null: system.one
  bool final = false;
  std::map<std::string, DataTypePtr> column_types;  // of the table's columns
  std::vector<std::string> scan_columns;
  std::optional<int64_t> team_id;  // scan only this team's key range
  ExprPtr where;                   // PREWHERE, WHERE and the team's condition
  std::vector<std::string> names;  // of the result's columns
  std::vector<ExprPtr> outputs;
  std::vector<ExprPtr> group_by;
  std::map<std::string, const Expr*> aggregate_calls;  // by text; point into outputs/having/order_by
  bool aggregating = false;
  ExprPtr having;
  std::vector<ExprPtr> order_by;
  std::vector<OrderItem> order;  // direction and NULLs of each (their expr unused)
  bool has_limit = false;
  uint64_t limit = 0, offset = 0;
};

Result<QueryResult> RunPlan(const Plan& plan, const QueryContext& context);

// The query type of a store column type.
DataTypePtr QueryType(store::Type type);

}  // namespace hedgerow::query
