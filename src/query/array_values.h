#pragma once

// What the array functions (functions_array*.cc) and the higher-order ones
// (functions_lambda.cc) share: element ranges, ClickHouse's equality and order of values,
// and the bound on how many elements a block of arrays may hold.

#include <cstdint>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/query/column.h"

namespace hedgerow::query {

// ClickHouse refuses to build more array elements than this in one block (range, and the
// elements a lambda runs over): "... would produce N array elements, which is greater than
// the allowed maximum of 100000000".
inline constexpr uint64_t kMaxArrayElements = 100'000'000;
Status TooManyElements(std::string_view function, uint64_t elements);

// Where row `row` of an Array column starts and ends in nested[0] (constants: row 0).
inline uint64_t ArrayBegin(const Column& c, size_t row) {
  size_t r = c.At(row);
  return r == 0 ? 0 : c.offsets[r - 1];
}
inline uint64_t ArrayEnd(const Column& c, size_t row) { return c.offsets[c.At(row)]; }

// Whether value i of `a` equals value j of `b` as has() and indexOf() compare: numbers of
// any types by value (1 = 1.0), NULL equal to NULL only, strings by bytes, arrays and tuples
// element by element; values of unrelated types are unequal.
bool ValuesEqual(const Column& a, size_t i, const Column& b, size_t j);

// Order of value i and value j of one column (-1, 0, 1), as ClickHouse sorts: NULLs and
// NaNs after every other value when `nan_last` is 1, before when -1 (a descending sort
// passes -1, so they still end up last).
int CompareValues(const Column& c, size_t i, size_t j, int nan_last);

// Rows of a fixed-width, String, Nullable, Array or Tuple column picked by `rows` (in
// that order, repeats allowed), as a new non-constant column.
ColumnPtr TakeRows(const Column& c, const std::vector<uint64_t>& rows);

// An Array column of `type` made of `offsets` over `elements`.
ColumnPtr MakeArrayColumn(const DataTypePtr& type, std::vector<uint64_t> offsets, ColumnPtr elements);

// `array` (an Array column) with its elements converted to `element` (a supertype of
// theirs, as LeastSupertype gives); Array(Nothing) becomes empty arrays of `element`.
Result<ColumnPtr> CastArray(const ColumnPtr& array, const DataTypePtr& element);

// Each row's array sorted (elements reordered; `keys`, an Array column of the same sizes,
// decides the order when given, else the elements themselves), stable, NULLs and NaNs last.
ColumnPtr SortArrays(const Column& values, const Column* keys, bool descending);

}  // namespace hedgerow::query
