#pragma once

#include <optional>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "hedgerow/api/admin_api.h"
#include "hedgerow/api/query_pool.h"
#include "hedgerow/capture/capture_service.h"
#include "hedgerow/cluster/cluster_store.h"
#include "hedgerow/common/config.h"
#include "hedgerow/common/metrics.h"
#include "hedgerow/common/status.h"
#include "hedgerow/flags/flag_service.h"
#include "hedgerow/http/server.h"
#include "hedgerow/ingest/geoip.h"
#include "hedgerow/ingest/pipeline.h"
#include "hedgerow/log/log.h"
#include "hedgerow/meta/meta_store.h"
#include "hedgerow/store/store.h"

namespace hedgerow::server {

struct ServerOptions {
  std::string data_dir = "./data";
  std::string project_token;     // used only on the first start of a data dir
  std::string personal_api_key;  // added if not yet known
  // Per-project apps as JSON ({"1": [{"kind": ..., "config": {...}}]}); each listed
  // project's apps are replaced at start. Empty: apps stay as meta.sqlite has them.
  std::string apps;
  // The geoip app's database (MaxMind City layout); empty: the app adds nothing (one warning).
  std::string geoip_database;
  http::ServerOptions api;       // capture/API listener
  // The ClickHouse-compatible HTTP listener; none when unset.
  std::optional<http::ServerOptions> clickhouse;
  capture::CaptureOptions capture;
  std::chrono::milliseconds retention_interval{60000};
  uint32_t shards = 2;  // events shards; fixed for a data dir once it has parts
  // Longest a store consumer gathers rows before inserting a part (StoreOptions::batch_wait).
  std::chrono::milliseconds store_batch_wait{500};
  // --sync-mode: fsync (true) or none; see LogOptions::fsync.
  bool sync_mode_fsync = true;
  // Events partitions (months) that ended more than this many days ago are dropped; 0 keeps all.
  uint32_t events_retention_days = 0;
  // --store-backend clickhouse: the tables on this cluster, not in the data dir.
  std::optional<cluster::ClusterOptions> cluster;
  // Threads that run queries (both query surfaces), apart from the HTTP threads.
  size_t query_threads = 2;
};

class DataDirLock;
class TeamResolver;

// The composition root of `hedgerow serve`: opens the data directory and every subsystem in
// dependency order, wires their HTTP routes, and stops them in reverse order.
// Start/Stop are called from one thread; the subsystems it owns are thread-safe.
class Server {
 public:
  // Locks the data dir (one server per data dir), opens meta.sqlite, bootstraps project 1,
  // opens the log and creates PostHog's topics, opens persons.sqlite and starts the ingestion
  // pipeline, opens the store and starts its table consumers, starts listening. kUnavailable when the data dir is locked by another process or the
  // address is taken; kInvalidArgument for unusable options.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Drains HTTP (in-flight requests are answered, up to `drain`), then closes the stores.
  void Stop(std::chrono::milliseconds drain = std::chrono::seconds(10));

  uint16_t api_port() const { return api_->port(); }
  // 0 without a ClickHouse listener.
  uint16_t clickhouse_port() const { return clickhouse_ ? clickhouse_->port() : 0; }
  MetricsRegistry& metrics() { return metrics_; }
  log::Log& event_log() { return *log_; }
  store::Store& store() { return *store_; }
  const meta::Project& default_project() const { return default_project_; }

 private:
  Server() = default;
  http::Router BuildApiRouter(size_t max_body_bytes);

  MetricsRegistry metrics_;
  std::unique_ptr<DataDirLock> lock_;
  std::unique_ptr<meta::MetaStore> meta_;
  std::unique_ptr<log::Log> log_;
  std::unique_ptr<flags::FlagService> flags_;
  std::unique_ptr<capture::CaptureService> capture_;
  std::shared_ptr<ingest::GeoIpDatabase> geoip_;  // null without --geoip-database
  std::unique_ptr<persons::PersonStore> persons_;
  std::unique_ptr<TeamResolver> teams_;
  std::unique_ptr<ingest::Pipeline> pipeline_;
  std::unique_ptr<ingest::Pipeline> overflow_pipeline_;
  std::unique_ptr<store::Store> store_;  // opened but not started with a cluster
  std::unique_ptr<cluster::ClusterStore> cluster_;
  meta::Project default_project_;
  std::unique_ptr<api::QueryPool> query_pool_;
  std::string data_dir_;
  std::unique_ptr<api::AdminApi> admin_;  // before api_: destroyed after the listener stops
  std::function<void()> stop_ui_;         // the web UI's password thread
  std::unique_ptr<http::Server> api_;
  std::unique_ptr<http::Server> clickhouse_;
};

}  // namespace hedgerow::server
