#pragma once

// The executor's columns, laid out as ClickHouse's are (and as the store's scans produce
// them, so that a scanned column becomes a query column by moving its buffers): numbers,
// dates and UUIDs as one packed array; strings as chars plus an end offset per row;
// Nullable as a null map beside the values; Array as an end offset per row into one
// column of elements; Tuple as one column per element; a constant as one row standing for
// many.

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/query/types.h"

namespace hedgerow::query {

struct Column;
using ColumnPtr = std::shared_ptr<const Column>;

struct Column {
  DataTypePtr type;
  size_t rows = 0;
  bool is_const = false;          // one stored row (index 0) stands for all `rows`
  std::vector<uint8_t> fixed;     // numbers, Date, DateTime, DateTime64, UUID: packed values
  std::vector<uint64_t> offsets;  // String: end of each value in chars; Array: end of each row in nested[0]
  std::string chars;              // String
  std::vector<uint8_t> nulls;     // Nullable: 1 where NULL (values beside, in nested[0])
  std::vector<ColumnPtr> nested;  // Nullable: the values; Array: the elements; Tuple: the elements

  // The stored row that row `row` reads (0 for a constant).
  size_t At(size_t row) const { return is_const ? 0 : row; }

  template <class T>
  const T* Data() const { return reinterpret_cast<const T*>(fixed.data()); }
  template <class T>
  T Get(size_t row) const {
    T v;
    std::memcpy(&v, fixed.data() + At(row) * sizeof(T), sizeof(T));
    return v;
  }
  std::string_view StringAt(size_t row) const {
    size_t r = At(row);
    uint64_t begin = r == 0 ? 0 : offsets[r - 1];
    return {chars.data() + begin, static_cast<size_t>(offsets[r] - begin)};
  }
  bool IsNullAt(size_t row) const { return type->id == TypeId::kNullable && nulls[At(row)] != 0; }
};

// A column of `rows` copies of the literal, typed as LiteralType (or `type` when given:
// the literal converted, InvalidArgument when it does not fit).
Result<ColumnPtr> MakeConstColumn(const Literal& literal, size_t rows, DataTypePtr type = nullptr);
// An empty column of `type` with room for `rows` values (numbers: `fixed` sized already).
std::shared_ptr<Column> MakeColumn(DataTypePtr type, size_t rows);
// A non-constant copy of a column (constants are expanded); the column itself otherwise.
ColumnPtr Materialize(const ColumnPtr& column);
// `rows` values of `type`'s default, as ClickHouse keeps in the value slots of NULLs: zero
// numbers, dates and UUIDs, empty strings and arrays, NULL for Nullable, nothing for Nothing.
std::shared_ptr<Column> DefaultColumn(const DataTypePtr& type, size_t rows);
// An empty, non-constant column of `type`, nested columns included.
std::shared_ptr<Column> MakeEmpty(const DataTypePtr& type);
// Appends row `row` of `src` to `dst` (same type; `dst` not constant and not shared yet).
void AppendRow(Column& dst, const Column& src, size_t row);

// A number, date or time value as a long double: exact for every 64-bit integer on x86-64,
// for comparing and summing across types.
long double NumberAt(const Column& column, size_t row);

// Named columns of equal length: the rows an operator passes to the next.
struct Chunk {
  std::vector<std::string> names;
  std::vector<ColumnPtr> columns;
  size_t rows = 0;
  // Index of `name`, or -1.
  int Find(std::string_view name) const;
};

// The value at `row` as ClickHouse's TabSeparated format writes it: numbers shortest
// round-trip (floats as 0.1, 1e21, inf, nan), strings escaped (\t \n \\), NULL as \N,
// arrays [1,2] and tuples (1,'a') with quoted strings, dates as 2024-01-31, times as
// 2024-01-31 12:00:00 (UTC).
std::string FormatValue(const Column& column, size_t row);

}  // namespace hedgerow::query
