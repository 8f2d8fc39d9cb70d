// hedgerow migrate --to-clickhouse URL --clickhouse-cluster NAME: copies a data dir's
// store into a ClickHouse cluster (server stopped), verifies it, and leaves the data dir
// ready to run with --store-backend clickhouse.

#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "hedgerow/cluster/migrate.h"
#include "hedgerow/common/log.h"
#include "hedgerow/server/data_dir_lock.h"

namespace hedgerow::cli {

std::vector<OptionSpec> MigrateOptions() {
  return {DataDirOption(),
          {.name = "to-clickhouse", .section = "migrate", .default_value = "",
           .help = "the cluster's node(s), as --clickhouse-url: http://USER:PASSWORD@HOST:PORT[,...]",
           .value_name = "URL[,URL]"},
          {.name = "clickhouse-cluster", .section = "store", .default_value = "",
           .help = "the cluster's name in the nodes' <remote_servers>", .value_name = "NAME"}};
}

int RunMigrate(const std::vector<std::string>& args) {
  std::optional<Config> config = LoadConfigOrReport(FindCommand("migrate"), args);
  if (!config) return kExitUsage;
  if (!config->positional().empty()) {
    ReportError(fmt::format("migrate takes no arguments, got \"{}\"", config->positional()[0]));
    return kExitUsage;
  }
  if (config->GetString("to-clickhouse").empty() || config->GetString("clickhouse-cluster").empty()) {
    ReportError("migrate: --to-clickhouse URL and --clickhouse-cluster NAME are required");
    return kExitUsage;
  }
  Result<std::vector<cluster::ClickHouseNode>> nodes = cluster::ParseClickHouseUrls(config->GetString("to-clickhouse"));
  if (!nodes.ok()) {
    ReportError("migrate: " + nodes.status().message());
    return kExitUsage;
  }
  const std::string data_dir = config->GetString("data-dir");
  const std::filesystem::path store_dir = std::filesystem::path(data_dir) / "store";
  if (!std::filesystem::exists(store_dir)) {
    ReportError(fmt::format("migrate: no store in {}: is --data-dir the server's data directory?", data_dir));
    return kExitFailure;
  }
  // The server must be stopped: the parts must not merge away and the sinks' offsets are
  // committed in its log.
  auto lock = server::DataDirLock::Acquire(data_dir);
  if (!lock.ok()) {
    ReportError("migrate: " + lock.status().message() + "; stop the server first");
    return kExitFailure;
  }
  auto store = store::Store::Open({.dir = store_dir.string(), .shards = 0, .read_only = true}, nullptr);
  log::LogOptions log_options;
  log_options.dir = (std::filesystem::path(data_dir) / "log").string();
  auto event_log = store.ok() ? log::Log::Open(log_options, nullptr) : Result<std::unique_ptr<log::Log>>(store.status());
  auto on_cluster = event_log.ok() ? cluster::ClusterStore::Open({.nodes = *nodes, .cluster = config->GetString("clickhouse-cluster")}, nullptr)
                                   : Result<std::unique_ptr<cluster::ClusterStore>>(event_log.status());
  if (!on_cluster.ok()) {
    ReportError("migrate: " + on_cluster.status().message());
    return kExitFailure;
  }
  auto migrated = cluster::MigrateStore(**store, **event_log, **on_cluster,
                                        (std::filesystem::path(data_dir) / "migrate-clickhouse.progress").string(),
                                        [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
  if (!migrated.ok()) {
    ReportError("migrate: " + migrated.status().message() + " (run it again to resume)");
    return kExitFailure;
  }
  bool all = true;
  for (const cluster::TableMigration& t : *migrated) {
    std::printf("{\"table\":\"%s\",\"parts_copied\":%llu,\"parts_skipped\":%llu,\"rows\":%llu,\"cluster_rows\":%llu,"
                "\"checksum\":\"%s\",\"cluster_checksum\":\"%s\",\"verified\":%s}\n",
                t.table.c_str(), static_cast<unsigned long long>(t.parts_copied),
                static_cast<unsigned long long>(t.parts_skipped), static_cast<unsigned long long>(t.rows),
                static_cast<unsigned long long>(t.cluster_rows), t.checksum.c_str(), t.cluster_checksum.c_str(),
                t.verified() ? "true" : "false");
    all = all && t.verified();
  }
  if (!all) {
    ReportError("migrate: the cluster's rows differ from the store's (see \"verified\": false above): did the cluster "
                "hold rows of these tables before, or did the server run and merge between attempts?");
    return kExitFailure;
  }
  (*event_log)->Close();
  return kExitOk;
}

}  // namespace hedgerow::cli
