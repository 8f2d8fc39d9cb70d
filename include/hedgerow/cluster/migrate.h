#pragma once

// `hedgerow migrate --to-clickhouse`: an embedded data dir's store copied into a cluster,
// so that the data dir can then run with --store-backend clickhouse and lose nothing.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hedgerow/cluster/cluster_store.h"
#include "hedgerow/log/log.h"
#include "hedgerow/store/store.h"

namespace hedgerow::cluster {

struct TableMigration {
  std::string table;
  uint64_t parts_copied = 0;  // this run; parts a former run copied are skipped
  uint64_t parts_skipped = 0;
  uint64_t rows = 0;          // in the store (FINAL for the ReplacingMergeTree tables)
  uint64_t cluster_rows = 0;  // on the cluster after the copy, counted the same way
  std::string checksum;       // sum of cityHash64 over every row's values, the same on both sides
  std::string cluster_checksum;
  bool verified() const { return rows == cluster_rows && checksum == cluster_checksum; }
};

// Copies every part of `store` (read-only, the server stopped) into the cluster `cluster`
// opened (its tables created), part by part, in blocks of granules; each copied part is
// recorded in `progress_file`, so that a run that stopped resumes after the last whole part
// (a part cut in the middle is inserted again: its rows collapse under FINAL in the
// ReplacingMergeTree tables). Then compares each table's row count and checksum on both
// sides, and commits the cluster sinks' log offsets at what the parts hold, so that the
// sinks go on after the copied rows. `report` is called per part copied.
Result<std::vector<TableMigration>> MigrateStore(const store::Store& store, log::Log& log, const ClusterStore& cluster,
                                                 const std::string& progress_file,
                                                 const std::function<void(const std::string&)>& report);

}  // namespace hedgerow::cluster
