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
#include <condition_variable>
#include <mutex>
#include <thread>
#include <memory>
#include <string>
#include <vector>

#include "hedgerow/cluster/clickhouse_node.h"
#include "hedgerow/common/metrics.h"
#include "hedgerow/common/status.h"
#include "hedgerow/common/uuid.h"
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
  // [retention] events-days: months of events that ended longer ago are dropped (DROP
  // PARTITION on every listed node), at start and every retention_interval; 0 keeps all.
  uint32_t events_retention_days = 0;
  std::chrono::milliseconds retention_interval{std::chrono::minutes(10)};
};

// One table's active parts on the cluster (system.parts, summed over the listed nodes).
struct ClusterTableStats {
  std::string table;  // events for sharded_events
  uint64_t parts = 0;
  uint64_t rows = 0;
  uint64_t bytes_on_disk = 0;
};

// What DeletePersonRows matched (and then deleted).
struct ClusterPersonDeletion {
  uint64_t events = 0;
  uint64_t person_rows = 0;
  uint64_t distinct_id_rows = 0;
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

  // The distinct ids whose newest person_distinct_id2 row (FINAL) points at `person`.
  Result<std::vector<std::string>> DistinctIdsOf(int64_t team_id, const Uuid& person) const;
  // Deletes, by mutations on every node that holds them, the person's events (by person_id
  // or one of `distinct_ids`), its person rows and its distinct ids' rows (older ones too),
  // and waits until ClickHouse has applied them (up to `timeout`: kUnavailable after).
  Result<ClusterPersonDeletion> DeletePersonRows(int64_t team_id, const Uuid& person,
                                                 const std::vector<std::string>& distinct_ids,
                                                 std::chrono::milliseconds timeout) const;
  // Active parts, rows and bytes of each table, from every listed node's system.parts.
  Result<std::vector<ClusterTableStats>> TableStats() const;
  // Drops the months of events that ended before `cutoff_micros` on every listed node; the
  // number of partitions dropped.
  Result<uint64_t> DropEventPartitionsBefore(int64_t cutoff_micros) const;

  // For readiness: kUnavailable naming the sink whose inserts fail, or the first node when
  // it does not answer a ping.
  Status CheckHealth() const;

  const ClickHouseNode& query_node() const { return options_.nodes.front(); }
  // Where SELECTs run (QueryContext::remote): on the query node, scoped to the project.
  const query::RemoteEngine* queries() const { return queries_.get(); }
  const std::string& database() const { return options_.database; }
  const std::string& cluster_name() const { return options_.cluster; }
  // "18.16"
  std::string version() const;

 private:
  explicit ClusterStore(ClusterOptions options, MetricsRegistry* metrics);
  Status CreateTables();
  void RetentionLoop();
  // Runs `sql` (an ALTER ... DELETE) on `node` and waits until its mutations are done.
  Status MutateAndWait(const ClickHouseNode& node, const std::string& table, const std::string& sql,
                       std::chrono::steady_clock::time_point deadline) const;

  ClusterOptions options_;
  MetricsRegistry* metrics_;
  int version_major_ = 0, version_minor_ = 0;
  std::vector<std::unique_ptr<TableSink>> sinks_;
  std::unique_ptr<query::RemoteEngine> queries_;
  std::thread retention_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
};

}  // namespace hedgerow::cluster
