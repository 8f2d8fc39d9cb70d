#pragma once

// `--store-backend clickhouse`: the store's tables on a ClickHouse cluster instead of the
// data dir. hedgerow keeps capture, the log and the pipeline; the cluster's sinks read the
// same clickhouse_* topics and insert over ClickHouse's HTTP interface, and queries run there.
//
// Layout (PostHog's): `sharded_events` (ReplacingMergeTree, the store's ORDER BY and
// partitioning) on every shard; `events` and `writable_events`, Distributed over it and
// sharded by sipHash64(distinct_id), on every listed node; person, person_distinct_id2,
// groups, ingestion_warnings and dead_letter_queue on the first listed node, where queries run.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "hedgerow/cluster/clickhouse_node.h"
#include "hedgerow/common/metrics.h"
#include "hedgerow/common/status.h"
#include "hedgerow/log/log.h"
#include "hedgerow/query/executor.h"
#include "hedgerow/store/schema.h"

namespace hedgerow::cluster {

struct ClusterOptions {
  // The first runs the queries and holds the unsharded tables. Tables are created on each;
  // a node that is not listed must already have sharded_events (distributed DDL, by hand).
  std::vector<ClickHouseNode> nodes;
  std::string cluster;  // a name of the nodes' <remote_servers>
  std::string database = "default";
  std::chrono::milliseconds batch_wait{500};
  std::chrono::milliseconds retry_max{std::chrono::seconds(30)};
};

class TableSink;

// The log consumer group of the sink that feeds `schema`'s table on the cluster.
inline std::string SinkGroupName(const store::TableSchema& schema) { return "cluster_" + schema.name; }

class ClusterStore {
 public:
  // Reads the first node's version, checks that `cluster` is one of its clusters, creates
  // the tables that are absent (existing ones are left as they are) and checks that every
  // shard answers for sharded_events. kUnavailable when a node cannot be reached,
  // kInvalidArgument naming what to fix in the options or on the cluster.
  static Result<std::unique_ptr<ClusterStore>> Open(ClusterOptions options, MetricsRegistry* metrics);
  ~ClusterStore();
  ClusterStore(const ClusterStore&) = delete;
  ClusterStore& operator=(const ClusterStore&) = delete;

  // Starts one sink per table (consumer groups cluster_<table>).
  Status Start(log::Log* log);
  // Sinks insert what they hold (not retried past this) and stop. Idempotent.
  void Stop();

  // For readiness: kUnavailable naming the sink whose inserts fail, or the first node when
  // it does not answer a ping.
  Status CheckHealth() const;

  const ClickHouseNode& query_node() const { return options_.nodes.front(); }
  // Where SELECTs run (QueryContext::remote): on the query node, scoped to the project.
  const query::RemoteEngine* queries() const { return queries_.get(); }
  const std::string& database() const { return options_.database; }
  // "18.16"
  std::string version() const;

 private:
  explicit ClusterStore(ClusterOptions options, MetricsRegistry* metrics);
  Status CreateTables();

  ClusterOptions options_;
  MetricsRegistry* metrics_;
  int version_major_ = 0, version_minor_ = 0;
  std::vector<std::unique_ptr<TableSink>> sinks_;
  std::unique_ptr<query::RemoteEngine> queries_;
};

}  // namespace hedgerow::cluster
