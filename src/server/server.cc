#include "hedgerow/server/server.h"

#include <filesystem>

#include <fmt/format.h>

#include "apps_config.h"
#include "hedgerow/api/admin_api.h"
#include "hedgerow/api/flags_api.h"
#include "hedgerow/api/project_api.h"
#include "hedgerow/ui/ui.h"
#include "ingestion_health.h"
#include "hedgerow/api/query_api.h"
#include "hedgerow/common/json.h"
#include "hedgerow/server/backup.h"
#include "hedgerow/server/data_dir_lock.h"
#include "hedgerow/server/person_deletion.h"
#include "hedgerow/common/log.h"
#include "consumer_ages.h"
#include "process_stats.h"
#include "team_resolver.h"
#include "topics.h"

namespace hedgerow::server {

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options) {
  std::unique_ptr<Server> s(new Server());
  HEDGEROW_ASSIGN_OR_RETURN(s->lock_, DataDirLock::Acquire(options.data_dir));

  std::string meta_path = (std::filesystem::path(options.data_dir) / "meta.sqlite").string();
  HEDGEROW_ASSIGN_OR_RETURN(s->meta_, meta::MetaStore::Open(meta_path));
  HEDGEROW_ASSIGN_OR_RETURN(meta::BootstrapOutcome boot,
                            s->meta_->Bootstrap(options.project_token, options.personal_api_key));
  s->default_project_ = boot.project;
  s->data_dir_ = options.data_dir;
  if (boot.created_project) {
    // Printed once: the token is what SDKs need, and a generated one is shown nowhere else.
    LogInfo("server", "created project",
            {{"project_id", boot.project.id}, {"name", boot.project.name},
             {"project_token", boot.project.api_token}});
  }
  if (boot.token_ignored) {
    LogWarn("server", "--project-token ignored: the data dir already has project 1 with another token",
            {{"project_token", boot.project.api_token}});
  }
  if (boot.added_personal_api_key) {
    LogInfo("server", "stored personal API key", {{"personal_api_key", options.personal_api_key}});
  }

  if (!options.apps.empty()) HEDGEROW_RETURN_IF_ERROR(ApplyAppsConfig(*s->meta_, options.apps));

  log::LogOptions log_options;
  log_options.dir = (std::filesystem::path(options.data_dir) / "log").string();
  log_options.retention_interval = options.retention_interval;
  log_options.fsync = options.sync_mode_fsync;
  HEDGEROW_ASSIGN_OR_RETURN(s->log_, log::Log::Open(log_options, &s->metrics_));
  for (const log::TopicConfig& topic : DefaultTopics()) HEDGEROW_RETURN_IF_ERROR(s->log_->CreateTopic(topic));

  std::string persons_path = (std::filesystem::path(options.data_dir) / "persons.sqlite").string();
  HEDGEROW_ASSIGN_OR_RETURN(s->persons_, persons::PersonStore::Open(persons_path, {.metrics = &s->metrics_}));
  if (options.geoip_database.empty()) {
    LogWarn("server", "no GeoIP database (--geoip-database): no $geoip_* properties on events or for flags");
  } else {
    s->geoip_ = std::make_shared<ingest::GeoIpDatabase>(options.geoip_database);
  }
  s->teams_ = std::make_unique<TeamResolver>(s->meta_.get(), ingest::AppResources{.geoip = s->geoip_});
  ingest::EventProcessor processor([teams = s->teams_.get()](std::string_view token) { return teams->Resolve(token); });
  ingest::PipelineOptions main;
  main.overflow_topic = "events_plugin_ingestion_overflow";
  s->pipeline_ = std::make_unique<ingest::Pipeline>(main, s->log_.get(), s->persons_.get(), processor, &s->metrics_);
  HEDGEROW_RETURN_IF_ERROR(s->pipeline_->Start());
  // Hot keys' events, as PostHog's overflow consumer: same steps, own group, one worker.
  ingest::PipelineOptions overflow;
  overflow.input_topic = main.overflow_topic;
  overflow.group = "ingestion_overflow";
  overflow.workers = 1;
  s->overflow_pipeline_ = std::make_unique<ingest::Pipeline>(overflow, s->log_.get(), s->persons_.get(),
                                                             std::move(processor), &s->metrics_);
  HEDGEROW_RETURN_IF_ERROR(s->overflow_pipeline_->Start());

  store::StoreOptions store_options{.dir = (std::filesystem::path(options.data_dir) / "store").string(),
                                    .shards = options.shards,
                                    .batch_wait = options.store_batch_wait,
                                    .events_retention_days = options.events_retention_days};
  HEDGEROW_ASSIGN_OR_RETURN(s->store_, store::Store::Open(store_options, &s->metrics_));
  if (options.cluster) {
    HEDGEROW_ASSIGN_OR_RETURN(s->cluster_, cluster::ClusterStore::Open(*options.cluster, &s->metrics_));
    HEDGEROW_RETURN_IF_ERROR(s->cluster_->Start(s->log_.get()));
  } else {
    HEDGEROW_RETURN_IF_ERROR(s->store_->Start(s->log_.get()));
  }
  // One backend's consumer groups read the topics; the other's (a data dir that switched)
  // are deleted once this one runs, or retention would keep the log for them forever.
  for (const store::TableSchema& schema : store::PostHogTables()) {
    std::string idle = options.cluster ? store::ConsumerGroupName(schema) : cluster::SinkGroupName(schema);
    HEDGEROW_ASSIGN_OR_RETURN(bool deleted, s->log_->DeleteGroup(idle, schema.topic));
    if (deleted) {
      LogInfo("server", "deleted the consumer group of the other store backend",
              {{"group", idle}, {"topic", schema.topic}});
    }
  }

  s->flags_ = std::make_unique<flags::FlagService>(s->meta_.get(), s->persons_.get());
  options.capture.max_payload_bytes = options.api.max_body_bytes;
  options.capture.has_feature_flags = [flags = s->flags_.get()](int64_t project_id) {
    return flags->HasActiveFlags(project_id);
  };
  s->capture_ = std::make_unique<capture::CaptureService>(options.capture, s->meta_.get(), s->log_.get(), &s->metrics_);

  s->metrics_.GetGauge("hedgerow_build_info", "Build of this process", {{"version", HEDGEROW_VERSION}}).Set(1);
  // At most 16 queries wait per query thread; past that a query is answered 503.
  s->query_pool_ = std::make_unique<api::QueryPool>(options.query_threads, 16 * std::max<size_t>(1, options.query_threads));
  s->api_ = std::make_unique<http::Server>(options.api, s->BuildApiRouter(options.api.max_body_bytes), &s->metrics_);
  HEDGEROW_RETURN_IF_ERROR(s->api_->Start());
  if (options.clickhouse) {
    http::ServerOptions clickhouse = *options.clickhouse;
    clickhouse.name = "clickhouse";
    http::Router router;
    api::AddClickHouseRoutes(router, {.meta = s->meta_.get(),
                                      .store = s->store_.get(),
                                      .remote = s->cluster_ ? s->cluster_->queries() : nullptr,
                                      .pool = s->query_pool_.get()});
    s->clickhouse_ = std::make_unique<http::Server>(clickhouse, std::move(router), &s->metrics_);
    HEDGEROW_RETURN_IF_ERROR(s->clickhouse_->Start());
  }
  return s;
}

Server::~Server() { Stop(); }

void Server::Stop(std::chrono::milliseconds drain) {
  // Reverse order of Start: no new requests, then the stores they used. Running queries
  // stop first (they see the pool stopping), so that their answers go out in the drain.
  if (query_pool_) query_pool_->Stop();
  if (admin_) admin_->Stop();  // a backup under way finishes (and is answered) while the stores are open
  if (stop_ui_) stop_ui_();     // a password check under way finishes; queued ones are dropped
  if (clickhouse_) clickhouse_->Stop(drain);
  clickhouse_.reset();
  if (api_) api_->Stop(drain);
  api_.reset();
  admin_.reset();  // after the listener: its routes point at it
  query_pool_.reset();
  capture_.reset();
  flags_.reset();
  if (pipeline_) pipeline_->Stop();
  if (overflow_pipeline_) overflow_pipeline_->Stop();
  pipeline_.reset();
  overflow_pipeline_.reset();
  if (cluster_) cluster_->Stop();
  cluster_.reset();
  if (store_) store_->Stop();
  store_.reset();
  teams_.reset();
  persons_.reset();
  if (log_) log_->Close();
  log_.reset();
  meta_.reset();
  lock_.reset();
}

http::Router Server::BuildApiRouter(size_t max_body_bytes) {
  http::Router router;
  router.Add("GET,HEAD", "/_health", [](http::Request, http::Reply reply) {
    reply(http::Response::Json(200, R"({"status":"ok"})"));
  });
  router.Add("GET,HEAD", "/_readiness", [this](http::Request, http::Reply reply) {
    // Each component answers for itself: a read of its files, and the state of its workers.
    std::vector<std::pair<const char*, Status>> checks;
    Result<int> meta = meta_->SchemaVersion();
    checks.emplace_back("meta", meta.status());
    Status log_health = log_->Topic("events_plugin_ingestion").status();
    checks.emplace_back("log", log_health.ok() ? log_->Health() : log_health);
    checks.emplace_back("persons", persons_->CheckHealth());
    checks.emplace_back("store", cluster_ ? cluster_->CheckHealth() : store_->CheckHealth());
    bool ready = true;
    std::string body;
    for (const auto& [name, status] : checks) {
      ready = ready && status.ok();
      body += fmt::format(R"(,"{}":{})", name, status.ok() ? R"("ok")" : http::JsonQuote(status.ToString()));
    }
    reply(http::Response::Json(ready ? 200 : 503,
                               fmt::format(R"({{"status":"{}"{}}})", ready ? "ready" : "not_ready", body)));
  });
  capture_->AddRoutes(router);
  const query::RemoteEngine* remote = cluster_ ? cluster_->queries() : nullptr;
  api::AddQueryApiRoutes(router, {.meta = meta_.get(), .store = store_.get(), .remote = remote, .pool = query_pool_.get()});
  api::AddEventsApiRoutes(router, {.meta = meta_.get(), .store = store_.get(), .remote = remote, .pool = query_pool_.get()});
  api::FlagsApiOptions flags{.meta = meta_.get(),
                             .flags = flags_.get(),
                             .max_body_bytes = max_body_bytes,
                             .geoip = geoip_,
                             .client_ip = [capture = capture_.get()](const http::Request& r) { return capture->ClientIp(r); }};
  api::AddFlagsRoutes(router, flags);
  api::AddFlagManagementRoutes(router, flags);
  admin_ = std::make_unique<api::AdminApi>(api::AdminApiOptions{
      .meta = meta_.get(), .backup = [this](const std::string& dir) -> Result<std::string> {
        HEDGEROW_ASSIGN_OR_RETURN(BackupReport report, WriteBackup(data_dir_, *log_, *store_, dir));
        std::string out = R"({"dir":)";
        AppendJsonString(out, dir);
        out += fmt::format(R"(,"parts":{},"store_bytes":{},"seconds":{:.3f}}})", report.parts, report.store_bytes,
                           report.seconds);
        return out;
      },
      .delete_person = [this](int64_t project_id, const Uuid& person) -> Result<bool> {
        HEDGEROW_ASSIGN_OR_RETURN(PersonDeletionReport report,
                                  cluster_ ? DeletePersonOnCluster(*persons_, *log_, *cluster_, project_id, person)
                                           : DeletePerson(*persons_, *log_, *store_, project_id, person));
        return report.person_found || report.events_deleted + report.person_rows_deleted +
                                              report.distinct_id_rows_deleted > 0;
      }});
  admin_->AddRoutes(router);
  api::AddProjectRoutes(router, {.meta = meta_.get(), .replace_apps = [this](int64_t project_id, std::string_view apps) {
                                   return ApplyAppsConfig(*meta_, fmt::format(R"({{"{}":{}}})", project_id, apps));
                                 }});
  stop_ui_ = ui::AddUiRoutes(router, {.meta = meta_.get(),
                           .pool = query_pool_.get(),
                           .ingestion_health = [this] { return IngestionHealthJson(*log_, *store_, cluster_.get()); },
                           .setup_code_path = (std::filesystem::path(data_dir_) / "ui-setup-code").string()});
  router.Add("GET", "/metrics", [this](http::Request, http::Reply reply) {
    UpdateMemoryGauges(*log_, *persons_, metrics_);
    UpdateConsumerAges(*log_, metrics_);
    reply(http::Response::Text(200, metrics_.RenderPrometheus(), "text/plain; version=0.0.4; charset=utf-8"));
  });
  return router;
}

}  // namespace hedgerow::server
