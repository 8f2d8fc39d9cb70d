#include "hedgerow/common/sqlite.h"

#include <sqlite3.h>

#include <fmt/format.h>

namespace hedgerow {
namespace {

Result<sqlite3*> OpenHandle(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::IOError(fmt::format("sqlite: cannot open \"{}\": {}", path, msg));
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

}  // namespace

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path) {
  HEDGEROW_ASSIGN_OR_RETURN(sqlite3 * handle,
                            OpenHandle(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  std::unique_ptr<SqliteDb> db(new SqliteDb(handle, path));
  HEDGEROW_RETURN_IF_ERROR(
      // page_size before WAL mode: only then does a new file take it (an existing one keeps
      // its own). persons.sqlite's persists rewrite most of the person table: with 16 KB
      // pages they take ~17% less time than with 4 KB (ingest_bench, 12 pairs).
      db->Exec("PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  return db;
}

SqliteDb::~SqliteDb() {
  cached_.clear();  // statements are finalized before their connection closes
  sqlite3_close_v2(db_);
}

Status SqliteDb::Error(std::string_view what) const {
  int code = sqlite3_errcode(db_);
  std::string msg = fmt::format("sqlite: {}: {} ({})", path_, what, sqlite3_errmsg(db_));
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return Status::Corruption(std::move(msg));
  return Status::IOError(std::move(msg));
}

Status SqliteDb::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    sqlite3_free(err);
    return Error(fmt::format("executing \"{}\"", sql.substr(0, 80)));
  }
  return Status::Ok();
}

Result<SqliteStatement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    return Error(fmt::format("preparing \"{}\"", sql.substr(0, 80)));
  }
  return SqliteStatement(this, stmt);
}

Result<SqliteStatement*> SqliteDb::Cached(std::string_view sql) {
  auto it = cached_.find(sql);
  if (it == cached_.end()) {
    HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
    it = cached_.emplace(std::string(sql), std::make_unique<SqliteStatement>(std::move(stmt))).first;
  } else {
    it->second->Reset();
  }
  return it->second.get();
}

void SqliteDb::ResetCached() {
  for (auto& [sql, stmt] : cached_) stmt->Reset();
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteStatement& SqliteStatement::BindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

std::string SqliteStatement::ColumnBlob(int col) const {
  const void* b = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return b == nullptr ? std::string() : std::string(static_cast<const char*>(b), static_cast<size_t>(n));
}

SqliteStatement& SqliteStatement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> SqliteStatement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error("step");
}

Status SqliteStatement::Run() {
  Result<bool> r = Step();
  if (!r.ok()) return r.status();
  return Status::Ok();
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t SqliteStatement::ColumnInt64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string SqliteStatement::ColumnText(int col) const {
  const unsigned char* t = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t), n);
}

bool SqliteStatement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

SqliteTransaction::~SqliteTransaction() {
  if (open_) (void)db_.Exec("ROLLBACK");
}

Status SqliteTransaction::Begin() {
  HEDGEROW_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
  open_ = true;
  return Status::Ok();
}

Status SqliteTransaction::Commit() {
  HEDGEROW_RETURN_IF_ERROR(db_.Exec("COMMIT"));
  open_ = false;
  return Status::Ok();
}

Result<int> SchemaVersion(SqliteDb& db) {
  HEDGEROW_RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
              "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
  HEDGEROW_ASSIGN_OR_RETURN(auto stmt, db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? static_cast<int>(stmt.ColumnInt64(0)) : 0;
}

Status ApplyMigrations(SqliteDb& db, std::span<const SqliteMigration> migrations) {
  HEDGEROW_ASSIGN_OR_RETURN(int current, SchemaVersion(db));
  int known = migrations.empty() ? 0 : migrations.back().version;
  if (current > known) {
    return Status::InvalidArgument(fmt::format(
        "sqlite: {} has schema version {}, newer than this hedgerow knows ({}); run a newer hedgerow", db.path(),
        current, known));
  }
  for (const SqliteMigration& m : migrations) {
    if (m.version <= current) continue;
    SqliteTransaction tx(db);
    HEDGEROW_RETURN_IF_ERROR(tx.Begin());
    HEDGEROW_RETURN_IF_ERROR(db.Exec(m.sql));
    HEDGEROW_ASSIGN_OR_RETURN(
        auto insert, db.Prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, "
                                "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))"));
    HEDGEROW_RETURN_IF_ERROR(insert.Bind(1, int64_t{m.version}).Bind(2, m.name).Run());
    HEDGEROW_RETURN_IF_ERROR(tx.Commit());
  }
  return Status::Ok();
}

}  // namespace hedgerow
