#include "hedgerow/meta/meta_store.h"

#include <catch2/catch.hpp>

#include "hedgerow/common/clock.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using namespace hedgerow::meta;
using hedgerow::testing::TempDir;

TEST_CASE("first bootstrap creates project 1 with the given token and key", "[meta]") {
  TempDir dir;
  auto store = MetaStore::Open(dir.File("meta.sqlite"));
  REQUIRE(store.ok());
  auto outcome = (*store)->Bootstrap("phc_test", "phx_secret123");
  REQUIRE(outcome.ok());
  CHECK(outcome->created_project);
  CHECK(outcome->added_personal_api_key);
  CHECK(outcome->project.id == 1);
  CHECK(outcome->project.name == "Default project");
  CHECK(outcome->project.api_token == "phc_test");

  auto found = (*store)->FindProjectByToken("phc_test");
  REQUIRE(found.has_value());
  CHECK(found->id == 1);
  CHECK_FALSE((*store)->FindProjectByToken("phc_other").has_value());
  CHECK_FALSE((*store)->FindProjectByToken("").has_value());
  CHECK(*(*store)->IsPersonalApiKey("phx_secret123"));
  CHECK_FALSE(*(*store)->IsPersonalApiKey("phx_secret124"));
}

TEST_CASE("personal API keys are stored hashed, never in clear", "[meta]") {
  TempDir dir;
  {
    auto store = MetaStore::Open(dir.File("meta.sqlite"));
    REQUIRE(store.ok());
    REQUIRE((*store)->Bootstrap("phc_t", "phx_plaintext_must_not_appear").ok());
  }
  auto db = SqliteDb::Open(dir.File("meta.sqlite"));
  REQUIRE(db.ok());
  auto stmt = (*db)->Prepare("SELECT secure_value, mask_value FROM personal_api_keys");
  REQUIRE(stmt.ok());
  REQUIRE(*stmt->Step());
  CHECK(stmt->ColumnText(0) == HashPersonalApiKey("phx_plaintext_must_not_appear"));
  CHECK(stmt->ColumnText(0).rfind("sha256$", 0) == 0);
  CHECK(stmt->ColumnText(1) == "phx_...pear");
}

TEST_CASE("restarting with the same values changes nothing; the data dir is the truth", "[meta]") {
  TempDir dir;
  std::string path = dir.File("meta.sqlite");
  {
    auto store = MetaStore::Open(path);
    REQUIRE(store.ok());
    REQUIRE((*store)->Bootstrap("phc_first", "phx_k").ok());
  }
  auto store = MetaStore::Open(path);
  REQUIRE(store.ok());
  auto same = (*store)->Bootstrap("phc_first", "phx_k");
  REQUIRE(same.ok());
  CHECK_FALSE(same->created_project);
  CHECK_FALSE(same->token_ignored);
  CHECK_FALSE(same->added_personal_api_key);

  auto other = (*store)->Bootstrap("phc_second", "");
  REQUIRE(other.ok());
  CHECK(other->token_ignored);
  CHECK(other->project.api_token == "phc_first");
  CHECK_FALSE((*store)->FindProjectByToken("phc_second").has_value());
  CHECK((*store)->FindProjectByToken("phc_first").has_value());  // loaded from disk at Open
}

TEST_CASE("without a token a random phc_ token is generated once", "[meta]") {
  TempDir dir;
  auto store = MetaStore::Open(dir.File("meta.sqlite"));
  REQUIRE(store.ok());
  auto first = (*store)->Bootstrap("", "");
  REQUIRE(first.ok());
  const std::string& token = first->project.api_token;
  CHECK(token.rfind("phc_", 0) == 0);
  CHECK(token.size() == 47);
  auto again = (*store)->Bootstrap("", "");
  REQUIRE(again.ok());
  CHECK(again->project.api_token == token);
  CHECK(GenerateProjectToken() != GenerateProjectToken());
}

TEST_CASE("migrations are numbered and applied once", "[meta]") {
  TempDir dir;
  std::string path = dir.File("meta.sqlite");
  int version = 0;
  {
    auto store = MetaStore::Open(path);
    REQUIRE(store.ok());
    version = *(*store)->SchemaVersion();
    CHECK(version >= 2);
  }
  auto store = MetaStore::Open(path);  // reopening re-applies nothing (would fail: table exists)
  REQUIRE(store.ok());
  CHECK(*(*store)->SchemaVersion() == version);
}

TEST_CASE("a database from a newer hedgerow is refused with a clear error", "[meta]") {
  TempDir dir;
  std::string path = dir.File("meta.sqlite");
  { REQUIRE(MetaStore::Open(path).ok()); }
  {
    auto db = SqliteDb::Open(path);
    REQUIRE(db.ok());
    REQUIRE((*db)->Exec("INSERT INTO schema_migrations VALUES (999, 'future', 0)").ok());
  }
  auto store = MetaStore::Open(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().message().find("has schema version 999, newer than this hedgerow knows") !=
        std::string::npos);
}

TEST_CASE("a project's IP anonymization can be switched and is seen at once", "[meta]") {
  TempDir dir;
  auto store = MetaStore::Open(dir.File("meta.sqlite"));
  REQUIRE(store.ok());
  REQUIRE((*store)->Bootstrap("phc_t", "").ok());
  CHECK_FALSE((*store)->FindProjectByToken("phc_t")->anonymize_ips);
  REQUIRE((*store)->SetAnonymizeIps(1, true).ok());
  CHECK((*store)->FindProjectByToken("phc_t")->anonymize_ips);
  CHECK((*store)->SetAnonymizeIps(7, true).code() == StatusCode::kNotFound);
}

TEST_CASE("apps are kept per project in order, and changes move the change counter", "[meta]") {
  TempDir dir;
  auto store = MetaStore::Open(dir.File("meta.sqlite"));
  REQUIRE(store.ok());
  REQUIRE((*store)->Bootstrap("phc_t", "").ok());
  // A new project starts with PostHog's default app.
  auto defaults = (*store)->Apps(1);
  REQUIRE(defaults.ok());
  REQUIRE(defaults->size() == 1);
  CHECK((*defaults)[0].kind == "geoip");
  CHECK((*defaults)[0].position == 1);
  int64_t before = *(*store)->ChangeCounter();
  AppConfig first{0, 1, 0, "taxonomy", R"({"style":"snake_case"})"};
  AppConfig second{0, 1, 0, "user_agent", "{}"};
  REQUIRE((*store)->AddApp(first).ok());
  REQUIRE((*store)->AddApp(second).ok());
  CHECK(first.position == 2);
  CHECK(second.position == 3);
  CHECK(*(*store)->ChangeCounter() != before);
  auto apps = (*store)->Apps(1);
  REQUIRE(apps.ok());
  REQUIRE(apps->size() == 3);
  CHECK((*apps)[1].kind == "taxonomy");
  CHECK((*apps)[2].kind == "user_agent");
  REQUIRE((*store)->RemoveApp(first.id).ok());
  CHECK((*store)->Apps(1)->size() == 2);
  CHECK((*store)->RemoveApp(first.id).code() == StatusCode::kNotFound);
  AppConfig orphan{0, 9, 0, "user_agent", "{}"};
  CHECK((*store)->AddApp(orphan).code() == StatusCode::kNotFound);
  // Created later, a project gets the default app too; bootstrapping again adds nothing.
  auto two = (*store)->CreateProject("Second", "phc_two");
  REQUIRE(two.ok());
  REQUIRE((*store)->Apps(two->id)->size() == 1);
  CHECK((*(*store)->Apps(two->id))[0].kind == "geoip");
  REQUIRE((*store)->Bootstrap("phc_t", "").ok());
  CHECK((*store)->Apps(1)->size() == 2);
}

TEST_CASE("a personal API key belongs to one project; keys from before belong to project 1", "[meta]") {
  TempDir dir;
  auto store = MetaStore::Open(dir.File("meta.sqlite"));
  REQUIRE(store.ok());
  REQUIRE((*store)->Bootstrap("phc_one", "phx_one").ok());
  auto two = (*store)->CreateProject("Second", "phc_two");
  REQUIRE(two.ok());
  CHECK(two->id == 2);
  CHECK((*store)->FindProjectByToken("phc_two")->id == 2);  // capture sees it at once
  CHECK((*store)->CreateProject("Again", "phc_two").status().code() == StatusCode::kInvalidArgument);
  REQUIRE((*store)->AddPersonalApiKey("phx_two", 2).ok());
  CHECK((*store)->AddPersonalApiKey("phx_three", 3).code() == StatusCode::kNotFound);
  CHECK(**(*store)->ProjectOfPersonalApiKey("phx_one") == 1);
  CHECK(**(*store)->ProjectOfPersonalApiKey("phx_two") == 2);
  CHECK_FALSE((*store)->ProjectOfPersonalApiKey("phx_three")->has_value());
  // Adding a known key again does not move it to another project.
  REQUIRE((*store)->AddPersonalApiKey("phx_one", 2).ok());
  CHECK(**(*store)->ProjectOfPersonalApiKey("phx_one") == 1);
}

TEST_CASE("UI sessions: stored hashed, found until they end, bounded in number; the admin password once", "[meta][ui]") {
  TempDir dir;
  auto store = MetaStore::Open(dir.File("meta.sqlite"));
  REQUIRE(store.ok());
  REQUIRE((*store)->Bootstrap("phc_test", "").ok());
  MetaStore& meta = **store;
  const int64_t now = 1'800'000'000'000'000;

  auto made = meta.CreateUiSession(1, now + 1'000'000);
  REQUIRE(made.ok());
  const auto& [id, session] = *made;
  CHECK(id.size() == 64);
  CHECK(session.csrf_token.size() == 64);
  CHECK(session.csrf_token != id);
  auto found = meta.FindUiSession(id, now);
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->project_id == 1);
  CHECK((*found)->csrf_token == session.csrf_token);
  CHECK_FALSE(meta.FindUiSession(id, now + 1'000'000)->has_value());  // ended
  CHECK_FALSE(meta.FindUiSession(id + "0", now)->has_value());
  CHECK(meta.CreateUiSession(2, now).status().code() == StatusCode::kNotFound);  // no project 2

  // The database holds the id's SHA-256, never the id.
  auto db = SqliteDb::Open(dir.File("meta.sqlite"));
  REQUIRE(db.ok());
  auto stmt = (*db)->Prepare("SELECT id_hash FROM ui_sessions");
  REQUIRE(stmt.ok());
  REQUIRE(*stmt->Step());
  CHECK(stmt->ColumnText(0) != id);
  CHECK(stmt->ColumnText(0).size() == 64);
  stmt->Reset();  // ends its read snapshot

  // Past the bound the oldest sessions go; the newest stay.
  std::vector<std::string> ids;
  for (int64_t i = 0; i < MetaStore::kMaxUiSessions + 10; ++i) {
    auto s = meta.CreateUiSession(1, NowMicros() + 3'600'000'000);
    REQUIRE(s.ok());
    ids.push_back(s->first);
  }
  auto count = (*db)->Prepare("SELECT count(*) FROM ui_sessions");
  REQUIRE(*count->Step());
  CHECK(count->ColumnInt64(0) == MetaStore::kMaxUiSessions);
  CHECK_FALSE(meta.FindUiSession(ids.front(), NowMicros())->has_value());
  CHECK(meta.FindUiSession(ids.back(), NowMicros())->has_value());
  REQUIRE(meta.DeleteUiSession(ids.back()).ok());
  CHECK_FALSE(meta.FindUiSession(ids.back(), NowMicros())->has_value());

  CHECK(meta.AdminPasswordHash()->empty());
  CHECK(*meta.SetAdminPasswordHash("pbkdf2_sha256$1$a$b", true));
  CHECK_FALSE(*meta.SetAdminPasswordHash("pbkdf2_sha256$1$c$d", true));  // the first run's form, again
  CHECK(*meta.AdminPasswordHash() == "pbkdf2_sha256$1$a$b");
  CHECK(*meta.SetAdminPasswordHash("pbkdf2_sha256$1$c$d", false));  // a signed-in change
  CHECK(*meta.AdminPasswordHash() == "pbkdf2_sha256$1$c$d");
}
