#pragma once

#include <string>

#include "hedgerow/cluster/cluster_store.h"
#include "hedgerow/log/log.h"
#include "hedgerow/store/store.h"

namespace hedgerow::server {

// What the web UI's health page shows (ui.h): per consumer group and topic, the committed
// and end offsets summed over partitions and the lag; per table (all shards), active parts,
// rows, bytes on disk and damaged parts. A log read that fails shows as "error".
// With the store on a cluster (`cluster` set), the tables are the cluster's.
std::string IngestionHealthJson(log::Log& log, const store::Store& store, const cluster::ClusterStore* cluster);

}  // namespace hedgerow::server
