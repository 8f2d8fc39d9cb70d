#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "hedgerow/common/metrics.h"
#include "hedgerow/common/sqlite.h"
#include "hedgerow/common/status.h"
#include "hedgerow/common/uuid.h"

namespace hedgerow::persons {

template <typename K, typename V>
using FlatMap = boost::unordered_flat_map<K, V>;
template <typename K>
using FlatSet = boost::unordered_flat_set<K>;

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

// What DeletePerson removed.
struct DeletedPerson {
  Person person;
  std::vector<DistinctIdRow> distinct_ids;  // as they were
};

struct PersonStoreOptions {
  // Applied batches become durable together, in one SQLite transaction, at most this long
  // after they were applied. Until then they live in memory (and in the log they came from:
  // a crash replays them). One commit per batch wrote every touched page of the person table
  // to the WAL each time; ingest_bench spent a third of its time there.
  std::chrono::milliseconds persist_interval{5000};  // ingest_bench: 2 s -> 5 s, +6%
  // Bytes the cache of persons and distinct ids may hold (CachedBytes()); past this the cache
  // is persisted and what it then holds unchanged is dropped (re-read lazily from SQLite's
  // pages). A count of persons bounded nothing: with GeoIP a person is ~3 KB, and 500k of
  // them held 300 MB of e2e_bench's 1.5 GB peak.
  size_t max_cached_bytes = 64u << 20;
  // Where hedgerow_persons_persist_seconds goes (one observation per SQLite commit); optional.
  MetricsRegistry* metrics = nullptr;
  // Tests: called on the persisting thread once a persist has taken the changes it writes,
  // before it writes them (batches may run meanwhile, on other threads).
  std::function<void()> on_persist_started;
};

// persons.sqlite (WAL): persons, distinct ids, groups, group type mappings, first events
// and, for each consumed log partition, the next offset whose effects it holds. Thread-safe.
//
// A PersonTxn is one batch; one is open at a time (Begin() blocks). Its Commit() makes the
// batch visible to later batches at once and durable at the next persist: batches change
// only memory (a cache over SQLite plus the changes since the last persist), and a persist
// writes every change once, with the applied offsets, in one SQLite transaction on its own
// connection, while the next batches go on. A batch that awaits delivery (AwaitDelivery)
// is only persisted after Delivered() reported its rows appended to the log; so after a
// crash the persisted offsets never run ahead of the log, and the batches after them are
// processed again from the state persisted with those offsets (the pipeline drops the rows
// the log already has). Other readers of persons.sqlite see it up to persist_interval behind.
class PersonStore {
 public:
  static Result<std::unique_ptr<PersonStore>> Open(const std::string& path, PersonStoreOptions options = {});
  // Does not persist: what was not persisted is gone, as in a crash.
  ~PersonStore();

  // Starts a batch; blocks while another is open. Persists first when due (PersistIfDue),
  // and starts over from the persisted state after a failed delivery or persist.
  Result<std::unique_ptr<PersonTxn>> Begin();

  // The rows of a committed batch that called AwaitDelivery() reached the log (`ok`), and
  // with them everything before `next_offset` of the partition is applied; or they did not:
  // then everything not persisted is dropped at the next Begin(), to be processed again.
  void Delivered(std::string_view topic, uint32_t partition, uint64_t next_offset, bool ok);
  // The next offset of a log partition whose effects this store holds (0 if never): the
  // last delivered batch's, persisted or not.
  uint64_t AppliedOffset(std::string_view topic, uint32_t partition);
  // The next offset of a log partition whose effects persons.sqlite holds durably (0 if
  // never): where processing starts again after a crash or a failed delivery, so the lowest
  // offset of the partition this store may still need to re-read (the log's retention floor,
  // Log::SetRetentionFloor). At most AppliedOffset(); it only grows.
  uint64_t PersistedOffset(std::string_view topic, uint32_t partition);

  // Makes every committed and delivered batch durable now (waits for a persist and for
  // deliveries under way).
  Status Persist();
  // Persists on the calling thread if persist_interval has passed since the last persist
  // began (or the cache is full) and no other persist is under way. Batches go on meanwhile.
  // After a failed delivery or persist there is nothing to persist: it starts over from
  // SQLite instead, as the next Begin() would (Persist() reports kUnavailable then).
  Status PersistIfDue();

  // Deletes person `uuid` of `team_id` and its distinct ids (GDPR), durably: persisted
  // before it returns. nullopt when the team has no such person. Waits for the open batch;
  // a later event of one of the distinct ids makes a new person, as in PostHog.
  Result<std::optional<DeletedPerson>> DeletePerson(int64_t team_id, const Uuid& uuid);

  // Reads for other modules (feature flags), safe beside batches and persists, and never
  // waiting for a batch: the committed state later batches see (a batch's uncommitted writes
  // are not), from the cache when it holds the key, else one primary-key read of
  // persons.sqlite. nullopt when there is no such person or group.
  Result<std::optional<Person>> ReadPerson(int64_t team_id, std::string_view distinct_id);
  Result<std::optional<Group>> ReadGroup(int64_t team_id, int group_type_index, std::string_view group_key);
  // A team's group types by index (PostHog's group_type_mapping; at most five).
  std::vector<std::string> GroupTypes(int64_t team_id);

  // For readiness: Ok when persons.sqlite answers a read (or a batch is using it) and the
  // last persist (if any) succeeded; kUnavailable naming the problem otherwise. Never waits
  // for a batch.
  Status CheckHealth();

  // What the cache of persons and distinct ids holds: their strings and a fixed cost per
  // entry (an estimate of the heap they take, for the bound and /metrics).
  size_t CachedBytes() const { return cached_bytes_.load(std::memory_order_relaxed); }

 private:
  friend class PersonTxn;

  // What committed batches changed since a persist began; the next persist writes it.
  struct Changes {
    FlatSet<int64_t> new_persons;      // not in SQLite yet
    FlatSet<int64_t> changed_persons;  // in SQLite, changed since
    FlatSet<int64_t> deleted_persons;  // in SQLite, deleted since
    FlatMap<std::string, DistinctIdRow> distinct_ids;  // DistinctIdKey -> row
    FlatMap<int64_t, std::vector<std::string>> keys_moved_to;  // person id -> DistinctIdKeys moved to it
    FlatMap<std::string, Group> groups;  // GroupKey -> group
    struct GroupType {
      int64_t team_id;
      std::string group_type;
      int index;
    };
    std::vector<GroupType> group_types;
    struct FirstEvent {
      int64_t team_id;
      std::string event;
      std::string distinct_id;
    };
    FlatMap<std::string, FirstEvent> first_events;  // FirstEventKey(team, event) + distinct id -> row
    FlatSet<std::string> first_event_names;         // FirstEventKey(team, event)
  };

  PersonStore(std::unique_ptr<SqliteDb> db, std::unique_ptr<SqliteDb> writer_db, std::unique_ptr<SqliteDb> reader_db,
              PersonStoreOptions options);
  static std::string DistinctIdKey(int64_t team_id, std::string_view distinct_id);
  static std::string GroupKey(int64_t team_id, int group_type_index, std::string_view group_key);
  static std::string FirstEventKey(int64_t team_id, std::string_view event);
  // Under persist_mu_: takes the changes under batch_mu_ (only if due, with `only_if_due`)
  // and writes them while batches go on.
  Status PersistUnderLock(bool only_if_due);
  // On writer_db_, in one transaction.
  using PersonList = std::vector<std::shared_ptr<const Person>>;
  Status WriteChanges(const Changes& changes, const PersonList& inserted, const PersonList& updated,
                      const std::map<std::pair<std::string, uint32_t>, uint64_t>& applied);
  // Under batch_mu_. Waits until no committed batch awaits Delivered().
  void AwaitDeliveries();
  bool Poisoned();
  // Under persist_mu_ and batch_mu_: drops everything not persisted and rereads what
  // SQLite holds (offsets, next person id, group types).
  Status Reset();
  Status LoadPersisted();
  bool PersistDue() const;
  static size_t CacheCost(const Person& person);
  static size_t CacheCost(const std::string& distinct_id_key);
  // Under cache_mu_ (exclusive): the cache's entries change.
  void CachePerson(int64_t id, Person person);
  void UncachePerson(int64_t id);
  void CacheDistinctId(std::string key, int64_t person_id);

  const PersonStoreOptions options_;
  Histogram* const persist_seconds_;  // null without metrics
  // Lock order: persist_mu_, batch_mu_, delivery_mu_.
  std::mutex persist_mu_;  // held by the persist under way
  std::unique_ptr<SqliteDb> writer_db_;  // the persists' connection, the only one that writes; under persist_mu_
  std::mutex batch_mu_;  // held by the open PersonTxn; guards everything below but the delivery state
  // The batches' connection: reads only, each batch in fresh read transactions (statements
  // are reset when it ends) so that it sees every persist that ended before it began.
  std::unique_ptr<SqliteDb> db_;
  std::chrono::steady_clock::time_point last_persist_ = std::chrono::steady_clock::now();
  // Cache of persons and distinct ids, including every change not yet persisted. Open
  // addressing (Boost's flat maps): a lookup of 100k+ keys costs one cache miss, not three.
  // Every change to the cache (person_of_, persons_, group_types_, changes_, persisting_)
  // happens under batch_mu_ and, exclusively, under cache_mu_; Read*() take it shared, so
  // they never wait for a batch, only for a batch's Commit (or a persist's hand-over).
  std::shared_mutex cache_mu_;
  FlatMap<std::string, int64_t> person_of_;  // DistinctIdKey -> person id
  // Shared and immutable: a persist writes the persons it took while batches replace them.
  FlatMap<int64_t, std::shared_ptr<const Person>> persons_;
  std::atomic<size_t> cached_bytes_{0};  // CacheCost of persons_ and person_of_; changed under cache_mu_
  int64_t next_person_id_ = 1;
  FlatMap<int64_t, std::vector<std::string>> group_types_;  // team -> its group types by index, all of them
  Changes changes_;  // since the persist under way, or the last one, began
  std::shared_ptr<const Changes> persisting_;  // what the persist under way writes; null when none

  // Delivery state, shared with the threads that append rows to the log.
  std::mutex delivery_mu_;
  std::condition_variable delivered_;
  size_t in_flight_ = 0;  // committed batches awaiting Delivered()
  bool poisoned_ = false;  // a delivery or persist failed: start over from SQLite
  std::map<std::pair<std::string, uint32_t>, uint64_t> applied_;  // (topic, partition) -> next offset, delivered
  std::map<std::pair<std::string, uint32_t>, uint64_t> persisted_;  // the same, in SQLite
  Status last_persist_error_;  // Ok unless the last persist failed

  // Read*()'s connection for what the cache lacks; taken under cache_mu_ (shared), so that
  // the cache cannot drop what SQLite has yet to show.
  std::mutex reader_mu_;
  std::unique_ptr<SqliteDb> reader_db_;  // guarded by reader_mu_
};

// One batch. Reads see its own writes. Nothing is visible to other batches until Commit();
// destroying it uncommitted rolls everything back.
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

  // The batch's rows go to the log after Commit(): the store cannot persist it, nor anything
  // after it, until PersonStore::Delivered() says how that went.
  void AwaitDelivery() { awaits_delivery_ = true; }

  Status Commit();

 private:
  friend class PersonStore;
  PersonTxn(PersonStore& store, std::unique_lock<std::mutex> lock)
      : store_(store), db_(*store.db_), lock_(std::move(lock)) {}
  Result<std::optional<int64_t>> PersonIdOf(int64_t team_id, std::string_view distinct_id);
  Result<std::optional<Person>> LoadPerson(int64_t person_id);
  bool Deleted(int64_t person_id) const;

  PersonStore& store_;
  SqliteDb& db_;
  std::unique_lock<std::mutex> lock_;
  bool awaits_delivery_ = false;
  // This batch's writes, handed to the store at Commit.
  FlatMap<std::string, DistinctIdRow> distinct_id_writes_;  // DistinctIdKey -> row
  FlatMap<int64_t, Person> person_writes_;
  FlatSet<int64_t> deleted_;
  FlatSet<int64_t> inserted_;  // ids Insert() gave out in this batch
  FlatMap<std::string, Group> group_writes_;  // GroupKey -> group
  std::vector<PersonStore::Changes::GroupType> new_group_types_;
  FlatMap<std::string, PersonStore::Changes::FirstEvent> first_events_;
  FlatSet<std::string> first_event_names_;
};

}  // namespace hedgerow::persons
