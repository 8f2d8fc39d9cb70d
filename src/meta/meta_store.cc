#include "hedgerow/meta/meta_store.h"

#include <fmt/format.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/digest.h"
#include "hedgerow/common/random.h"
#include "migrations.h"

namespace hedgerow::meta {
namespace {

std::string MaskKey(std::string_view raw_key) {
  std::string_view tail = raw_key.size() > 4 ? raw_key.substr(raw_key.size() - 4) : raw_key;
  return fmt::format("phx_...{}", tail);
}

}  // namespace

std::string HashPersonalApiKey(std::string_view raw_key) {
  return "sha256$" + HexEncode(Sha256(raw_key));
}

std::string GenerateProjectToken() { return "phc_" + RandomAlphanumeric(43); }

Result<std::unique_ptr<MetaStore>> MetaStore::Open(const std::string& path) {
  HEDGEROW_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path));
  std::unique_ptr<MetaStore> store(new MetaStore(std::move(db)));
  HEDGEROW_RETURN_IF_ERROR(store->Migrate());
  HEDGEROW_RETURN_IF_ERROR(store->LoadProjectCache());
  return store;
}

Status MetaStore::Migrate() {
  std::lock_guard<std::mutex> lock(mu_);
  return ApplyMigrations(*db_, MetaMigrations());
}

Result<int> MetaStore::SchemaVersion() {
  std::lock_guard<std::mutex> lock(mu_);
  return hedgerow::SchemaVersion(*db_);
}

Result<std::optional<Project>> MetaStore::QueryProject(std::string_view column,
                                                       std::string_view text, int64_t number) {
  HEDGEROW_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare(fmt::format("SELECT id, name, api_token, anonymize_ips, created_at "
                                          "FROM projects WHERE {} = ?",
                                          column)));
  if (text.empty()) {
    stmt.Bind(1, number);
  } else {
    stmt.Bind(1, text);
  }
  HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<Project>();
  return std::optional<Project>(Project{stmt.ColumnInt64(0), stmt.ColumnText(1), stmt.ColumnText(2),
                                        stmt.ColumnInt64(3) != 0, stmt.ColumnInt64(4)});
}

Status MetaStore::LoadProjectCache() {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(auto stmt,
                            db_->Prepare("SELECT id, name, api_token, anonymize_ips, created_at FROM projects"));
  while (true) {
    HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    CacheProject(Project{stmt.ColumnInt64(0), stmt.ColumnText(1), stmt.ColumnText(2), stmt.ColumnInt64(3) != 0,
                         stmt.ColumnInt64(4)});
  }
  return Status::Ok();
}

void MetaStore::CacheProject(const Project& project) {
  std::unique_lock<std::shared_mutex> lock(cache_mu_);
  projects_by_token_[project.api_token] = project;
}

std::optional<Project> MetaStore::FindProjectByToken(std::string_view token) const {
  std::shared_lock<std::shared_mutex> lock(cache_mu_);
  auto it = projects_by_token_.find(std::string(token));
  if (it == projects_by_token_.end()) return std::nullopt;
  return it->second;
}

Status MetaStore::InsertPersonalApiKey(std::string_view raw_key, int64_t project_id, bool& added) {
  HEDGEROW_ASSIGN_OR_RETURN(
      auto insert, db_->Prepare("INSERT OR IGNORE INTO personal_api_keys "
                                "(label, secure_value, mask_value, created_at, project_id) VALUES (?, ?, ?, ?, ?)"));
  HEDGEROW_RETURN_IF_ERROR(insert.Bind(1, "bootstrap")
                               .Bind(2, HashPersonalApiKey(raw_key))
                               .Bind(3, MaskKey(raw_key))
                               .Bind(4, NowMicros())
                               .Bind(5, project_id)
                               .Run());
  HEDGEROW_ASSIGN_OR_RETURN(auto changes, db_->Prepare("SELECT changes()"));
  HEDGEROW_ASSIGN_OR_RETURN(bool row, changes.Step());
  added = row && changes.ColumnInt64(0) > 0;
  return Status::Ok();
}

Status MetaStore::InsertDefaultApps(int64_t project_id) {
  HEDGEROW_ASSIGN_OR_RETURN(
      auto insert, db_->Prepare("INSERT INTO apps (project_id, position, kind, config) VALUES (?, 1, 'geoip', '{}')"));
  return insert.Bind(1, project_id).Run();
}

Result<BootstrapOutcome> MetaStore::Bootstrap(std::string_view project_token,
                                              std::string_view personal_api_key) {
  std::lock_guard<std::mutex> lock(mu_);
  SqliteTransaction tx(*db_);
  HEDGEROW_RETURN_IF_ERROR(tx.Begin());
  BootstrapOutcome outcome;
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<Project> existing, QueryProject("id", {}, 1));
  if (existing) {
    outcome.project = *existing;
    outcome.token_ignored = !project_token.empty() && project_token != existing->api_token;
  } else {
    Project p{1, "Default project",
              project_token.empty() ? GenerateProjectToken() : std::string(project_token), false,
              NowMicros()};
    HEDGEROW_ASSIGN_OR_RETURN(
        auto insert, db_->Prepare("INSERT INTO projects (id, name, api_token, anonymize_ips, "
                                  "created_at) VALUES (?, ?, ?, ?, ?)"));
    HEDGEROW_RETURN_IF_ERROR(insert.Bind(1, p.id)
                                 .Bind(2, p.name)
                                 .Bind(3, p.api_token)
                                 .Bind(4, int64_t{0})
                                 .Bind(5, p.created_at)
                                 .Run());
    HEDGEROW_RETURN_IF_ERROR(InsertDefaultApps(p.id));
    outcome.project = p;
    outcome.created_project = true;
  }
  if (!personal_api_key.empty()) {
    HEDGEROW_RETURN_IF_ERROR(InsertPersonalApiKey(personal_api_key, 1, outcome.added_personal_api_key));
  }
  HEDGEROW_RETURN_IF_ERROR(tx.Commit());
  if (outcome.created_project) CacheProject(outcome.project);
  return outcome;
}

Status MetaStore::SetAnonymizeIps(int64_t project_id, bool anonymize) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(auto update, db_->Prepare("UPDATE projects SET anonymize_ips = ? WHERE id = ?"));
  HEDGEROW_RETURN_IF_ERROR(update.Bind(1, int64_t{anonymize ? 1 : 0}).Bind(2, project_id).Run());
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<Project> project, QueryProject("id", {}, project_id));
  if (!project) return Status::NotFound(fmt::format("meta: no project {}", project_id));
  CacheProject(*project);
  return Status::Ok();
}

Result<std::vector<AppConfig>> MetaStore::Apps(int64_t project_id) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("SELECT id, project_id, position, kind, config FROM apps "
                                                    "WHERE project_id = ? ORDER BY position, id"));
  stmt.Bind(1, project_id);
  std::vector<AppConfig> apps;
  while (true) {
    HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    apps.push_back({stmt.ColumnInt64(0), stmt.ColumnInt64(1), stmt.ColumnInt64(2), stmt.ColumnText(3), stmt.ColumnText(4)});
  }
  return apps;
}

Status MetaStore::AddApp(AppConfig& app) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<Project> project, QueryProject("id", {}, app.project_id));
  if (!project) return Status::NotFound(fmt::format("meta: no project {}", app.project_id));
  HEDGEROW_ASSIGN_OR_RETURN(
      auto insert, db_->Prepare("INSERT INTO apps (project_id, position, kind, config) VALUES "
                                "(?, (SELECT COALESCE(MAX(position), 0) + 1 FROM apps WHERE project_id = ?), ?, ?) "
                                "RETURNING id, position"));
  insert.Bind(1, app.project_id).Bind(2, app.project_id).Bind(3, app.kind).Bind(4, app.config);
  HEDGEROW_ASSIGN_OR_RETURN(bool row, insert.Step());
  if (!row) return Status::Internal("meta: INSERT RETURNING gave no row");
  app.id = insert.ColumnInt64(0);
  app.position = insert.ColumnInt64(1);
  ++local_changes_;
  return Status::Ok();
}

Status MetaStore::RemoveApp(int64_t app_id) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM apps WHERE id = ? RETURNING id"));
  del.Bind(1, app_id);
  HEDGEROW_ASSIGN_OR_RETURN(bool row, del.Step());
  if (!row) return Status::NotFound(fmt::format("meta: no app {}", app_id));
  ++local_changes_;
  return Status::Ok();
}

Status MetaStore::ReplaceApps(int64_t project_id, const std::vector<AppConfig>& apps) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<Project> project, QueryProject("id", {}, project_id));
  if (!project) return Status::NotFound(fmt::format("meta: no project {}", project_id));
  SqliteTransaction txn(*db_);
  HEDGEROW_RETURN_IF_ERROR(txn.Begin());
  HEDGEROW_ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM apps WHERE project_id = ?"));
  HEDGEROW_RETURN_IF_ERROR(del.Bind(1, project_id).Run());
  HEDGEROW_ASSIGN_OR_RETURN(auto insert,
                            db_->Prepare("INSERT INTO apps (project_id, position, kind, config) VALUES (?, ?, ?, ?)"));
  for (size_t i = 0; i < apps.size(); ++i) {
    insert.Reset();
    HEDGEROW_RETURN_IF_ERROR(
        insert.Bind(1, project_id).Bind(2, static_cast<int64_t>(i + 1)).Bind(3, apps[i].kind).Bind(4, apps[i].config).Run());
  }
  HEDGEROW_RETURN_IF_ERROR(txn.Commit());
  ++local_changes_;
  return Status::Ok();
}

Result<int64_t> MetaStore::ChangeCounter() {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("PRAGMA data_version"));
  HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt.Step());
  // data_version moves on commits by other connections only; our own writes are counted here.
  return (row ? stmt.ColumnInt64(0) : 0) * 1000000 + local_changes_;
}

Result<std::optional<Project>> MetaStore::FindProjectById(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  return QueryProject("id", "", id);
}

Result<bool> MetaStore::IsPersonalApiKey(std::string_view raw_key) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(auto stmt,
                            db_->Prepare("SELECT 1 FROM personal_api_keys WHERE secure_value = ?"));
  stmt.Bind(1, HashPersonalApiKey(raw_key));
  return stmt.Step();
}

Result<std::optional<int64_t>> MetaStore::ProjectOfPersonalApiKey(std::string_view raw_key) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(auto stmt,
                            db_->Prepare("SELECT project_id FROM personal_api_keys WHERE secure_value = ?"));
  stmt.Bind(1, HashPersonalApiKey(raw_key));
  HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(stmt.ColumnInt64(0));
}

Status MetaStore::AddPersonalApiKey(std::string_view raw_key, int64_t project_id) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<Project> project, QueryProject("id", {}, project_id));
  if (!project) return Status::NotFound(fmt::format("meta: no project {}", project_id));
  bool added = false;
  HEDGEROW_RETURN_IF_ERROR(InsertPersonalApiKey(raw_key, project_id, added));
  ++local_changes_;
  return Status::Ok();
}

Result<Project> MetaStore::CreateProject(std::string_view name, std::string_view project_token) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string token = project_token.empty() ? GenerateProjectToken() : std::string(project_token);
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<Project> taken, QueryProject("api_token", token, 0));
  if (taken) return Status::InvalidArgument(fmt::format("meta: project {} already has this token", taken->id));
  SqliteTransaction tx(*db_);
  HEDGEROW_RETURN_IF_ERROR(tx.Begin());
  HEDGEROW_ASSIGN_OR_RETURN(auto insert, db_->Prepare("INSERT INTO projects (name, api_token, anonymize_ips, created_at) "
                                                      "VALUES (?, ?, 0, ?) RETURNING id"));
  insert.Bind(1, name).Bind(2, token).Bind(3, NowMicros());
  HEDGEROW_ASSIGN_OR_RETURN(bool row, insert.Step());
  if (!row) return Status::Internal("meta: INSERT RETURNING gave no row");
  Project project{insert.ColumnInt64(0), std::string(name), token, false, 0};
  insert.Reset();
  HEDGEROW_RETURN_IF_ERROR(InsertDefaultApps(project.id));
  HEDGEROW_RETURN_IF_ERROR(tx.Commit());
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<Project> stored, QueryProject("id", {}, project.id));
  if (stored) project = *stored;
  ++local_changes_;
  CacheProject(project);
  return project;
}

}  // namespace hedgerow::meta
