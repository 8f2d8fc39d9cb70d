#pragma once

// What table.cc and table_mutation.cc share.

#include <memory>
#include <string>

#include "hedgerow/common/status.h"
#include "hedgerow/store/part.h"

namespace hedgerow::store {

// The order of a shard's part list: by partition, then by first block.
bool PartOrder(const std::shared_ptr<Part>& a, const std::shared_ptr<Part>& b);
// rename(2) and an fsync of the target's directory.
Status RenameDurably(const std::string& from, const std::string& to);
// Moves a merged or rewritten part, written and fsync'd under `tmp`, into place durably and
// opens it. On failure the part is not left in place (the caller removes `tmp`, as after a
// failed write): it only repeats rows its sources still hold (they stay active), so the
// merge or mutation can simply run again.
// A crash between the rename and the cleanup leaves the new part, which covers its sources.
Result<std::shared_ptr<Part>> InstallRewrittenPart(const std::string& tmp, const std::string& final_dir,
                                                   const TableSchema& schema);

}  // namespace hedgerow::store
