#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/store/part.h"
#include "hedgerow/store/schema.h"

namespace hedgerow::store {

struct TableOptions {
  std::string dir;  // <data>/store/<table>
  uint32_t shards = 1;  // 0: as many as on disk (inspection and `store merge`)
  // Parts whose sum (uncompressed) is above this are not merged together, like ClickHouse's
  // max_bytes_to_merge_at_max_space_in_pool. Merges stream, so this bounds part size and
  // merge time, not memory.
  uint64_t max_merge_bytes = 16ull << 30;
  size_t max_parts_per_merge = 10;
  // Inspection (CLI): load parts without recovering or deleting anything.
  bool read_only = false;
};

using PartList = std::vector<std::shared_ptr<Part>>;

// What a scan reads. Key bounds are inclusive prefixes of the ORDER BY key, as the query
// engine derives them from WHERE (team_id = 1 AND toDate(timestamp) >= ... ).
struct ScanRequest {
  std::vector<std::string> columns;
  std::vector<KeyValue> key_min;
  std::vector<KeyValue> key_max;
  // Partition pruning: rows whose partition column (microseconds) may fall in [min, max].
  std::optional<int64_t> time_min;
  std::optional<int64_t> time_max;
  bool final = false;  // merge on read: one row per ORDER BY key, the highest version
  // Granule pruning on a later ORDER BY column (events' `event`, after team_id and day):
  // only granules that may hold a row whose key column `key_in_column` is one of
  // `key_in_values`. A granule whose first and next keys share every earlier column has
  // that column sorted within it, so a value outside their range is not there.
  std::optional<size_t> key_in_column;
  std::vector<KeyValue> key_in_values;
};

// Called with each block a scan produces: serially for one shard, concurrently for
// different shards (one thread per shard). A non-ok Status stops the scan.
using BlockSink = std::function<Status(uint32_t shard, Block&& block)>;

struct MergeCandidate {
  uint32_t shard = 0;
  std::string partition;
  PartList parts;  // adjacent in block order
};

// Where a rebuild from the log inserts rows: (shard, partition id).
using RebuildScope = std::set<std::pair<uint32_t, std::string>>;

// One table, all of its shards: the part set of each shard, inserts, merges and scans.
// ReplacingMergeTree semantics: duplicates of an ORDER BY key may be visible until merged;
// merges and FINAL keep the row with the highest version (ties: the last inserted).
//
// Thread-safe: one inserter, any number of merges and scans at once. A scan holds the
// parts it reads (a snapshot), so a merge never deletes a part under a reader.
class Table {
 public:
  // Loads every part; unless read-only, first completes an interrupted insert, deletes
  // temporary parts and parts covered by a merged one, and sets aside damaged parts as
  // broken_<name> (logged; never loaded).
  static Result<std::unique_ptr<Table>> Open(const TableSchema& schema, TableOptions options);

  const TableSchema& schema() const { return schema_; }
  uint32_t shards() const { return options_.shards; }

  // ClickHouse's max_partitions_per_insert_block: one insert writes a part per partition.
  static constexpr size_t kMaxPartitionsPerInsert = 100;

  // Inserts rows: routed to shards (sharded tables), split by partition, sorted, one part
  // per shard and partition. The parts of one insert become visible and durable together
  // (a manifest makes the renames atomic across a crash), or none does: a failed insert
  // leaves no part and no temporary directory behind (if it cannot even undo its renames,
  // the manifest stays and the next Open completes them), so a retry never duplicates.
  // `log_offsets` is recorded in each part: the next offset of every source partition the
  // rows came from. InvalidArgument for rows in more than kMaxPartitionsPerInsert partitions.
  // `scope`, when given, keeps only rows routed to those (shard, partition)s (a rebuild).
  Status Insert(const Block& rows, const std::map<uint32_t, uint64_t>& log_offsets,
                const RebuildScope* scope = nullptr);

  // For each source partition, the next log offset the parts cover (the highest recorded).
  std::map<uint32_t, uint64_t> LogOffsets() const;

  // Parts that did not open at load, parts set aside as broken_* before, and parts a read
  // found damaged since (Quarantine), with why.
  std::vector<std::pair<std::string, Status>> damaged() const;

  // A part a read found damaged (a block failed its checksum) while the table is in use: it
  // leaves the table at once, its directory is set aside as broken_<name>, and the table's
  // rows are to be inserted again from the log (below). Scans and merges call it.
  void Quarantine(const std::shared_ptr<Part>& part, const Status& why) const;
  // A damaged part's rows come back from the log when it still holds them (ReplacingMergeTree
  // tables only: a MergeTree table would keep the duplicates). A marker file in the table's
  // directory lists the (shard, partition) of every damaged part; the table's consumer reads
  // its topic again from the log's start and inserts only rows that belong there (Insert's
  // `scope`), where duplicates collapse under FINAL and in merges. The marker outlives a crash
  // until the consumer has caught up and calls FinishRebuildFromLog. Known gap: rows deleted
  // from those partitions (DeleteRows) while the log still held them come back.
  bool RebuildFromLogPending() const;
  RebuildScope RebuildFromLogScope() const;
  // True once after each Quarantine: the consumer, already running, rewinds.
  bool TakeRebuildRequest() const { return rebuild_requested_.exchange(false); }
  void FinishRebuildFromLog() const;
  bool RebuildsFromLog() const;

  PartList Parts(uint32_t shard) const;
  PartList AllParts() const;

  // The best merge for the size-tiered policy, if any; `all` asks for every partition with
  // more than one part to be merged as far as the memory bound allows (`store merge`).
  std::optional<MergeCandidate> SelectMerge(bool all = false) const;
  // Writes the merged part and swaps it in; on failure, or when `cancel` becomes true (it is
  // checked between blocks of rows), the sources stay and nothing is left behind.
  Status Merge(const MergeCandidate& candidate, const std::atomic<bool>* cancel = nullptr);
  // Merges every partition down as far as max_merge_bytes allows (OPTIMIZE ... FINAL).
  Status MergeAll();

  Status Scan(const ScanRequest& request, const BlockSink& sink) const;

  // ALTER TABLE ... DROP PARTITION for every monthly partition that ends at or before
  // `cutoff_micros` (retention): its parts leave the table at once and their directories go
  // when the last scan holding them finishes (a crash before that brings them back until the
  // next call). A partition with a part under merge waits for the next call. Returns the rows
  // dropped; nothing for an unpartitioned table.
  uint64_t DropPartitionsBefore(int64_t cutoff_micros);

  // ALTER TABLE ... DELETE WHERE (a mutation): every part holding a row `matches` selects
  // (deciding from `columns`) is rewritten without those rows. The new part covers the old
  // one (same blocks, a level up), so after a crash one or the other is active, never both;
  // a part left with no row is replaced by an empty one (merges fold it away). Waits for a
  // merge holding a part; a part merged meanwhile is read again in its merged form. Returns
  // the rows deleted.
  using RowPredicate = std::function<bool(const Block& rows, size_t row)>;
  Result<uint64_t> DeleteRows(const std::vector<std::string>& columns, const RowPredicate& matches);

 private:
  Table(const TableSchema& schema, TableOptions options) : schema_(schema), options_(std::move(options)) {}
  Status Load();
  // Records the shard count at the first open; InvalidArgument when it differs later.
  // `detect`: take the recorded count (inspection opens with shards = 0).
  Status CheckShardCount(bool detect);
  Status ScanShard(uint32_t shard, const ScanRequest& request, const BlockSink& sink) const;
  std::string PartitionDir(uint32_t shard, const std::string& partition) const;

  const TableSchema& schema_;
  TableOptions options_;
  mutable std::mutex mu_;
  // Per shard, sorted by (partition, min_block). Mutable: a scan that finds a damaged part
  // takes it out (Quarantine).
  mutable std::vector<PartList> shards_;
  std::atomic<uint64_t> next_block_{1};
  std::mutex insert_mu_;
  bool insert_undo_failed_ = false;  // guarded by insert_mu_: refuse inserts until reopened
  uint32_t on_disk_shards_ = 0;  // at Load: one past the highest shard directory holding data
  // Guarded by mu_; Quarantine adds to it from scans (const), hence mutable.
  mutable std::vector<std::pair<std::string, Status>> damaged_;
  mutable std::atomic<bool> rebuild_requested_{false};
  // Quarantines the parts of `parts` that fail Verify, when `s` is a corruption a read of one
  // of them returned (which one is not known: a merged read spans several).
  void QuarantineDamaged(const PartList& parts, const Status& s) const;
  // Adds (shard, partition) to the rebuild marker, durably (before a damaged part is set aside).
  Status RequestRebuildFromLog(uint32_t shard, const std::string& partition) const;
  mutable std::set<const Part*> merging_;  // parts a merge has taken; guarded by mu_
};

}  // namespace hedgerow::store
