// Feature flags, cohorts and experience-continuity overrides in meta.sqlite. The rows are
// kept as PostHog keeps them; the flags module parses and checks their JSON.
#include <algorithm>

#include <fmt/format.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::meta {
namespace {

constexpr std::string_view kFlagColumns =
    "id, project_id, key, name, filters, active, deleted, ensure_experience_continuity, version, created_at, updated_at";

FeatureFlagRow ReadFlag(const SqliteStatement& s) {
  return {s.ColumnInt64(0),      s.ColumnInt64(1),      s.ColumnText(2),  s.ColumnText(3),
          s.ColumnText(4),       s.ColumnInt64(5) != 0, s.ColumnInt64(6) != 0, s.ColumnInt64(7) != 0,
          s.ColumnInt64(8),      s.ColumnInt64(9),      s.ColumnInt64(10)};
}

}  // namespace

Result<std::vector<FeatureFlagRow>> MetaStore::FeatureFlags(int64_t project_id) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare(fmt::format("SELECT {} FROM feature_flags WHERE project_id = ? AND deleted = 0 ORDER BY id",
                                          kFlagColumns)));
  stmt.Bind(1, project_id);
  std::vector<FeatureFlagRow> flags;
  while (true) {
    HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    flags.push_back(ReadFlag(stmt));
  }
  return flags;
}

Result<std::optional<FeatureFlagRow>> MetaStore::FeatureFlag(int64_t project_id, int64_t flag_id) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare(fmt::format("SELECT {} FROM feature_flags WHERE project_id = ? AND id = ?", kFlagColumns)));
  stmt.Bind(1, project_id).Bind(2, flag_id);
  HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<FeatureFlagRow>();
  return std::optional<FeatureFlagRow>(ReadFlag(stmt));
}

Status MetaStore::CheckFlagKeyFree(int64_t project_id, std::string_view key, int64_t except_id) {
  HEDGEROW_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("SELECT id FROM feature_flags "
                                                    "WHERE project_id = ? AND key = ? AND deleted = 0 AND id != ?"));
  stmt.Bind(1, project_id).Bind(2, key).Bind(3, except_id);
  HEDGEROW_ASSIGN_OR_RETURN(bool taken, stmt.Step());
  if (taken) return Status::InvalidArgument(fmt::format("There is already a feature flag with the key \"{}\".", key));
  return Status::Ok();
}

Status MetaStore::InsertFeatureFlag(FeatureFlagRow& flag) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<Project> project, QueryProject("id", {}, flag.project_id));
  if (!project) return Status::NotFound(fmt::format("meta: no project {}", flag.project_id));
  if (!flag.deleted) HEDGEROW_RETURN_IF_ERROR(CheckFlagKeyFree(flag.project_id, flag.key, 0));
  flag.version = 1;
  flag.created_at = flag.updated_at = NowMicros();
  HEDGEROW_ASSIGN_OR_RETURN(
      auto insert, db_->Prepare("INSERT INTO feature_flags (project_id, key, name, filters, active, deleted, "
                                "ensure_experience_continuity, version, created_at, updated_at) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
  insert.Bind(1, flag.project_id).Bind(2, flag.key).Bind(3, flag.name).Bind(4, flag.filters);
  insert.Bind(5, int64_t{flag.active}).Bind(6, int64_t{flag.deleted}).Bind(7, int64_t{flag.ensure_experience_continuity});
  insert.Bind(8, flag.version).Bind(9, flag.created_at).Bind(10, flag.updated_at);
  HEDGEROW_ASSIGN_OR_RETURN(bool row, insert.Step());
  if (!row) return Status::Internal("meta: INSERT RETURNING gave no row");
  flag.id = insert.ColumnInt64(0);
  ++local_changes_;
  return Status::Ok();
}

Status MetaStore::UpdateFeatureFlag(FeatureFlagRow& flag) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!flag.deleted) HEDGEROW_RETURN_IF_ERROR(CheckFlagKeyFree(flag.project_id, flag.key, flag.id));
  flag.updated_at = NowMicros();
  HEDGEROW_ASSIGN_OR_RETURN(
      auto update, db_->Prepare("UPDATE feature_flags SET key = ?, name = ?, filters = ?, active = ?, deleted = ?, "
                                "ensure_experience_continuity = ?, version = version + 1, updated_at = ? "
                                "WHERE project_id = ? AND id = ? RETURNING version, created_at"));
  update.Bind(1, flag.key).Bind(2, flag.name).Bind(3, flag.filters).Bind(4, int64_t{flag.active});
  update.Bind(5, int64_t{flag.deleted}).Bind(6, int64_t{flag.ensure_experience_continuity}).Bind(7, flag.updated_at);
  update.Bind(8, flag.project_id).Bind(9, flag.id);
  HEDGEROW_ASSIGN_OR_RETURN(bool row, update.Step());
  if (!row) return Status::NotFound(fmt::format("meta: project {} has no feature flag {}", flag.project_id, flag.id));
  flag.version = update.ColumnInt64(0);
  flag.created_at = update.ColumnInt64(1);
  ++local_changes_;
  return Status::Ok();
}

Result<std::vector<CohortRow>> MetaStore::Cohorts(int64_t project_id) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("SELECT id, project_id, name, filters, is_static, created_at "
                                                    "FROM cohorts WHERE project_id = ? ORDER BY id"));
  stmt.Bind(1, project_id);
  std::vector<CohortRow> cohorts;
  while (true) {
    HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    cohorts.push_back({stmt.ColumnInt64(0), stmt.ColumnInt64(1), stmt.ColumnText(2), stmt.ColumnText(3),
                       stmt.ColumnInt64(4) != 0, stmt.ColumnInt64(5)});
  }
  return cohorts;
}

Status MetaStore::InsertCohort(CohortRow& cohort) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<Project> project, QueryProject("id", {}, cohort.project_id));
  if (!project) return Status::NotFound(fmt::format("meta: no project {}", cohort.project_id));
  cohort.created_at = NowMicros();
  HEDGEROW_ASSIGN_OR_RETURN(auto insert, db_->Prepare("INSERT INTO cohorts (project_id, name, filters, is_static, "
                                                      "created_at) VALUES (?, ?, ?, ?, ?) RETURNING id"));
  insert.Bind(1, cohort.project_id).Bind(2, cohort.name).Bind(3, cohort.filters);
  insert.Bind(4, int64_t{cohort.is_static}).Bind(5, cohort.created_at);
  HEDGEROW_ASSIGN_OR_RETURN(bool row, insert.Step());
  if (!row) return Status::Internal("meta: INSERT RETURNING gave no row");
  cohort.id = insert.ColumnInt64(0);
  ++local_changes_;
  return Status::Ok();
}

Status MetaStore::AddCohortPeople(int64_t cohort_id, const std::vector<std::string>& person_uuids) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(auto is_static, db_->Prepare("SELECT is_static FROM cohorts WHERE id = ?"));
  is_static.Bind(1, cohort_id);
  HEDGEROW_ASSIGN_OR_RETURN(bool found, is_static.Step());
  if (!found || is_static.ColumnInt64(0) == 0) {
    return Status::NotFound(fmt::format("meta: no static cohort {}", cohort_id));
  }
  SqliteTransaction txn(*db_);
  HEDGEROW_RETURN_IF_ERROR(txn.Begin());
  HEDGEROW_ASSIGN_OR_RETURN(auto insert,
                            db_->Prepare("INSERT OR IGNORE INTO cohort_people (cohort_id, person_uuid) VALUES (?, ?)"));
  for (const std::string& uuid : person_uuids) {
    insert.Reset();
    HEDGEROW_RETURN_IF_ERROR(insert.Bind(1, cohort_id).Bind(2, uuid).Run());
  }
  HEDGEROW_RETURN_IF_ERROR(txn.Commit());
  ++local_changes_;
  return Status::Ok();
}

Result<std::vector<int64_t>> MetaStore::StaticCohortsOf(std::string_view person_uuid,
                                                        const std::vector<int64_t>& cohort_ids) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt,
                            db_->Cached("SELECT cohort_id FROM cohort_people WHERE person_uuid = ?"));
  stmt->Bind(1, person_uuid);
  std::vector<int64_t> member_of;
  while (true) {
    HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    int64_t id = stmt->ColumnInt64(0);
    if (std::find(cohort_ids.begin(), cohort_ids.end(), id) != cohort_ids.end()) member_of.push_back(id);
  }
  db_->ResetCached();
  return member_of;
}

Result<std::unordered_map<std::string, std::string>> MetaStore::HashKeyOverrides(int64_t project_id,
                                                                                  std::string_view distinct_id) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt, db_->Cached("SELECT flag_key, hash_key FROM flag_hash_key_overrides "
                                                               "WHERE project_id = ? AND distinct_id = ?"));
  stmt->Bind(1, project_id).Bind(2, distinct_id);
  std::unordered_map<std::string, std::string> overrides;
  while (true) {
    HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    overrides.emplace(stmt->ColumnText(0), stmt->ColumnText(1));
  }
  db_->ResetCached();
  return overrides;
}

Status MetaStore::AddHashKeyOverrides(int64_t project_id, std::string_view distinct_id, std::string_view hash_key,
                                      const std::vector<std::string>& flag_keys) {
  std::lock_guard<std::mutex> lock(mu_);
  // /flags pins these on an HTTP thread: the commit goes to the WAL without an fsync (WAL's
  // synchronous=NORMAL), durable at the next checkpoint or synced commit. A crash in
  // between loses only the pin, which the next request carrying $anon_distinct_id sets again.
  HEDGEROW_RETURN_IF_ERROR(db_->Exec("PRAGMA synchronous=NORMAL"));
  struct RestoreFull {
    SqliteDb& db;
    ~RestoreFull() { (void)db.Exec("PRAGMA synchronous=FULL"); }
  } restore{*db_};
  SqliteTransaction txn(*db_);
  HEDGEROW_RETURN_IF_ERROR(txn.Begin());
  HEDGEROW_ASSIGN_OR_RETURN(auto insert, db_->Prepare("INSERT OR IGNORE INTO flag_hash_key_overrides "
                                                      "(project_id, distinct_id, flag_key, hash_key) VALUES (?, ?, ?, ?)"));
  for (const std::string& key : flag_keys) {
    insert.Reset();
    HEDGEROW_RETURN_IF_ERROR(insert.Bind(1, project_id).Bind(2, distinct_id).Bind(3, key).Bind(4, hash_key).Run());
  }
  // Not a change readers cache: overrides are read per request.
  return txn.Commit();
}

}  // namespace hedgerow::meta
