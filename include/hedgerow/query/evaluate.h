#pragma once

#include "hedgerow/common/status.h"
#include "hedgerow/query/ast.h"
#include "hedgerow/query/column.h"

namespace hedgerow::query {

// Evaluates an expression over a chunk's columns, vectorized: a column of chunk.rows rows
// (a constant when it depends on no column). Identifiers name the chunk's columns; every
// function is one of functions.h's. InvalidArgument, in ClickHouse's words, for a missing
// column ("Missing columns: 'x'"), an unknown function, illegal argument types, or a
// function's own error (division by zero); aggregates, lambdas and subqueries are the
// planner's and refused here.
Result<ColumnPtr> Evaluate(const Expr& expr, const Chunk& chunk);

}  // namespace hedgerow::query
