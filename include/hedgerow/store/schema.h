#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "hedgerow/store/column.h"

namespace hedgerow::store {

// A function of one column that the ORDER BY and PARTITION BY clauses use.
enum class KeyFunction : uint8_t {
  kIdentity,    // the column itself
  kToDate,      // toDate(DateTime64) -> Date
  kCityHash64,  // cityHash64(String) -> UInt64
  kToYYYYMM,    // toYYYYMM(DateTime64) -> UInt32, partitions
};

struct KeyExpr {
  KeyFunction function = KeyFunction::kIdentity;
  std::string column;
};

enum class Engine : uint8_t { kMergeTree, kReplacingMergeTree };

struct ColumnDef {
  std::string name;
  Type type;
  bool zstd = false;  // compress with ZSTD instead of LZ4 (long JSON columns)
};

// A table definition: the DDL of one table as data. Every table's storage, merging and
// consuming code reads this; nothing is written per table.
struct TableSchema {
  std::string name;
  std::vector<ColumnDef> columns;
  Engine engine = Engine::kMergeTree;
  std::string version_column;  // ReplacingMergeTree(version); empty: the insert order decides
  std::optional<KeyExpr> partition_by;  // none: one partition, "all"
  std::vector<KeyExpr> order_by;
  std::string topic;     // the clickhouse_* topic its consumer reads
  bool sharded = false;  // events: routed by sipHash64(shard_column) % shards
  std::string shard_column;

  int Find(std::string_view column) const;
  Block EmptyBlock() const;
};

// PostHog's tables (ingestion.md §8, INTERFACE.md "Tables visible to queries").
const std::vector<TableSchema>& PostHogTables();
const TableSchema* FindPostHogTable(std::string_view name);

// A value of a key column, for key ranges given by the query engine.
using KeyValue = std::variant<uint64_t, int64_t, double, std::string>;

// The ORDER BY key of every row of a block, evaluated: one column per key expression.
Block EvaluateKey(const TableSchema& schema, const Block& block);
// The partition key of each row (toYYYYMM -> 202611), or nullopt when unpartitioned.
std::optional<std::vector<uint32_t>> EvaluatePartition(const TableSchema& schema, const Block& block);
// The partition key of one row, or nullopt when unpartitioned.
std::optional<uint32_t> PartitionOfRow(const TableSchema& schema, const Block& block, size_t row);
// The result type of a key expression over a column of type `input`.
Type KeyResultType(KeyFunction function, Type input);

// Three-way comparison of two values of the same type.
int CompareCells(const Column& x, size_t a, const Column& y, size_t b);
// Three-way comparison of row a of `x` and row b of `y` on their first `prefix` columns
// (both key blocks of the same schema).
int CompareKeyRows(const Block& x, size_t a, const Block& y, size_t b, size_t prefix);
// Three-way comparison of row `row` of a key column with a key value.
int CompareCellToValue(const Column& c, size_t row, const KeyValue& v);
// Compares a key row with key values (a prefix of the key).
int CompareKeyToValues(const Block& key, size_t row, const std::vector<KeyValue>& values);

}  // namespace hedgerow::store
