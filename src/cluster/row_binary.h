#pragma once

// Rows of the store's blocks in ClickHouse's RowBinary format, as the cluster's tables
// (cluster_ddl.h) hold them: the one way rows go to the cluster, because 18.16's text
// formats cannot read the topics' fractional-second times.

#include <string>

#include "cluster_ddl.h"
#include "hedgerow/store/column.h"

namespace hedgerow::cluster {

// Appends every row of `block`, columns in the block's order. DateTime64 values go as
// DateTime64(6) where the cluster has it, else as whole seconds (clamped to DateTime's range).
void AppendRowBinary(const store::Block& block, const ServerVersion& version, std::string& out);

}  // namespace hedgerow::cluster
