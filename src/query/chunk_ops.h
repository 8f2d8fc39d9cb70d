#pragma once

// Operations on whole chunks the executor's steps share: picking rows, comparing and
// hashing values of key columns, gluing chunks together.

#include <cstdint>
#include <string>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/query/column.h"

namespace hedgerow::query {

// Marks a row index of Gather that takes the column type's default value (a join's row
// without a match: ClickHouse fills those with defaults, not NULLs, unless join_use_nulls).
inline constexpr uint32_t kDefaultRow = UINT32_MAX;

// The rows `rows` of `c`, in that order (kDefaultRow: the type's default).
ColumnPtr Gather(const ColumnPtr& c, const std::vector<uint32_t>& rows);
Chunk GatherChunk(const Chunk& chunk, const std::vector<uint32_t>& rows);

// The indexes of the rows where `mask` is non-zero and not NULL; InvalidArgument when the
// mask is not a number ("Illegal type String of column for filter").
Result<std::vector<uint32_t>> SelectedRows(const ColumnPtr& mask, size_t rows);
// The rows of `chunk` where `mask` is non-zero (the chunk itself when all are).
Result<Chunk> Filter(const Chunk& chunk, const ColumnPtr& mask);

// ORDER BY's comparison of two rows of one column, neither NULL.
int CompareValues(const Column& c, size_t a, size_t b);
// Appends bytes that tell the value at `row` apart from every other value of its type:
// group keys, join keys, DISTINCT and LIMIT BY.
void AppendKey(std::string& key, const Column& c, size_t row);

// Appends `from`'s rows to `to` (same names and types). `to` starts empty and is grown only
// through this function: its columns are its own copies.
void AppendChunk(Chunk& to, const Chunk& from);

}  // namespace hedgerow::query
