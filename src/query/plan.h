#pragma once

// A SELECT made ready to run (executor.cc builds it, executor_run.cc runs it): its input,
// the joins and ARRAY JOINs applied to each chunk of it, and the expressions of every
// clause with aliases expanded, every identifier resolved to the name of a column of the
// chunks (a right-hand table's column that clashes is named "t.x") and subqueries
// replaced by their results.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hedgerow/query/ast.h"
#include "hedgerow/query/executor.h"
#include "hedgerow/query/types.h"
#include "hedgerow/store/column.h"
#include "source.h"

namespace hedgerow::query {

// A hash join: the right side is read whole and indexed by its key; each chunk of the left
// side looks its keys up.
struct JoinStep {
  JoinClause::Kind kind = JoinClause::Kind::kInner;
  bool any = false;                   // ANY: one right row per left row
  Chunk right;                        // the right side's columns, named as the query resolves them
  std::vector<ExprPtr> left_keys;     // over the left chunk
  std::vector<DataTypePtr> key_types;  // both sides' keys are cast to these
  // The right rows of each distinct key, as groups: group g's rows are
  // group_rows[group_starts[g], group_starts[g + 1]).
  std::vector<uint32_t> group_starts, group_rows;
  // Key -> group. One String key (the common distinct_id join) is looked up by the bytes
  // of the right key column itself, kept in `right_key`; other keys by AppendKey's bytes.
  ColumnPtr right_key;
  std::unordered_map<std::string_view, uint32_t> string_groups;
  std::unordered_map<std::string, uint32_t> key_groups;
  std::unique_ptr<std::atomic<uint8_t>[]> matched;  // RIGHT and FULL: right rows that found a match
  std::vector<std::string> left_names;              // the columns left of the join (RIGHT/FULL's tail)
  std::vector<DataTypePtr> left_types;
  // USING keys among left_names (by index): the right side's values, as the left's type.
  std::map<size_t, ColumnPtr> using_keys;
};

// ARRAY JOIN (or arrayJoin()): each row repeated once per element of the arrays, which are
// zipped; the elements are the columns `names`.
struct ArrayJoinStep {
  bool left = false;  // LEFT ARRAY JOIN: a row with an empty array stays, with default elements
  std::vector<ExprPtr> arrays;
  std::vector<std::string> names;
};

struct Plan {
  Input input;
  std::vector<std::string> scan_columns;  // of the input
  std::vector<std::unique_ptr<JoinStep>> joins;
  std::vector<ArrayJoinStep> array_joins;
  std::map<std::string, DataTypePtr> column_types;  // of every column a chunk may hold
  ExprPtr where;                   // PREWHERE and WHERE (and INNER JOIN's other conditions)
  std::vector<std::string> names;  // of the result's columns
  std::vector<ExprPtr> outputs;
  std::vector<ExprPtr> group_by;
  std::map<std::string, const Expr*> aggregate_calls;  // by text; point into outputs/having/order_by
  bool aggregating = false;
  bool with_totals = false;
  ExprPtr having;
  bool distinct = false;
  std::vector<ExprPtr> order_by;
  std::vector<OrderItem> order;  // direction and NULLs of each (their expr unused)
  std::vector<ExprPtr> limit_by;
  uint64_t limit_by_limit = 0, limit_by_offset = 0;
  bool has_limit = false;
  uint64_t limit = 0, offset = 0;
};

Result<QueryResult> RunPlan(Plan& plan, const QueryContext& context);

// The query's deadline, cancellation and memory limit (`memory`: what the plan holds now).
Status CheckLimits(const QueryContext& context, uint64_t memory);
// Bytes a column's buffers take, nested columns included.
uint64_t ColumnBytes(const Column& column);

// pruning.cc: bounds `input`'s time range (partition and primary-key pruning) by the
// conditions of `where` on its partition column.
void PruneByTime(const Expr* where, Input& input);
// Narrows `input`'s granules by `column = constant` / `column IN (...)` conditions of
// `where` on a later ORDER BY column (events' `event`).
void PruneByKey(const Expr* where, Input& input);

// The query type of a store column type.
DataTypePtr QueryType(store::Type type);

// join.cc: a join of a left chunk; the right rows no left row matched (RIGHT and FULL),
// with default left columns, once the left side is done; ARRAY JOIN of a chunk.
Result<Chunk> ApplyJoin(const JoinStep& join, const Chunk& left);
Chunk UnmatchedRight(const JoinStep& join);
Result<Chunk> ApplyArrayJoin(const ArrayJoinStep& step, const Chunk& chunk);
// Builds join.index from join.right and `right_keys` (expressions over it), casting both
// sides' keys to common types (`left_types`: the left keys' types).
Status BuildJoinIndex(JoinStep& join, const std::vector<ExprPtr>& right_keys, const std::vector<DataTypePtr>& left_types);

}  // namespace hedgerow::query
