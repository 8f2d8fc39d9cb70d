#pragma once

// Online backups of a data dir and their restore (`hedgerow backup DIR`, `hedgerow restore DIR`).
//
// A backup is a data dir of its own, consistent by construction: first the store's active
// parts (hard links: parts are immutable), then meta.sqlite and persons.sqlite (SQLite's
// VACUUM INTO, one read transaction each), then a RocksDB checkpoint of the log, last. The log
// is the source of truth and only grows, so it holds every row the parts and persons hold,
// and every event acknowledged before the backup began. In the copy, each store consumer's
// committed offset is set back to where its parts end, and the persons store's own applied
// offsets already trail the log's, so a server started on the restored dir re-reads from
// the log what came after the snapshot of each stage, exactly once (the replay paths of a
// crash). BACKUP.json, written and synced last, marks a complete backup.

#include <string>

#include "hedgerow/common/status.h"

namespace hedgerow::log {
class Log;
}
namespace hedgerow::store {
class Store;
}

namespace hedgerow::server {

struct BackupReport {
  uint64_t parts = 0;
  uint64_t store_bytes = 0;  // of the parts' files (hard links cost no space on the same file system)
  double seconds = 0;
};

// Writes the backup of the data dir `data_dir` (whose log and store are open in this process)
// to `dest`, an absolute path that must not exist (its parent must). kInvalidArgument for an
// unusable `dest`; kIOError when writing fails (what was written is removed).
Result<BackupReport> WriteBackup(const std::string& data_dir, log::Log& log, const store::Store& store,
                                 const std::string& dest);

// Copies the backup `backup_dir` into `data_dir`, which must not exist or be empty and must
// not be in use. kInvalidArgument naming the problem (not a complete backup, a data dir with
// data); kIOError when copying fails.
Status RestoreBackup(const std::string& backup_dir, const std::string& data_dir);

}  // namespace hedgerow::server
