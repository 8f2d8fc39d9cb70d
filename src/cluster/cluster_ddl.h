#pragma once

// The store's tables (store/schema.h) as ClickHouse DDL, PostHog's shapes: `sharded_events`
// on every shard with `events` and `writable_events` as Distributed tables over it, the
// other tables on the node that runs the queries.

#include <string>
#include <string_view>

#include "hedgerow/common/status.h"
#include "hedgerow/store/schema.h"

namespace hedgerow::cluster {

// What the cluster's ClickHouse can hold, from `SELECT version()`.
struct ServerVersion {
  int major = 0;
  int minor = 0;
  // DateTime64(6) arrived in 20.1; before it, the store's DateTime64 columns are DateTime
  // (whole seconds) on the cluster.
  bool datetime64() const { return major > 20 || (major == 20 && minor >= 1); }
  // Column codecs (ZSTD for the JSON columns) arrived in 19.1.
  bool codecs() const { return major >= 19; }
  // cityHash64 of a UUID arrived after 18.16: before, the key hashes its text.
  bool hashes_uuid() const { return major >= 19; }
  // JSONExtract* arrived in 19.3.
  bool json_functions() const { return major > 19 || (major == 19 && minor >= 3); }
};

// "18.16.1" -> {18, 16}; kInvalidArgument for anything else.
Result<ServerVersion> ParseServerVersion(std::string_view text);

// `name` as a ClickHouse identifier: as it is when it is a plain word, else in backquotes.
std::string QuoteIdentifier(std::string_view name);

// The cluster's type for a store column.
std::string ClusterTypeName(store::Type type, const ServerVersion& version);

// CREATE TABLE IF NOT EXISTS `database`.`table` with `schema`'s columns, engine, partition
// and sort keys (a MergeTree family table on the node it runs on).
std::string LocalTableDdl(const store::TableSchema& schema, std::string_view database, std::string_view table,
                          const ServerVersion& version);

// CREATE TABLE IF NOT EXISTS `database`.`table` with `schema`'s columns as a Distributed table
// over `database`.`local` on `cluster`, rows routed by sipHash64 of the schema's shard column.
std::string DistributedTableDdl(const store::TableSchema& schema, std::string_view database, std::string_view table,
                                std::string_view cluster, std::string_view local, const ServerVersion& version);

}  // namespace hedgerow::cluster
