#pragma once

// The inputs of a SELECT: a store table (scanned block by block, the team's rows only), rows
// already computed (a subquery, a CTE, a system table) or a range of numbers (numbers(n),
// system.numbers). Each is a list of named, typed columns and a way to stream its chunks.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/query/column.h"
#include "hedgerow/query/executor.h"
#include "hedgerow/query/types.h"

#include "hedgerow/store/schema.h"

namespace hedgerow::store {
class Table;
}

namespace hedgerow::query {

struct Input {
  std::vector<std::string> names;  // as the input's own rows name them
  std::vector<DataTypePtr> types;
  // What its columns may be qualified with: the table's name and database, its alias.
  std::vector<std::string> qualifiers;

  const store::Table* table = nullptr;  // a store table
  bool final = false;
  std::optional<int64_t> team_id;       // only this team's rows (tables with a team_id column)
  std::optional<int64_t> time_min, time_max;  // partition pruning (microseconds)
  // Granule pruning on a later ORDER BY column (store::ScanRequest::key_in_column).
  std::optional<size_t> key_in_column;
  std::vector<store::KeyValue> key_in_values;

  std::shared_ptr<const QueryResult> rows;  // computed rows

  std::optional<std::pair<uint64_t, uint64_t>> numbers;  // [first, end) of UInt64 `number`

  int Find(std::string_view name) const;
};

// Chunks may reach the sink from several threads at once (one per shard of a table). A
// sink returns Unavailable(kEnoughRows) to stop the stream early: not an error.
using ChunkSink = std::function<Status(Chunk&&)>;
inline constexpr std::string_view kEnoughRows = "enough rows";

// Streams the columns `columns` (names of the input) of every row of `input`.
Status Produce(const Input& input, const std::vector<std::string>& columns, const ChunkSink& sink);

// The whole of `input`'s `columns` as one chunk (the right side of a join).
Result<Chunk> Collect(const Input& input, const std::vector<std::string>& columns);

// An input over a table of the store; `team_id` as in QueryContext.
Input TableInput(const store::Table& table, bool final, std::optional<int64_t> team_id);
// An input over computed rows.
Input ResultInput(QueryResult result);

// system.one, system.numbers, system.tables, system.columns, system.parts, system.databases;
// NotFound when `name` is not one of them.
Result<Input> SystemTable(const std::string& name, const QueryContext& context);
// A table function: numbers(n), numbers(first, n). Others (file, url, remote, ...) are
// refused: queries are read-only and see this server's store only.
Result<Input> TableFunction(const Expr& call);

}  // namespace hedgerow::query
