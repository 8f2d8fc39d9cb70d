#pragma once

// Aggregate functions: per-group states updated a chunk at a time, then one result column.
// count, sum, avg, min, max, any, uniq and uniqExact (uniq counts exactly for now), and the
// -If combinator on each (sumIf(x, cond): rows where cond is 0 are skipped). NULL arguments
// are skipped, as ClickHouse's aggregates skip them; count() counts rows.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/query/ast.h"
#include "hedgerow/query/column.h"

namespace hedgerow::query {

class Aggregate {
 public:
  virtual ~Aggregate() = default;
  // True when `name` is an aggregate (with or without -If).
  static bool IsAggregate(std::string_view name);
  // InvalidArgument for wrong argument counts or types.
  // `params` are the literals of quantile(0.9)(x) and windowFunnel(3600)(t, c1, c2).
  static Result<std::unique_ptr<Aggregate>> Make(std::string_view name, const std::vector<Literal>& params,
                                                 const std::vector<DataTypePtr>& args);
  // The literals of a call's parameter list; InvalidArgument when one is not a literal.
  static Result<std::vector<Literal>> Params(const Expr& call);

  virtual DataTypePtr ResultType() const = 0;
  // Adds rows [0, rows) of the arguments; row r belongs to group groups[r] (states grow as
  // new groups appear).
  void Add(const std::vector<uint32_t>& groups, const std::vector<ColumnPtr>& args, size_t rows);
  // One value per group, groups [0, count).
  virtual ColumnPtr Finalize(size_t count) const = 0;

 protected:
  // One argument row that passed the -If condition and is not NULL.
  virtual void AddRow(uint32_t group, const std::vector<const Column*>& values, size_t row) = 0;
  bool has_condition_ = false;
  bool counts_rows_ = false;  // count(): no argument to check for NULL
};

}  // namespace hedgerow::query
