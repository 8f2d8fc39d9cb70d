#pragma once

// Ordinary (row-wise) functions, vectorized: each runs over whole columns. The rules of
// NULL are ClickHouse's default ones unless a function says otherwise: a Nullable argument
// makes the result Nullable, NULL where any argument is NULL; a constant NULL argument makes
// the whole result NULL.

#include <string_view>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/query/column.h"
#include "hedgerow/query/types.h"

namespace hedgerow::query {

class Function {
 public:
  virtual ~Function() = default;
  // The result type for arguments of these types, or InvalidArgument ("Illegal types ...
  // of arguments of function f", "Number of arguments for function f doesn't match").
  virtual Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const = 0;
  // The result for `rows` rows of arguments that are neither Nullable nor constant NULL
  // (constants may be is_const). Errors are the function's own (division by zero, ...).
  virtual Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const = 0;
  // False for functions that take NULLs as values (array, tuple, toNullable, isNull, ...):
  // they get their arguments as they are, Nullable and NULL included.
  virtual bool UseDefaultNulls() const { return true; }
};

// The function called `name` (ClickHouse's name, case-sensitive), or null.
const Function* FindFunction(std::string_view name);

// Calls `name` on argument columns of `rows` rows, with the default NULL rules above and
// constant folding (constant arguments give a constant result). InvalidArgument "Unknown
// function f" for a function hedgerow does not have.
Result<ColumnPtr> CallFunction(std::string_view name, const std::vector<ColumnPtr>& args, size_t rows);

// `column` converted to `type`, a supertype of its own (as LeastSupertype gives): numbers
// as static_cast converts them, into Nullable, Date to DateTime, arrays and tuples element
// by element. InvalidArgument for other conversions.
Result<ColumnPtr> CastColumn(const ColumnPtr& column, const DataTypePtr& type);

// The type CallFunction would return, without running it.
Result<DataTypePtr> FunctionReturnType(std::string_view name, const std::vector<DataTypePtr>& args);

}  // namespace hedgerow::query
