#include "hedgerow/persons/person_store.h"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <future>

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
    REQUIRE((*txn)->UpsertGroup({1, 0, "ghost-co", "{}", 5, 1}).ok());
    (*txn)->AwaitDelivery();
  }
  auto txn = (*store)->Begin();
  CHECK_FALSE((*txn)->FindByDistinctId(1, "ghost")->has_value());
  CHECK_FALSE((*txn)->FindGroup(1, 0, "ghost-co")->has_value());  // the SQL writes of the batch rolled back too
  CHECK((*store)->AppliedOffset("events", 0) == 0);
}

namespace {

Person NewPerson(PersonTxn& txn, const std::string& distinct_id, const std::string& properties) {
  Person p;
  p.uuid = Uuid::V4();
  p.team_id = 1;
  p.properties = properties;
  REQUIRE(txn.Insert(p).ok());
  REQUIRE(txn.SetDistinctId({1, distinct_id, p.id, 0}).ok());
  return p;
}

// One committed batch whose rows are on their way to the log.
void DeliveringBatch(PersonStore& store, const std::function<void(PersonTxn&)>& apply) {
  auto txn = store.Begin();
  REQUIRE(txn.ok());
  apply(**txn);
  (*txn)->AwaitDelivery();
  REQUIRE((*txn)->Commit().ok());
}

// A person's distinct ids as "id@version " in id order, read in a batch of its own.
std::string DistinctIds(PersonStore& store, int64_t person) {
  auto txn = store.Begin();
  auto rows = (*txn)->DistinctIdsOf(person);
  REQUIRE(rows.ok());
  std::string out;
  for (const auto& r : *rows) out += r.distinct_id + "@" + std::to_string(r.version) + " ";
  return out;
}

std::optional<Person> Find(PersonStore& store, const std::string& distinct_id) {
  auto txn = store.Begin();
  REQUIRE(txn.ok());
  auto p = (*txn)->FindByDistinctId(1, distinct_id);
  REQUIRE(p.ok());
  return *p;
}

}  // namespace

TEST_CASE("committed batches are durable after Persist, with their delivered offsets", "[persons]") {
  TempDir dir;
  std::string path = dir.File("persons.sqlite");
  {
    auto store = PersonStore::Open(path, {.persist_interval = std::chrono::hours(1)});
    REQUIRE(store.ok());
    DeliveringBatch(**store, [](PersonTxn& txn) { NewPerson(txn, "kept", R"({"a":1})"); });
    (*store)->Delivered("events", 3, 42, true);
    CHECK((*store)->AppliedOffset("events", 3) == 42);
    REQUIRE((*store)->Persist().ok());
    DeliveringBatch(**store, [](PersonTxn& txn) { NewPerson(txn, "not-persisted", "{}"); });
    (*store)->Delivered("events", 3, 43, true);
    CHECK(Find(**store, "not-persisted").has_value());  // visible to later batches at once
  }  // dropped without Persist(): as a crash
  auto store = PersonStore::Open(path);
  REQUIRE(store.ok());
  CHECK((*store)->AppliedOffset("events", 3) == 42);
  CHECK((*store)->AppliedOffset("events", 4) == 0);
  auto kept = Find(**store, "kept");
  REQUIRE(kept.has_value());
  CHECK(kept->properties == R"({"a":1})");
  CHECK_FALSE(Find(**store, "not-persisted").has_value());
}

TEST_CASE("a failed delivery drops everything since the last persist", "[persons]") {
  TempDir dir;
  auto store = PersonStore::Open(dir.File("persons.sqlite"), {.persist_interval = std::chrono::hours(1)});
  REQUIRE(store.ok());
  DeliveringBatch(**store, [](PersonTxn& txn) { NewPerson(txn, "u1", R"({"v":1})"); });
  (*store)->Delivered("events", 0, 10, true);
  REQUIRE((*store)->Persist().ok());
  DeliveringBatch(**store, [](PersonTxn& txn) {
    auto p = txn.FindByDistinctId(1, "u1");
    REQUIRE(p->has_value());
    Person changed = **p;
    changed.properties = R"({"v":2})";
    ++changed.version;
    REQUIRE(txn.Update(changed).ok());
    NewPerson(txn, "u2", "{}");
  });
  (*store)->Delivered("events", 0, 20, true);
  DeliveringBatch(**store, [](PersonTxn& txn) { NewPerson(txn, "u3", "{}"); });
  (*store)->Delivered("events", 0, 30, false);
  // The next batch starts from the persisted state: offset 10, u1 at version 0.
  auto u1 = Find(**store, "u1");
  REQUIRE(u1.has_value());
  CHECK(u1->properties == R"({"v":1})");
  CHECK(u1->version == 0);
  CHECK_FALSE(Find(**store, "u2").has_value());
  CHECK_FALSE(Find(**store, "u3").has_value());
  CHECK((*store)->AppliedOffset("events", 0) == 10);
}

TEST_CASE("a failed delivery when a persist is due starts over instead of failing every batch", "[persons]") {
  // Issue 16, point 10: Begin() persists first when due, and a persist refuses to write while
  // the store is poisoned; were that refusal Begin()'s answer, Reset() would never run and
  // every batch after it would fail until a restart. A zero interval: a persist is always due.
  TempDir dir;
  auto store = PersonStore::Open(dir.File("persons.sqlite"), {.persist_interval = std::chrono::milliseconds(0)});
  REQUIRE(store.ok());
  DeliveringBatch(**store, [](PersonTxn& txn) { NewPerson(txn, "u1", "{}"); });
  (*store)->Delivered("events", 0, 10, true);
  DeliveringBatch(**store, [](PersonTxn& txn) { NewPerson(txn, "u2", "{}"); });
  (*store)->Delivered("events", 0, 20, false);
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto txn = (*store)->Begin();
    REQUIRE(txn.ok());
    CHECK((*txn)->FindByDistinctId(1, "u1")->has_value());  // persisted by the Begin() before u2's batch
    CHECK_FALSE((*txn)->FindByDistinctId(1, "u2")->has_value());  // dropped: it is processed again
  }
  CHECK((*store)->AppliedOffset("events", 0) == 10);
  CHECK((*store)->PersistedOffset("events", 0) == 10);
  // Batches go on and persist again.
  DeliveringBatch(**store, [](PersonTxn& txn) { NewPerson(txn, "u2", "{}"); });
  (*store)->Delivered("events", 0, 20, true);
  REQUIRE((*store)->PersistIfDue().ok());
  CHECK((*store)->PersistedOffset("events", 0) == 20);
}

TEST_CASE("Persist waits for a committed batch's delivery", "[persons]") {
  TempDir dir;
  auto store = PersonStore::Open(dir.File("persons.sqlite"), {.persist_interval = std::chrono::hours(1)});
  REQUIRE(store.ok());
  DeliveringBatch(**store, [](PersonTxn& txn) { NewPerson(txn, "u1", "{}"); });
  auto persisted = std::async(std::launch::async, [&] { return (*store)->Persist(); });
  // Persisting now would make the batch durable before its rows are in the log.
  CHECK(persisted.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout);
  (*store)->Delivered("events", 0, 5, true);
  REQUIRE(persisted.get().ok());
  CHECK((*store)->AppliedOffset("events", 0) == 5);
}

TEST_CASE("distinct ids moved since the last persist are found on their new person", "[persons]") {
  TempDir dir;
  std::string path = dir.File("persons.sqlite");
  auto store = PersonStore::Open(path, {.persist_interval = std::chrono::hours(1)});
  REQUIRE(store.ok());
  int64_t a = 0, b = 0;
  {
    auto txn = (*store)->Begin();
    Person pa = NewPerson(**txn, "a1", "{}");
    REQUIRE((*txn)->SetDistinctId({1, "a2", pa.id, 0}).ok());
    b = NewPerson(**txn, "b1", "{}").id;
    a = pa.id;
    REQUIRE((*txn)->Commit().ok());
  }
  REQUIRE((*store)->Persist().ok());
  {
    auto txn = (*store)->Begin();
    REQUIRE((*txn)->SetDistinctId({1, "a1", b, 1}).ok());
    REQUIRE((*txn)->Commit().ok());
  }
  CHECK(DistinctIds(**store, a) == "a2@0 ");
  CHECK(DistinctIds(**store, b) == "a1@1 b1@0 ");
  REQUIRE((*store)->Persist().ok());
  auto reopened = PersonStore::Open(path);
  CHECK(DistinctIds(**reopened, a) == "a2@0 ");
  CHECK(DistinctIds(**reopened, b) == "a1@1 b1@0 ");
}

TEST_CASE("a full person cache is persisted and dropped, and read back lazily", "[persons]") {
  TempDir dir;
  // Ten persons with their ids take ~1.8 KB of cache: 4 KB holds two batches, not three.
  const size_t limit = 4096;
  auto store = PersonStore::Open(dir.File("persons.sqlite"),
                                 {.persist_interval = std::chrono::hours(1), .max_cached_bytes = limit});
  REQUIRE(store.ok());
  size_t most = 0;
  for (int batch = 0; batch < 5; ++batch) {
    auto txn = (*store)->Begin();
    for (int i = 0; i < 10; ++i) NewPerson(**txn, fmt::format("u{}-{}", batch, i), fmt::format(R"({{"i":{}}})", i));
    REQUIRE((*txn)->Commit().ok());
    CHECK((*store)->CachedBytes() > 0);
    most = std::max(most, (*store)->CachedBytes());
  }
  // Begin() persisted and emptied the cache whenever it was over the limit, so it never
  // held more than the limit and one batch.
  CHECK(most > limit);
  CHECK(most < 2 * limit);
  REQUIRE((*store)->Persist().ok());
  CHECK((*store)->CachedBytes() <= limit);  // under the limit, what the last batch made stays
  for (int batch = 0; batch < 5; ++batch) {
    for (int i = 0; i < 10; ++i) {
      auto p = Find(**store, fmt::format("u{}-{}", batch, i));
      REQUIRE(p.has_value());
      CHECK(p->properties == fmt::format(R"({{"i":{}}})", i));
    }
  }
}

TEST_CASE("a person cache under its limit keeps what it read and wrote", "[persons]") {
  TempDir dir;
  auto store = PersonStore::Open(dir.File("persons.sqlite"), {.persist_interval = std::chrono::hours(1)});
  REQUIRE(store.ok());
  auto txn = (*store)->Begin();
  NewPerson(**txn, "kept", R"({"plan":"pro"})");
  REQUIRE((*txn)->Commit().ok());
  txn->reset();
  size_t cached = (*store)->CachedBytes();
  CHECK(cached > 0);
  REQUIRE((*store)->Persist().ok());
  CHECK((*store)->CachedBytes() == cached);
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

TEST_CASE("batches go on during a persist and see what it is writing; groups and first events persist", "[persons]") {
  TempDir dir;
  std::string path = dir.File("persons.sqlite");
  std::promise<void> started, resume;
  std::shared_future<void> resumed = resume.get_future().share();
  PersonStoreOptions options{.persist_interval = std::chrono::hours(1)};
  options.on_persist_started = [&, first = true]() mutable {
    if (!std::exchange(first, false)) return;
    started.set_value();
    resumed.wait();
  };
  auto store = PersonStore::Open(path, options);
  REQUIRE(store.ok());
  int64_t a = 0, b = 0;
  {
    auto txn = (*store)->Begin();
    Person pa = NewPerson(**txn, "a1", "{}");
    REQUIRE((*txn)->SetDistinctId({1, "a2", pa.id, 0}).ok());
    a = pa.id;
    b = NewPerson(**txn, "b1", "{}").id;
    CHECK((*txn)->GroupTypeIndex(1, "company", true)->value() == 0);
    REQUIRE((*txn)->UpsertGroup({1, 0, "acme", R"({"v":1})", 5, 1}).ok());
    CHECK((*txn)->MarkEventSeen(1, "signup", "a1").value() == std::make_pair(true, true));
    REQUIRE((*txn)->Commit().ok());
  }

  auto persisted = std::async(std::launch::async, [&] { return (*store)->Persist(); });
  // A failed check must not leave the persist waiting (and the test hanging on it).
  struct Resume {
    std::promise<void>& promise;
    bool done = false;
    void operator()() { done = true, promise.set_value(); }
    ~Resume() { if (!done) promise.set_value(); }
  } resume_persist{resume};
  started.get_future().wait();  // the first batch is being written, not yet committed
  {
    auto txn = (*store)->Begin();
    REQUIRE(txn.ok());
    CHECK((*txn)->FindByDistinctId(1, "a2")->value().id == a);
    auto group = (*txn)->FindGroup(1, 0, "acme");
    REQUIRE(group->has_value());
    CHECK((*group)->properties == R"({"v":1})");
    CHECK((*txn)->GroupTypeIndex(1, "company", false)->value() == 0);
    CHECK((*txn)->GroupTypeIndex(1, "project", true)->value() == 1);
    CHECK((*txn)->MarkEventSeen(1, "signup", "a1").value() == std::make_pair(false, false));
    CHECK((*txn)->MarkEventSeen(1, "signup", "b1").value() == std::make_pair(false, true));
    REQUIRE((*txn)->SetDistinctId({1, "a1", b, 1}).ok());
    REQUIRE((*txn)->UpsertGroup({1, 0, "acme", R"({"v":2})", 9, 2}).ok());
    REQUIRE((*txn)->Commit().ok());
  }
  CHECK(DistinctIds(**store, a) == "a2@0 ");
  CHECK(DistinctIds(**store, b) == "a1@1 b1@0 ");
  resume_persist();
  REQUIRE(persisted.get().ok());
  // SQLite has a1 on `a` now; the second batch's move is still only in memory.
  CHECK(DistinctIds(**store, a) == "a2@0 ");
  CHECK(DistinctIds(**store, b) == "a1@1 b1@0 ");
  REQUIRE((*store)->Persist().ok());

  auto reopened = PersonStore::Open(path);
  REQUIRE(reopened.ok());
  CHECK(DistinctIds(**reopened, a) == "a2@0 ");
  CHECK(DistinctIds(**reopened, b) == "a1@1 b1@0 ");
  auto txn = (*reopened)->Begin();
  auto group = (*txn)->FindGroup(1, 0, "acme");
  REQUIRE(group->has_value());
  CHECK((*group)->properties == R"({"v":2})");
  CHECK((*group)->version == 2);
  CHECK((*group)->created_at == 5);
  CHECK((*txn)->GroupTypeIndex(1, "project", false)->value() == 1);
  CHECK((*txn)->MarkEventSeen(1, "signup", "b1").value() == std::make_pair(false, false));
  CHECK((*txn)->MarkEventSeen(1, "signup", "c1").value() == std::make_pair(false, true));
  CHECK((*txn)->MarkEventSeen(1, "login", "c1").value() == std::make_pair(true, true));
}

TEST_CASE("CheckHealth reads persons.sqlite and reports a failed persist until one succeeds", "[persons]") {
  TempDir dir;
  bool sabotage = false;
  PersonStoreOptions options{.persist_interval = std::chrono::hours(1)};
  // Another connection takes the person table away while the persist is about to write it.
  options.on_persist_started = [&] {
    if (!sabotage) return;
    auto db = SqliteDb::Open(dir.File("persons.sqlite"));
    REQUIRE(db.ok());
    REQUIRE((*db)->Exec("ALTER TABLE person RENAME TO person_away").ok());
  };
  auto store = PersonStore::Open(dir.File("persons.sqlite"), options);
  REQUIRE(store.ok());
  CHECK((*store)->CheckHealth().ok());
  sabotage = true;
  DeliveringBatch(**store, [](PersonTxn& txn) { NewPerson(txn, "u1", "{}"); });
  (*store)->Delivered("events", 0, 10, true);
  CHECK_FALSE((*store)->Persist().ok());
  Status health = (*store)->CheckHealth();
  CHECK(health.code() == StatusCode::kUnavailable);
  CHECK(health.message().find("the last persist failed") != std::string::npos);
  // Put right, the next persist succeeds and health follows it.
  sabotage = false;
  {
    auto db = SqliteDb::Open(dir.File("persons.sqlite"));
    REQUIRE(db.ok());
    REQUIRE((*db)->Exec("ALTER TABLE person_away RENAME TO person").ok());
  }
  // Idle (no batch to start over): PersistIfDue starts over, the next persist succeeds.
  REQUIRE((*store)->PersistIfDue().ok());
  CHECK((*store)->AppliedOffset("events", 0) == 0);
  REQUIRE((*store)->Persist().ok());
  CHECK((*store)->CheckHealth().ok());
}

TEST_CASE("deleting a person removes it and its distinct ids, durably, and a later event starts afresh", "[persons]") {
  TempDir dir;
  auto store = PersonStore::Open(dir.File("persons.sqlite"));
  REQUIRE(store.ok());
  Person p, other;
  p.uuid = Uuid::V4();
  p.team_id = 1;
  p.properties = R"({"email":"a@example.com"})";
  other.uuid = Uuid::V4();
  other.team_id = 1;
  {
    auto txn = (*store)->Begin();
    REQUIRE(txn.ok());
    REQUIRE((*txn)->Insert(p).ok());
    REQUIRE((*txn)->Insert(other).ok());
    REQUIRE((*txn)->SetDistinctId({1, "anon", p.id, 0}).ok());
    REQUIRE((*txn)->SetDistinctId({1, "ada", p.id, 2}).ok());
    REQUIRE((*txn)->SetDistinctId({1, "bob", other.id, 0}).ok());
    REQUIRE((*txn)->Commit().ok());  // not persisted yet: DeletePerson finds it anyway
  }
  CHECK(!(*store)->DeletePerson(2, p.uuid)->has_value());  // another team's
  CHECK(!(*store)->DeletePerson(1, Uuid::V4())->has_value());
  auto deleted = (*store)->DeletePerson(1, p.uuid);
  REQUIRE(deleted.ok());
  REQUIRE(deleted->has_value());
  CHECK((*deleted)->person.properties == R"({"email":"a@example.com"})");
  REQUIRE((*deleted)->distinct_ids.size() == 2);
  CHECK((*deleted)->distinct_ids[0].distinct_id == "ada");
  CHECK((*deleted)->distinct_ids[0].version == 2);
  CHECK((*deleted)->distinct_ids[1].distinct_id == "anon");
  CHECK(!(*store)->ReadPerson(1, "ada")->has_value());
  CHECK((*store)->ReadPerson(1, "bob")->has_value());
  {
    auto txn = (*store)->Begin();
    REQUIRE(txn.ok());
    CHECK(!(*txn)->FindByDistinctId(1, "anon")->has_value());
    CHECK((*txn)->FindByDistinctId(1, "bob")->has_value());
  }
  CHECK(!(*store)->DeletePerson(1, p.uuid)->has_value());
  store->reset();  // no Persist: DeletePerson made it durable
  auto reopened = PersonStore::Open(dir.File("persons.sqlite"));
  REQUIRE(reopened.ok());
  CHECK(!(*reopened)->ReadPerson(1, "ada")->has_value());
  CHECK(!(*reopened)->ReadPerson(1, "anon")->has_value());
  CHECK((*reopened)->ReadPerson(1, "bob")->has_value());
  // A new event of "ada" makes a new person.
  auto txn = (*reopened)->Begin();
  REQUIRE(txn.ok());
  CHECK(!(*txn)->FindByDistinctId(1, "ada")->has_value());
  Person again;
  again.uuid = Uuid::V4();
  again.team_id = 1;
  REQUIRE((*txn)->Insert(again).ok());
  REQUIRE((*txn)->SetDistinctId({1, "ada", again.id, 4}).ok());
  REQUIRE((*txn)->Commit().ok());
  txn->reset();
  CHECK((*(*reopened)->ReadPerson(1, "ada"))->uuid == again.uuid);
}
