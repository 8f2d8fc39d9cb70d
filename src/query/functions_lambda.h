#pragma once

// Higher-order functions: arrayMap(x -> x * 2, arr) and its kin take a lambda first and
// one array per lambda parameter after it. Evaluate and TypeOfExpr hand every function call
// with a lambda argument to these two.

#include <map>
#include <string>

#include "hedgerow/common/status.h"
#include "hedgerow/query/ast.h"
#include "hedgerow/query/column.h"
#include "hedgerow/query/types.h"

namespace hedgerow::query {

// The call `expr` (a kFunction whose first argument is a kLambda) over the chunk,
// vectorized: the arrays' elements become one chunk (the lambda's parameters, plus each
// outer column the body reads, repeated per element), the body is evaluated once over it,
// and the results are cut back into rows. InvalidArgument in ClickHouse's words for arrays
// of unequal sizes, a lambda of the wrong arity, a filter that is not UInt8, and more than
// kMaxArrayElements elements in the chunk.
// Whether `name` takes a lambda (arrayMap, arrayFilter, ...).
bool IsHigherOrder(std::string_view name);

Result<ColumnPtr> EvaluateHigherOrder(const Expr& expr, const Chunk& chunk);

// The type EvaluateHigherOrder would return over columns of these types.
Result<DataTypePtr> HigherOrderReturnType(const Expr& expr, const std::map<std::string, DataTypePtr>& columns);

}  // namespace hedgerow::query
