#include "hedgerow/common/sqlite.h"

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include "support/temp_dir.h"

using namespace hedgerow;
using hedgerow::testing::TempDir;

TEST_CASE("sqlite round-trips rows through prepared statements", "[common]") {
  TempDir dir;
  auto db = SqliteDb::Open(dir.File("t.sqlite"));
  REQUIRE(db.ok());
  REQUIRE((*db)->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)").ok());
  auto insert = (*db)->Prepare("INSERT INTO t (id, name) VALUES (?, ?)");
  REQUIRE(insert.ok());
  REQUIRE(insert->Bind(1, int64_t{7}).Bind(2, "seven").Run().ok());
  insert->Reset();
  REQUIRE(insert->Bind(1, int64_t{8}).BindNull(2).Run().ok());
  insert->Reset();
  auto dup = insert->Bind(1, int64_t{7}).Bind(2, "again").Run();
  CHECK(dup.code() == StatusCode::kIOError);
  CHECK(dup.message().find("UNIQUE constraint failed") != std::string::npos);

  auto select = (*db)->Prepare("SELECT id, name FROM t ORDER BY id");
  REQUIRE(select.ok());
  REQUIRE(*select->Step());
  CHECK(select->ColumnInt64(0) == 7);
  CHECK(select->ColumnText(1) == "seven");
  REQUIRE(*select->Step());
  CHECK(select->ColumnIsNull(1));
  CHECK_FALSE(*select->Step());
}

TEST_CASE("sqlite reports a bad statement and a file that is not a database", "[common]") {
  TempDir dir;
  auto db = SqliteDb::Open(dir.File("t.sqlite"));
  REQUIRE(db.ok());
  auto bad = (*db)->Prepare("SELEKT 1");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("syntax error") != std::string::npos);

  std::string junk = dir.File("junk.sqlite");
  FILE* f = fopen(junk.c_str(), "w");
  fputs("this is not a sqlite database, just some text that is long enough", f);
  fclose(f);
  auto opened = SqliteDb::Open(junk);
  if (opened.ok()) {
    // sqlite opens lazily; the first real statement finds the damage.
    CHECK((*opened)->Exec("SELECT * FROM sqlite_master").code() == StatusCode::kCorruption);
  } else {
    CHECK(opened.status().code() != StatusCode::kOk);
  }
}

TEST_CASE("sqlite creates files with 16 KB pages and opens older files as they are", "[common]") {
  TempDir dir;
  auto page_size = [](SqliteDb& db) {
    auto stmt = db.Prepare("PRAGMA page_size");
    REQUIRE(stmt.ok());
    REQUIRE(*stmt->Step());
    return stmt->ColumnInt64(0);
  };
  {
    auto db = SqliteDb::Open(dir.File("new.sqlite"));
    REQUIRE(db.ok());
    REQUIRE((*db)->Exec("CREATE TABLE t (v TEXT)").ok());
    CHECK(page_size(**db) == 16384);
  }
  // A file made with SQLite's default 4 KB pages, as earlier versions made them.
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(dir.File("old.sqlite").c_str(), &raw) == SQLITE_OK);
  REQUIRE(sqlite3_exec(raw, "PRAGMA page_size=4096; CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept');",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(raw);
  auto db = SqliteDb::Open(dir.File("old.sqlite"));
  REQUIRE(db.ok());
  CHECK(page_size(**db) == 4096);
  auto select = (*db)->Prepare("SELECT v FROM t");
  REQUIRE(select.ok());
  REQUIRE(*select->Step());
  CHECK(select->ColumnText(0) == "kept");
}
