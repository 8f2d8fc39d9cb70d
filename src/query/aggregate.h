#pragma once

// Aggregate functions: per-group states updated a batch at a time, then one result column.
// count, sum, avg, min, max, any, anyLast, anyHeavy, argMin, argMax, uniq (ClickHouse's
// UniquesHashSet estimate), uniqExact, groupArray, groupUniqArray, quantile(s),
// quantileExact(s), median, medianExact, varPop, varSamp, stddevPop, stddevSamp, covarPop,
// covarSamp, corr, windowFunnel, retention, sequenceMatch and sequenceCount, each also with
// the -If combinator (sumIf(x, cond): rows where cond is 0 or NULL are skipped).
// As ClickHouse's aggregates do, rows with a NULL argument are skipped, and when an argument
// is Nullable the result is Nullable too (NULL for a group without a non-NULL row), except
// for count and the aggregates returning arrays or funnel levels.
//
// The protocol: Make, then Add for each batch of rows (groups numbered from 0 as they
// appear), then Finalize once. Rows may also be split among several aggregates made by the
// same Make call (one per thread, each with its own groups), then Merged into one of them
// before Finalize. Not thread-safe: callers serialize the calls on one aggregate.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/query/ast.h"
#include "hedgerow/query/column.h"

namespace hedgerow::query {

struct AggregateBatch;
struct AggregateCall;

class Aggregate {
 public:
  virtual ~Aggregate() = default;
  // True when `name` is an aggregate (with or without -If).
  static bool IsAggregate(std::string_view name);
  // InvalidArgument for unknown names, wrong argument counts, types or parameters.
  // `params` are the literals of quantile(0.9)(x) and windowFunnel(3600)(t, c1, c2).
  static Result<std::unique_ptr<Aggregate>> Make(std::string_view name, const std::vector<Literal>& params,
                                                 const std::vector<DataTypePtr>& args);
  // The literals of a call's parameter list; InvalidArgument when one is not a literal.
  static Result<std::vector<Literal>> Params(const Expr& call);

  DataTypePtr ResultType() const;
  // Adds rows [0, rows) of the arguments (the -If condition last); row r belongs to group
  // groups[r] (states grow as new groups appear).
  void Add(const std::vector<uint32_t>& groups, const std::vector<ColumnPtr>& args, size_t rows);
  // Adds the states of `other` (made by the same Make call, fed other rows): other's group
  // g goes into group mapping[g] here. `other` is left emptied, fit only for destruction.
  void Merge(Aggregate& other, const std::vector<uint32_t>& mapping);
  // One value per group, groups [0, count). InvalidArgument when the result cannot be
  // computed (a sequenceMatch pattern that needs too many steps, as ClickHouse refuses it).
  Result<ColumnPtr> Finalize(size_t count) const;

 protected:
  // The result's type before Nullable is added.
  virtual DataTypePtr ValueType() const = 0;
  // Adds the batch's rows; `groups` is one more than the highest group in the batch.
  virtual void AddBatch(const AggregateBatch& batch, size_t groups) = 0;
  // Merge's work: `other` is of this class; `groups` is one more than the highest mapping.
  virtual void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) = 0;
  // One value of ValueType per group [0, count), groups never added included.
  virtual Result<ColumnPtr> FinalizeValues(size_t count) const = 0;

 private:
  bool has_condition_ = false;
  bool nullable_result_ = false;
  std::vector<uint8_t> seen_;  // nullable_result_: 1 for groups with a row added
};

}  // namespace hedgerow::query
