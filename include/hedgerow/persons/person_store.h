#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hedgerow/common/sqlite.h"
#include "hedgerow/common/status.h"
#include "hedgerow/common/uuid.h"

namespace hedgerow::persons {

// PostHog's posthog_person row.
struct Person {
  int64_t id = 0;  // local row id; `uuid` is the identity other systems see
  Uuid uuid;
  int64_t team_id = 0;
  int64_t created_at = 0;  // µs since epoch
  std::string properties = "{}";  // JSON object
  bool is_identified = false;
  int64_t version = 0;
};

// posthog_persondistinctid: which person a distinct id belongs to.
struct DistinctIdRow {
  int64_t team_id = 0;
  std::string distinct_id;
  int64_t person_id = 0;
  int64_t version = 0;
};

struct Group {
  int64_t team_id = 0;
  int group_type_index = 0;
  std::string group_key;
  std::string properties = "{}";
  int64_t created_at = 0;
  int64_t version = 0;
};

class PersonTxn;

// persons.sqlite (WAL): persons, distinct ids, groups, group type mappings, and for each
// consumed log partition the next offset whose effects are applied plus the rows that batch
// emitted (an outbox), so a crash between the SQLite commit and the log append neither
// re-applies updates nor loses rows. One writer at a time: Begin() holds a mutex until the
// transaction ends. Thread-safe.
//
// Hot persons live in memory: a transaction reads through a cache of committed persons and
// distinct ids, keeps its own writes in memory, and writes each changed person and distinct
// id once, at Commit (write-behind). The cache learns a transaction's writes only after its
// commit succeeded, so a rolled-back batch leaves no trace.
class PersonStore {
 public:
  static Result<std::unique_ptr<PersonStore>> Open(const std::string& path);

  // Starts a write transaction (BEGIN IMMEDIATE); blocks while another is open.
  Result<std::unique_ptr<PersonTxn>> Begin();

 private:
  friend class PersonTxn;
  explicit PersonStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  static std::string DistinctIdKey(int64_t team_id, std::string_view distinct_id);

  std::mutex writer_;  // held by the open PersonTxn; guards everything below
  std::unique_ptr<SqliteDb> db_;
  // Committed state cached: bounded, dropped whole when full (re-read from SQLite lazily).
  std::unordered_map<std::string, int64_t> person_of_;  // DistinctIdKey -> person id
  std::unordered_map<int64_t, Person> persons_;
  int64_t next_person_id_ = 1;
};

// One write transaction. Reads see its own writes. Nothing is visible to other readers or
// durable until Commit(); destroying it uncommitted rolls everything back.
// Not thread-safe: one pipeline batch uses it from one thread.
class PersonTxn {
 public:
  ~PersonTxn();
  PersonTxn(const PersonTxn&) = delete;
  PersonTxn& operator=(const PersonTxn&) = delete;

  // The person `distinct_id` belongs to, or nullopt.
  Result<std::optional<Person>> FindByDistinctId(int64_t team_id, std::string_view distinct_id);
  // Inserts a person (fills `person.id`).
  Status Insert(Person& person);
  // Writes properties, is_identified and version of an existing person.
  Status Update(const Person& person);
  Status Delete(int64_t person_id);
  // Points `distinct_id` at `person_id` with `version` (insert or overwrite).
  Status SetDistinctId(const DistinctIdRow& row);
  Result<std::vector<DistinctIdRow>> DistinctIdsOf(int64_t person_id);

  // Index 0..4 of a group type for a team, assigned first come first served when `create`;
  // nullopt when unknown (and not created) or when all five indexes are taken.
  Result<std::optional<int>> GroupTypeIndex(int64_t team_id, std::string_view group_type, bool create);
  Result<std::optional<Group>> FindGroup(int64_t team_id, int group_type_index, std::string_view group_key);
  Status UpsertGroup(const Group& group);

  // Records that `distinct_id` sent `event`; returns (first time for the team, first time for
  // this distinct id). For the first_time_event app.
  Result<std::pair<bool, bool>> MarkEventSeen(int64_t team_id, std::string_view event, std::string_view distinct_id);

  // The next offset of a log partition whose effects this store holds (0 if never).
  Result<uint64_t> AppliedOffset(std::string_view topic, uint32_t partition);
  // Records that everything before `next_offset` is applied, with the serialized rows the
  // batch emitted (kept until the next batch of the partition replaces them).
  Status SetApplied(std::string_view topic, uint32_t partition, uint64_t next_offset, std::string_view outbox);
  Result<std::string> Outbox(std::string_view topic, uint32_t partition);

  Status Commit();

 private:
  friend class PersonStore;
  PersonTxn(PersonStore& store, std::unique_lock<std::mutex> lock)
      : store_(store), db_(*store.db_), lock_(std::move(lock)), tx_(*store.db_) {}
  Result<std::optional<Person>> ReadPerson(SqliteStatement& stmt);
  Result<std::optional<int64_t>> PersonIdOf(int64_t team_id, std::string_view distinct_id);
  Result<std::optional<Person>> LoadPerson(int64_t person_id);
  Status Flush();

  PersonStore& store_;
  SqliteDb& db_;
  std::unique_lock<std::mutex> lock_;
  SqliteTransaction tx_;
  // This transaction's writes, applied to SQLite and the cache at Commit.
  std::unordered_map<std::string, DistinctIdRow> distinct_id_writes_;  // DistinctIdKey -> row
  std::unordered_map<int64_t, Person> person_writes_;
  std::unordered_set<int64_t> deleted_;
  std::unordered_set<int64_t> inserted_;  // ids Insert() gave out in this transaction
};

}  // namespace hedgerow::persons
