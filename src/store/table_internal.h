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

}  // namespace hedgerow::store
