#pragma once

// GROUP BY's key index: maps each row of the key columns to a dense group id (0, 1, 2, ...
// in the order the groups first appear) and keeps every group's key values once. The way
// keys are looked up is chosen once, from the key types:
// - no keys: every row is group 0;
// - fixed-width keys (numbers, Date, DateTime, DateTime64, UUID, Interval, and Nullable of
//   those with a flag byte) packed side by side: up to 2 bytes index an array directly,
//   up to 8 or 16 bytes go into an open-addressing table on the packed bits;
// - one String or Nullable(String) key: a table of (hash, group), each key's bytes stored
//   once in an arena that becomes the result's key column;
// - anything else (several keys with a string, arrays, tuples, wide keys): the bytes of
//   AppendKey (chunk_ops.h) in that same string table.
// No path allocates per row. A row whose key equals the previous row's takes its group
// without a lookup: the store keeps rows sorted by (team_id, day, event, ...), so GROUP BY
// event or toDate(timestamp) sees long runs.
//
// Not thread-safe: callers serialize. The executor gives each thread its own index and
// merges them when the input ends (Merge).

#include <cstdint>
#include <memory>
#include <vector>

#include "hedgerow/query/column.h"
#include "hedgerow/query/types.h"

namespace hedgerow::query {

class GroupIndex {
 public:
  // How keys are looked up (for tests and benchmarks).
  enum class Path { kNone, kDirect, kFixed8, kFixed16, kString, kGeneric };

  // An index for key columns of `key_types`, on the fastest path those types allow, or
  // on the generic path when `force_generic` (tests compare the paths against it).
  explicit GroupIndex(std::vector<DataTypePtr> key_types, bool force_generic = false);
  ~GroupIndex();
  GroupIndex(const GroupIndex&) = delete;
  GroupIndex& operator=(const GroupIndex&) = delete;

  // Sets groups[r] for each row r of [0, rows) of `keys` (one column per key type, constants
  // allowed, at least `rows` rows), adding a group for each key not seen before. `groups` is
  // resized to `rows`.
  void Map(const std::vector<ColumnPtr>& keys, size_t rows, std::vector<uint32_t>& groups);
  // Adds `other`'s groups (same key types); mapping[g] becomes the id here of other's group g.
  void Merge(const GroupIndex& other, std::vector<uint32_t>& mapping);

  size_t size() const;
  Path path() const;
  // The key columns, one row per group in group order (empty columns when there are none).
  std::vector<ColumnPtr> KeyColumns() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hedgerow::query
