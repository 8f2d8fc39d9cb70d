#include "hedgerow/persons/person_store.h"

#include <catch2/catch.hpp>

#include "support/temp_dir.h"

using namespace hedgerow;
using namespace hedgerow::persons;
using hedgerow::testing::TempDir;

TEST_CASE("persons and distinct ids round-trip through a committed transaction", "[persons]") {
  TempDir dir;
  auto store = PersonStore::Open(dir.File("persons.sqlite"));
  REQUIRE(store.ok());
  Person p;
  p.uuid = Uuid::V4();
  p.team_id = 1;
  p.created_at = 1700000000000000;
  p.properties = R"({"a":1})";
  {
    auto txn = (*store)->Begin();
    REQUIRE(txn.ok());
    REQUIRE((*txn)->Insert(p).ok());
    CHECK(p.id > 0);
    REQUIRE((*txn)->SetDistinctId({1, "anon", p.id, 0}).ok());
    REQUIRE((*txn)->SetDistinctId({1, "user", p.id, 0}).ok());
    REQUIRE((*txn)->Commit().ok());
  }
  auto txn = (*store)->Begin();
  REQUIRE(txn.ok());
  auto found = (*txn)->FindByDistinctId(1, "user");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->uuid == p.uuid);
  CHECK((*found)->properties == R"({"a":1})");
  CHECK_FALSE((*txn)->FindByDistinctId(2, "user")->has_value());  // teams are separate
  CHECK((*txn)->DistinctIdsOf(p.id)->size() == 2);
}

TEST_CASE("an uncommitted transaction leaves nothing behind", "[persons]") {
  TempDir dir;
  auto store = PersonStore::Open(dir.File("persons.sqlite"));
  REQUIRE(store.ok());
  {
    auto txn = (*store)->Begin();
    Person p;
    p.uuid = Uuid::V4();
    p.team_id = 1;
    REQUIRE((*txn)->Insert(p).ok());
    REQUIRE((*txn)->SetDistinctId({1, "ghost", p.id, 0}).ok());
    REQUIRE((*txn)->SetApplied("events", 0, 10, "rows").ok());
  }
  auto txn = (*store)->Begin();
  CHECK_FALSE((*txn)->FindByDistinctId(1, "ghost")->has_value());
  CHECK(*(*txn)->AppliedOffset("events", 0) == 0);
}

TEST_CASE("applied offsets and the outbox persist per partition", "[persons]") {
  TempDir dir;
  std::string path = dir.File("persons.sqlite");
  {
    auto store = PersonStore::Open(path);
    auto txn = (*store)->Begin();
    REQUIRE((*txn)->SetApplied("events", 3, 42, "[rows]").ok());
    REQUIRE((*txn)->Commit().ok());
  }
  auto store = PersonStore::Open(path);
  auto txn = (*store)->Begin();
  CHECK(*(*txn)->AppliedOffset("events", 3) == 42);
  CHECK(*(*txn)->Outbox("events", 3) == "[rows]");
  CHECK(*(*txn)->AppliedOffset("events", 4) == 0);
}

TEST_CASE("group types get indexes 0 to 4, first come first served", "[persons]") {
  TempDir dir;
  auto store = PersonStore::Open(dir.File("persons.sqlite"));
  auto txn = (*store)->Begin();
  for (int i = 0; i < 5; ++i) CHECK((*txn)->GroupTypeIndex(1, "type" + std::to_string(i), true)->value() == i);
  CHECK((*txn)->GroupTypeIndex(1, "type2", true)->value() == 2);
  CHECK_FALSE((*txn)->GroupTypeIndex(1, "sixth", true)->has_value());
  CHECK_FALSE((*txn)->GroupTypeIndex(1, "unknown", false)->has_value());
  CHECK((*txn)->GroupTypeIndex(2, "other-team", true)->value() == 0);
  REQUIRE((*txn)->UpsertGroup({1, 0, "acme", R"({"plan":"pro"})", 5, 1}).ok());
  REQUIRE((*txn)->UpsertGroup({1, 0, "acme", R"({"plan":"max"})", 9, 2}).ok());
  auto g = (*txn)->FindGroup(1, 0, "acme");
  REQUIRE(g->has_value());
  CHECK((*g)->properties == R"({"plan":"max"})");
  CHECK((*g)->version == 2);
  CHECK((*g)->created_at == 5);  // created_at is kept from the first insert
}
