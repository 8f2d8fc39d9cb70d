// Web UI sessions and the admin password in meta.sqlite (module ui signs people in).
#include <fmt/format.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/digest.h"
#include "hedgerow/common/random.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::meta {
namespace {

std::string HashSessionId(std::string_view session_id) { return HexEncode(Sha256(session_id)); }

}  // namespace

Result<std::pair<std::string, UiSession>> MetaStore::CreateUiSession(int64_t project_id, int64_t expires_at) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<Project> project, QueryProject("id", {}, project_id));
  if (!project) return Status::NotFound(fmt::format("meta: no project {}", project_id));
  uint8_t id_bytes[32];
  uint8_t csrf_bytes[32];
  SecureRandomBytes(id_bytes, sizeof id_bytes);
  SecureRandomBytes(csrf_bytes, sizeof csrf_bytes);
  std::pair<std::string, UiSession> made{HexEncode(id_bytes, sizeof id_bytes),
                                         {project_id, HexEncode(csrf_bytes, sizeof csrf_bytes), expires_at}};
  const int64_t now = NowMicros();
  SqliteTransaction txn(*db_);
  HEDGEROW_RETURN_IF_ERROR(txn.Begin());
  HEDGEROW_ASSIGN_OR_RETURN(auto ended, db_->Prepare("DELETE FROM ui_sessions WHERE expires_at <= ?"));
  HEDGEROW_RETURN_IF_ERROR(ended.Bind(1, now).Run());
  HEDGEROW_ASSIGN_OR_RETURN(auto oldest, db_->Prepare("DELETE FROM ui_sessions WHERE id_hash IN (SELECT id_hash FROM "
                                                      "ui_sessions WHERE project_id = ? ORDER BY created_at DESC "
                                                      "LIMIT -1 OFFSET ?)"));
  HEDGEROW_RETURN_IF_ERROR(oldest.Bind(1, project_id).Bind(2, kMaxUiSessions - 1).Run());
  HEDGEROW_ASSIGN_OR_RETURN(auto insert, db_->Prepare("INSERT INTO ui_sessions (id_hash, project_id, csrf_token, "
                                                      "created_at, expires_at) VALUES (?, ?, ?, ?, ?)"));
  HEDGEROW_RETURN_IF_ERROR(insert.Bind(1, HashSessionId(made.first))
                               .Bind(2, project_id)
                               .Bind(3, made.second.csrf_token)
                               .Bind(4, now)
                               .Bind(5, expires_at)
                               .Run());
  HEDGEROW_RETURN_IF_ERROR(txn.Commit());
  return made;
}

Result<std::optional<UiSession>> MetaStore::FindUiSession(std::string_view session_id, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("SELECT project_id, csrf_token, expires_at FROM ui_sessions "
                                                    "WHERE id_hash = ? AND expires_at > ?"));
  stmt.Bind(1, HashSessionId(session_id)).Bind(2, now);
  HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<UiSession>();
  return std::optional<UiSession>(UiSession{stmt.ColumnInt64(0), stmt.ColumnText(1), stmt.ColumnInt64(2)});
}

Status MetaStore::DeleteUiSession(std::string_view session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM ui_sessions WHERE id_hash = ?"));
  return del.Bind(1, HashSessionId(session_id)).Run();
}

Status MetaStore::DeleteUiSessions(int64_t project_id, std::string_view except_session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM ui_sessions WHERE project_id = ? AND id_hash != ?"));
  return del.Bind(1, project_id).Bind(2, except_session_id.empty() ? std::string() : HashSessionId(except_session_id)).Run();
}

Result<std::string> MetaStore::AdminPasswordHash() {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("SELECT hash FROM admin_password WHERE id = 1"));
  HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.ColumnText(0) : std::string();
}

Result<bool> MetaStore::SetAdminPasswordHash(std::string_view hash, bool only_if_unset) {
  std::lock_guard<std::mutex> lock(mu_);
  HEDGEROW_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare(only_if_unset ? "INSERT INTO admin_password (id, hash, updated_at) VALUES (1, ?, ?) "
                                              "ON CONFLICT (id) DO NOTHING RETURNING id"
                                            : "INSERT INTO admin_password (id, hash, updated_at) VALUES (1, ?, ?) "
                                              "ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, "
                                              "updated_at = excluded.updated_at RETURNING id"));
  stmt.Bind(1, hash).Bind(2, NowMicros());
  HEDGEROW_ASSIGN_OR_RETURN(bool stored, stmt.Step());
  stmt.Reset();
  return stored;
}

}  // namespace hedgerow::meta
