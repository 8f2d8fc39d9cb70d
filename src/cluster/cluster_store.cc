#include "hedgerow/cluster/cluster_store.h"

#include <fmt/format.h>

#include "cluster_ddl.h"
#include "cluster_query.h"
#include "hedgerow/common/log.h"
#include "hedgerow/query/parser.h"
#include "hedgerow/store/schema.h"
#include "table_sink.h"

namespace hedgerow::cluster {
namespace {

constexpr std::chrono::seconds kDdlTimeout{60};

}  // namespace

ClusterStore::ClusterStore(ClusterOptions options, MetricsRegistry* metrics)
    : options_(std::move(options)), metrics_(metrics) {}

ClusterStore::~ClusterStore() { Stop(); }

std::string ClusterStore::version() const { return fmt::format("{}.{}", version_major_, version_minor_); }

Result<std::unique_ptr<ClusterStore>> ClusterStore::Open(ClusterOptions options, MetricsRegistry* metrics) {
  if (options.nodes.empty()) return Status::InvalidArgument("--clickhouse-url is required with --store-backend clickhouse");
  if (options.cluster.empty()) {
    return Status::InvalidArgument("--clickhouse-cluster is required with --store-backend clickhouse: "
                                   "a cluster name of the nodes' <remote_servers>");
  }
  std::unique_ptr<ClusterStore> store(new ClusterStore(std::move(options), metrics));
  HEDGEROW_RETURN_IF_ERROR(store->CreateTables());
  return store;
}

Status ClusterStore::CreateTables() {
  const ClickHouseNode& first = options_.nodes.front();
  const std::string& db = options_.database;
  HEDGEROW_ASSIGN_OR_RETURN(std::string version_text, RunOnNode(first, {.sql = "SELECT version()", .timeout = kDdlTimeout}));
  HEDGEROW_ASSIGN_OR_RETURN(ServerVersion version, ParseServerVersion(version_text));
  version_major_ = version.major;
  version_minor_ = version.minor;
  // Shards, then nodes (a shard's replicas each count), in one read.
  HEDGEROW_ASSIGN_OR_RETURN(
      std::string counts,
      RunOnNode(first, {.sql = "SELECT count(DISTINCT shard_num), count() FROM system.clusters WHERE cluster = " +
                               query::QuoteStringLiteral(options_.cluster) + " FORMAT TabSeparated",
                        .timeout = kDdlTimeout}));
  char* after_shards = nullptr;
  const uint64_t shards = std::strtoull(counts.c_str(), &after_shards, 10);
  const uint64_t nodes = std::strtoull(after_shards, nullptr, 10);
  if (shards == 0) {
    return Status::InvalidArgument(fmt::format("clickhouse {}: no cluster \"{}\" in its <remote_servers> (system.clusters)",
                                               first.Name(), options_.cluster));
  }
  if (options_.nodes.size() < nodes) {
    LogWarn("cluster", "not every node of the cluster is in --clickhouse-url: delete-person and retention reach the "
            "listed ones only",
            {{"listed", static_cast<uint64_t>(options_.nodes.size())}, {"nodes", nodes}});
  }
  const store::TableSchema* events = store::FindPostHogTable("events");
  for (const ClickHouseNode& node : options_.nodes) {
    for (const std::string& sql :
         {LocalTableDdl(*events, db, "sharded_events", version),
          DistributedTableDdl(*events, db, "events", options_.cluster, "sharded_events", version),
          DistributedTableDdl(*events, db, "writable_events", options_.cluster, "sharded_events", version)}) {
      HEDGEROW_RETURN_IF_ERROR(RunOnNode(node, {.sql = sql, .timeout = kDdlTimeout}).status());
    }
  }
  for (const store::TableSchema& schema : store::PostHogTables()) {
    if (schema.sharded) continue;
    HEDGEROW_RETURN_IF_ERROR(RunOnNode(first, {.sql = LocalTableDdl(schema, db, schema.name, version), .timeout = kDdlTimeout}).status());
  }
  // Every shard must hold sharded_events: a read of the Distributed table asks them all.
  Result<std::string> probe = RunOnNode(first, {.sql = fmt::format("SELECT count() FROM {}.events", QuoteIdentifier(db)),
                                                .timeout = kDdlTimeout});
  if (!probe.ok()) {
    return Status(probe.status().code(),
                  fmt::format("the cluster \"{}\" cannot read events on every shard ({}); list every shard's node in "
                              "--clickhouse-url (comma-separated) or create sharded_events on each",
                              options_.cluster, probe.status().message()));
  }
  queries_ = std::make_unique<ClusterQuery>(first, db, version);
  LogInfo("cluster", "tables ready",
          {{"node", first.Name()}, {"cluster", options_.cluster}, {"version", version_text.substr(0, version_text.find('\n'))},
           {"shards", shards}});
  return Status::Ok();
}

Status ClusterStore::Start(log::Log* log) {
  ServerVersion version{version_major_, version_minor_};
  for (const store::TableSchema& schema : store::PostHogTables()) {
    SinkOptions sink{.node = options_.nodes.front(),
                     .database = options_.database,
                     .insert_table = schema.sharded ? "writable_events" : schema.name,
                     .version = version,
                     .batch_wait = options_.batch_wait,
                     .retry_max = options_.retry_max};
    auto table_sink = std::make_unique<TableSink>(schema, *log, std::move(sink), metrics_);
    HEDGEROW_RETURN_IF_ERROR(table_sink->Start());
    sinks_.push_back(std::move(table_sink));
  }
  if (options_.events_retention_days > 0) retention_ = std::thread([this] { RetentionLoop(); });
  return Status::Ok();
}

void ClusterStore::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (retention_.joinable()) retention_.join();
  for (auto& sink : sinks_) sink->Stop();
  sinks_.clear();
}

Status ClusterStore::CheckHealth() const {
  if (sinks_.empty()) return Status::Unavailable("cluster: the sinks are not running");
  for (const auto& sink : sinks_) HEDGEROW_RETURN_IF_ERROR(sink->Health());
  Result<std::string> ping = RunOnNode(query_node(), {.sql = "SELECT 1", .timeout = std::chrono::seconds(2)});
  return ping.status();
}

}  // namespace hedgerow::cluster
