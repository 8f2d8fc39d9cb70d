#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/store/part.h"
#include "hedgerow/store/schema.h"
#include "hedgerow/store/table.h"

namespace hedgerow::store {

// The rows of several parts of one partition in ORDER BY key order, read a few granules of
// each part at a time (a k-way merge): what merges write and FINAL returns, in memory
// bounded by parts x kBlockGranules granules whatever the parts' size. With `replacing`,
// one row per key: the highest version, ties to the later part (parts come in block order)
// and the later row. Not thread-safe.
class MergedRows {
 public:
  struct Source {
    std::shared_ptr<Part> part;
    size_t first_granule = 0;
    size_t end_granule = 0;
  };
  // `columns` must include the ORDER BY columns and, with `replacing`, the version column.
  MergedRows(const TableSchema& schema, std::vector<Source> sources, std::vector<std::string> columns, bool replacing);

  // Up to `max_rows` next rows with their evaluated key; an empty block at the end.
  Status Next(size_t max_rows, Block& rows, Block& key);

 private:
  struct Cursor {
    Source source;
    size_t next_granule = 0;
    std::shared_ptr<const Block> rows;
    std::shared_ptr<const Block> key;
    size_t pos = 0;
    size_t order = 0;  // the source's place: later wins ties
  };
  struct Pick {
    std::shared_ptr<const Block> rows;
    std::shared_ptr<const Block> key;
    size_t pos;
  };
  Status Load(Cursor& c);  // the cursor's next blocks of granules, or leaves it empty
  Status Advance();  // the popped cursor (at the back of heap_) moves one row on
  bool After(const Cursor& a, const Cursor& b) const;

  const TableSchema& schema_;
  std::vector<std::string> columns_;
  bool replacing_;
  int version_index_ = -1;
  std::vector<Cursor> heap_;  // min-heap by (key, order)
  bool started_ = false;
};

}  // namespace hedgerow::store
