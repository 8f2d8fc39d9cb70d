#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hedgerow/common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace hedgerow {

class SqliteStatement;

// One SQLite connection. Not thread-safe: callers serialize (each store that owns one keeps
// it behind its own mutex or on its own writer thread). Errors come back as kIOError or
// kCorruption naming the file and SQLite's message.
class SqliteDb {
 public:
  // Opens (creating if absent, with 16 KB pages) `path` in WAL mode with synchronous=FULL, so
  // a committed transaction survives power loss, and a busy timeout for readers in other
  // processes.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements that return no rows.
  Status Exec(std::string_view sql);
  Result<SqliteStatement> Prepare(std::string_view sql);
  // A statement prepared once per connection and reused: reset, bindings cleared. Valid
  // until the next Cached() call with the same text or the SqliteDb's end; for hot paths.
  Result<SqliteStatement*> Cached(std::string_view sql);
  // Resets every cached statement, so none holds a read or an unfinished write open (before
  // COMMIT or ROLLBACK).
  void ResetCached();

  const std::string& path() const { return path_; }
  Status Error(std::string_view what) const;  // a Status from the connection's last error

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* const db_;
  const std::string path_;
  std::map<std::string, std::unique_ptr<SqliteStatement>, std::less<>> cached_;
};

// A prepared statement; bind 1-based parameters, Step() through rows, read 0-based columns.
// Not thread-safe. Must not outlive its SqliteDb.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  ~SqliteStatement();

  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, std::string_view text);
  SqliteStatement& BindNull(int index);
  SqliteStatement& BindBlob(int index, std::string_view bytes);

  // Returns true when a row is ready, false when done.
  Result<bool> Step();
  // Step() for statements that return no rows.
  Status Run();
  void Reset();

  int64_t ColumnInt64(int col) const;
  std::string ColumnText(int col) const;
  std::string ColumnBlob(int col) const;
  bool ColumnIsNull(int col) const;

 private:
  friend class SqliteDb;
  SqliteStatement(const SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  const SqliteDb* db_;
  sqlite3_stmt* stmt_;
};

// Rolls back unless committed: for statements that must land together. Not thread-safe.
// `db` must outlive it.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb& db) : db_(db) {}
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  Status Begin();  // BEGIN IMMEDIATE: takes the write lock now, not at the first write
  Status Commit();

 private:
  SqliteDb& db_;
  bool open_ = false;
};

// One schema change. Versions are dense from 1; a released migration is never edited, only
// followed by a new one.
struct SqliteMigration {
  int version;
  const char* name;
  const char* sql;
};

// Applies the migrations newer than the database's, each in its own transaction, recording
// them in schema_migrations. kInvalidArgument when the database is newer than `migrations`.
Status ApplyMigrations(SqliteDb& db, std::span<const SqliteMigration> migrations);

// The highest migration applied (0 for a new database).
Result<int> SchemaVersion(SqliteDb& db);

}  // namespace hedgerow
