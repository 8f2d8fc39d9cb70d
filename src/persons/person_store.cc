#include "hedgerow/persons/person_store.h"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

namespace hedgerow::persons {
namespace {

const SqliteMigration kMigrations[] = {
    {1, "persons",
     "CREATE TABLE person ("
     "  id INTEGER PRIMARY KEY,"
     "  uuid TEXT NOT NULL,"
     "  team_id INTEGER NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  properties TEXT NOT NULL,"
     "  is_identified INTEGER NOT NULL,"
     "  version INTEGER NOT NULL,"
     "  UNIQUE (team_id, uuid));"
     "CREATE TABLE person_distinct_id ("
     "  team_id INTEGER NOT NULL,"
     "  distinct_id TEXT NOT NULL,"
     "  person_id INTEGER NOT NULL,"
     "  version INTEGER NOT NULL,"
     "  PRIMARY KEY (team_id, distinct_id)) WITHOUT ROWID;"
     "CREATE INDEX person_distinct_id_by_person ON person_distinct_id (person_id);"
     "CREATE TABLE group_type_mapping ("
     "  team_id INTEGER NOT NULL,"
     "  group_type TEXT NOT NULL,"
     "  group_type_index INTEGER NOT NULL,"
     "  PRIMARY KEY (team_id, group_type),"
     "  UNIQUE (team_id, group_type_index));"
     "CREATE TABLE groups ("
     "  team_id INTEGER NOT NULL,"
     "  group_type_index INTEGER NOT NULL,"
     "  group_key TEXT NOT NULL,"
     "  group_properties TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  version INTEGER NOT NULL,"
     "  PRIMARY KEY (team_id, group_type_index, group_key)) WITHOUT ROWID;"
     "CREATE TABLE applied_offsets ("
     "  topic TEXT NOT NULL,"
     "  partition INTEGER NOT NULL,"
     "  next_offset INTEGER NOT NULL,"
     "  outbox BLOB NOT NULL,"
     "  PRIMARY KEY (topic, partition));"},
    {2, "first_events",
     "CREATE TABLE first_events ("
     "  team_id INTEGER NOT NULL,"
     "  event TEXT NOT NULL,"
     "  distinct_id TEXT NOT NULL,"
     "  PRIMARY KEY (team_id, event, distinct_id)) WITHOUT ROWID;"},
    // Rows are no longer kept for re-sending: a batch is persisted only after its rows are in the log.
    {3, "no_outbox", "ALTER TABLE applied_offsets DROP COLUMN outbox;"},
};

std::vector<int64_t> SortedIds(const FlatSet<int64_t>& ids) {
  std::vector<int64_t> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

}  // namespace

std::string PersonStore::DistinctIdKey(int64_t team_id, std::string_view distinct_id) {
  std::string key = std::to_string(team_id);
  key += '\0';
  key += distinct_id;
  return key;
}

std::string PersonStore::GroupKey(int64_t team_id, int group_type_index, std::string_view group_key) {
  std::string key = fmt::format("{}", team_id);
  key += '\0';
  key += static_cast<char>('0' + group_type_index);
  key += group_key;
  return key;
}

std::string PersonStore::FirstEventKey(int64_t team_id, std::string_view event) {
  return fmt::format("{}:{}:{}", team_id, event.size(), event);  // sized: a distinct id may follow
}

Result<std::unique_ptr<PersonStore>> PersonStore::Open(const std::string& path, PersonStoreOptions options) {
  HEDGEROW_ASSIGN_OR_RETURN(auto writer_db, SqliteDb::Open(path));
  HEDGEROW_RETURN_IF_ERROR(writer_db->Exec("PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;"));
  HEDGEROW_RETURN_IF_ERROR(ApplyMigrations(*writer_db, kMigrations));
  HEDGEROW_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path));
  // Batches read what is not cached: keep the hot pages in SQLite's cache and read the first
  // 64 MB through mmap instead of one pread per page. Mapped pages count in the RSS, so a
  // larger map made a soak's RSS grow with persons.sqlite (up to 256 MB).
  HEDGEROW_RETURN_IF_ERROR(db->Exec("PRAGMA cache_size = -32768; PRAGMA mmap_size = 67108864;"));
  // Flags' reads (one person by key now and then) go through SQLite's own small cache.
  HEDGEROW_ASSIGN_OR_RETURN(auto reader_db, SqliteDb::Open(path));
  std::unique_ptr<PersonStore> store(
      new PersonStore(std::move(db), std::move(writer_db), std::move(reader_db), options));
  HEDGEROW_RETURN_IF_ERROR(store->LoadPersisted());
  return store;
}

PersonStore::PersonStore(std::unique_ptr<SqliteDb> db, std::unique_ptr<SqliteDb> writer_db,
                         std::unique_ptr<SqliteDb> reader_db, PersonStoreOptions options)
    : options_(options),
      persist_seconds_(options.metrics == nullptr
                           ? nullptr
                           : &options.metrics->GetHistogram("hedgerow_persons_persist_seconds",
                                                           "Time to make applied batches durable in persons.sqlite")),
      writer_db_(std::move(writer_db)),
      db_(std::move(db)),
      reader_db_(std::move(reader_db)) {}

PersonStore::~PersonStore() = default;

Status PersonStore::LoadPersisted() {
  // Person ids are assigned in memory (write-behind): continue after the highest one.
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * max_id, db_->Cached("SELECT COALESCE(MAX(id), 0) + 1 FROM person"));
  HEDGEROW_ASSIGN_OR_RETURN(bool row, max_id->Step());
  next_person_id_ = row ? max_id->ColumnInt64(0) : 1;
  // Group types are few (five a team at most): all of them stay in memory.
  FlatMap<int64_t, std::vector<std::string>> group_types;
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * types, db_->Cached("SELECT team_id, group_type FROM group_type_mapping "
                                                                "ORDER BY team_id, group_type_index"));
  while (true) {
    HEDGEROW_ASSIGN_OR_RETURN(bool more, types->Step());
    if (!more) break;
    group_types[types->ColumnInt64(0)].push_back(types->ColumnText(1));
  }
  {
    std::unique_lock<std::shared_mutex> cache(cache_mu_);
    group_types_ = std::move(group_types);
  }
  std::map<std::pair<std::string, uint32_t>, uint64_t> applied;
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * offsets, db_->Cached("SELECT topic, partition, next_offset FROM applied_offsets"));
  while (true) {
    HEDGEROW_ASSIGN_OR_RETURN(bool more, offsets->Step());
    if (!more) break;
    applied[{offsets->ColumnText(0), static_cast<uint32_t>(offsets->ColumnInt64(1))}] =
        static_cast<uint64_t>(offsets->ColumnInt64(2));
  }
  db_->ResetCached();
  std::lock_guard<std::mutex> lock(delivery_mu_);
  persisted_ = applied;
  applied_ = std::move(applied);
  poisoned_ = false;
  return Status::Ok();
}

Status PersonStore::Reset() {
  {
    // Until LoadPersisted() succeeds, the next Begin() must start over again.
    std::lock_guard<std::mutex> lock(delivery_mu_);
    poisoned_ = true;
  }
  {
    std::unique_lock<std::shared_mutex> cache(cache_mu_);
    person_of_.clear();
    persons_.clear();
    cached_bytes_ = 0;
    changes_ = Changes();
    persisting_.reset();
  }
  return LoadPersisted();
}

size_t PersonStore::CacheCost(const Person& person) {
  return sizeof(int64_t) + sizeof(std::shared_ptr<const Person>) + sizeof(Person) + person.properties.capacity();
}

size_t PersonStore::CacheCost(const std::string& distinct_id_key) {
  return sizeof(std::string) + sizeof(int64_t) + distinct_id_key.capacity();
}

void PersonStore::CachePerson(int64_t id, Person person) {
  size_t cost = CacheCost(person);
  auto [it, inserted] = persons_.try_emplace(id);
  if (!inserted) cached_bytes_ -= CacheCost(*it->second);
  it->second = std::make_shared<const Person>(std::move(person));
  cached_bytes_ += cost;
}

void PersonStore::UncachePerson(int64_t id) {
  if (auto it = persons_.find(id); it != persons_.end()) {
    cached_bytes_ -= CacheCost(*it->second);
    persons_.erase(it);
  }
}

void PersonStore::CacheDistinctId(std::string key, int64_t person_id) {
  size_t cost = CacheCost(key);
  auto [it, inserted] = person_of_.try_emplace(std::move(key), person_id);
  if (inserted) {
    cached_bytes_ += cost;
  } else {
    it->second = person_id;
  }
}

bool PersonStore::PersistDue() const {
  return std::chrono::steady_clock::now() - last_persist_ >= options_.persist_interval ||
         CachedBytes() > options_.max_cached_bytes;
}

void PersonStore::AwaitDeliveries() {
  std::unique_lock<std::mutex> lock(delivery_mu_);
  delivered_.wait(lock, [&] { return in_flight_ == 0; });
}

bool PersonStore::Poisoned() {
  std::lock_guard<std::mutex> lock(delivery_mu_);
  return poisoned_;
}

void PersonStore::Delivered(std::string_view topic, uint32_t partition, uint64_t next_offset, bool ok) {
  std::lock_guard<std::mutex> lock(delivery_mu_);
  --in_flight_;
  if (ok) {
    applied_[{std::string(topic), partition}] = next_offset;
  } else {
    poisoned_ = true;
  }
  delivered_.notify_all();
}

Result<std::unique_ptr<PersonTxn>> PersonStore::Begin() {
  HEDGEROW_RETURN_IF_ERROR(PersistIfDue());
  std::unique_lock<std::mutex> lock(batch_mu_);
  if (Poisoned()) {
    // Starting over must not overlap a persist: its commit would outdate what is reread.
    lock.unlock();
    std::lock_guard<std::mutex> persisting(persist_mu_);
    lock.lock();
    if (Poisoned()) {
      AwaitDeliveries();
      HEDGEROW_RETURN_IF_ERROR(Reset());
    }
  }
  return std::unique_ptr<PersonTxn>(new PersonTxn(*this, std::move(lock)));
}

Status PersonStore::Persist() {
  std::lock_guard<std::mutex> persisting(persist_mu_);
  return PersistUnderLock(false);
}

Result<std::optional<DeletedPerson>> PersonStore::DeletePerson(int64_t team_id, const Uuid& uuid) {
  // SQLite then holds every person: their uuids are not indexed in the cache.
  HEDGEROW_RETURN_IF_ERROR(Persist());
  std::optional<int64_t> id;
  {
    std::lock_guard<std::mutex> reader(reader_mu_);
    HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt,
                              reader_db_->Cached("SELECT id FROM person WHERE team_id = ? AND uuid = ?"));
    stmt->Bind(1, team_id).Bind(2, uuid.ToString());
    Result<bool> row = stmt->Step();
    if (row.ok() && *row) id = stmt->ColumnInt64(0);
    reader_db_->ResetCached();
    HEDGEROW_RETURN_IF_ERROR(row.status());
  }
  if (!id) return std::optional<DeletedPerson>();
  {
    HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<PersonTxn> txn, Begin());
    HEDGEROW_ASSIGN_OR_RETURN(std::optional<Person> person, txn->LoadPerson(*id));
    if (!person) return std::optional<DeletedPerson>();  // merged away meanwhile
    DeletedPerson deleted{std::move(*person), {}};
    HEDGEROW_ASSIGN_OR_RETURN(deleted.distinct_ids, txn->DistinctIdsOf(*id));
    HEDGEROW_RETURN_IF_ERROR(txn->Delete(*id));
    for (const DistinctIdRow& row : deleted.distinct_ids) {
      // person_id 0: the distinct id is removed (PersonTxn and the persist read it so).
      HEDGEROW_RETURN_IF_ERROR(txn->SetDistinctId({row.team_id, row.distinct_id, 0, row.version + 1}));
    }
    HEDGEROW_RETURN_IF_ERROR(txn->Commit());
    txn.reset();
    HEDGEROW_RETURN_IF_ERROR(Persist());
    return std::optional<DeletedPerson>(std::move(deleted));
  }
}

Status PersonStore::PersistIfDue() {
  std::unique_lock<std::mutex> persisting(persist_mu_, std::try_to_lock);
  if (!persisting.owns_lock()) return Status::Ok();  // one is under way
  {
    // Poisoned: start over now rather than at the next batch, which an idle pipeline may
    // not have for a long time (readiness and memory would wait for it).
    std::lock_guard<std::mutex> lock(batch_mu_);
    if (Poisoned()) {
      AwaitDeliveries();
      return Reset();
    }
  }
  return PersistUnderLock(true);
}

Status PersonStore::CheckHealth() {
  {
    std::lock_guard<std::mutex> delivery(delivery_mu_);
    if (!last_persist_error_.ok()) {
      return Status::Unavailable("persons: the last persist failed: " + last_persist_error_.message());
    }
  }
  // A read on the batches' connection, as a batch would make. A batch holds it for its
  // whole transaction: then that batch is the proof of life, and readiness does not wait.
  std::unique_lock<std::mutex> lock(batch_mu_, std::try_to_lock);
  if (!lock.owns_lock()) return Status::Ok();
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement stmt, db_->Prepare("SELECT count(*) FROM sqlite_master"));
  HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row || stmt.ColumnInt64(0) == 0) return Status::Unavailable("persons: persons.sqlite has no tables");
  return Status::Ok();
}

Status PersonStore::PersistUnderLock(bool only_if_due) {
  // Take the changes and their persons (shared: batches go on replacing persons in the
  // cache, never changing one), with the offsets they were applied up to.
  std::shared_ptr<const Changes> changes;
  PersonList inserted, updated;
  std::map<std::pair<std::string, uint32_t>, uint64_t> applied;
  {
    std::lock_guard<std::mutex> lock(batch_mu_);
    if (only_if_due && !PersistDue()) return Status::Ok();
    AwaitDeliveries();
    {
      std::lock_guard<std::mutex> delivery(delivery_mu_);
      if (poisoned_) {
        // Nothing here may be persisted. When Begin() asks (only_if_due), this is not its
        // error: it goes on to start over, which an error here would prevent for good.
        if (only_if_due) return Status::Ok();
        return Status::Unavailable("persons: a batch's rows did not reach the log; starting over from the persisted state");
      }
      applied = applied_;
    }
    // In id order: rowids are the table's B-tree key, so neighbouring writes share pages.
    inserted.reserve(changes_.new_persons.size());
    for (int64_t id : SortedIds(changes_.new_persons)) inserted.push_back(persons_.at(id));
    updated.reserve(changes_.changed_persons.size());
    for (int64_t id : SortedIds(changes_.changed_persons)) updated.push_back(persons_.at(id));
    std::unique_lock<std::shared_mutex> cache(cache_mu_);
    changes = persisting_ = std::make_shared<const Changes>(std::exchange(changes_, Changes()));
    last_persist_ = std::chrono::steady_clock::now();
  }
  if (options_.on_persist_started) options_.on_persist_started();
  auto start = std::chrono::steady_clock::now();
  Status status = WriteChanges(*changes, inserted, updated, applied);
  auto end = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(batch_mu_);
  std::unique_lock<std::shared_mutex> cache(cache_mu_);
  persisting_.reset();  // in SQLite now, or to be dropped by Reset()
  if (!status.ok()) {
    // Nothing is lost: the batches since the last persist are still in the log.
    std::lock_guard<std::mutex> delivery(delivery_mu_);
    poisoned_ = true;
    last_persist_error_ = status;
    return status;
  }
  {
    std::lock_guard<std::mutex> delivery(delivery_mu_);
    for (const auto& [partition, next] : applied) persisted_[partition] = next;
    last_persist_error_ = Status::Ok();
  }
  if (persist_seconds_ != nullptr) persist_seconds_->Observe(std::chrono::duration<double>(end - start).count());
  if (CachedBytes() > options_.max_cached_bytes) {
    // Keep only what the next persist has yet to write.
    size_t kept = 0;
    boost::unordered::erase_if(persons_, [&](const auto& entry) {
      bool drop = changes_.new_persons.count(entry.first) == 0 && changes_.changed_persons.count(entry.first) == 0;
      if (!drop) kept += CacheCost(*entry.second);
      return drop;
    });
    boost::unordered::erase_if(person_of_, [&](const auto& entry) {
      bool drop = changes_.distinct_ids.count(entry.first) == 0;
      if (!drop) kept += CacheCost(entry.first);
      return drop;
    });
    cached_bytes_ = kept;
  }
  return Status::Ok();
}

Status PersonStore::WriteChanges(const Changes& c, const PersonList& inserted, const PersonList& updated,
                                 const std::map<std::pair<std::string, uint32_t>, uint64_t>& applied) {
  SqliteDb& db = *writer_db_;
  HEDGEROW_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  Status status = [&]() -> Status {
    for (int64_t id : c.deleted_persons) {
      HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * del, db.Cached("DELETE FROM person WHERE id = ?"));
      HEDGEROW_RETURN_IF_ERROR(del->Bind(1, id).Run());
    }
    for (const auto& inserted_person : inserted) {
      const Person& p = *inserted_person;
      HEDGEROW_ASSIGN_OR_RETURN(
          SqliteStatement * insert,
          db.Cached("INSERT INTO person (id, uuid, team_id, created_at, properties, is_identified, version) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)"));
      HEDGEROW_RETURN_IF_ERROR(insert->Bind(1, p.id)
                                   .Bind(2, p.uuid.ToString())
                                   .Bind(3, p.team_id)
                                   .Bind(4, p.created_at)
                                   .Bind(5, p.properties)
                                   .Bind(6, int64_t{p.is_identified ? 1 : 0})
                                   .Bind(7, p.version)
                                   .Run());
    }
    // Known persons are updated in place by rowid, which touches no index (uuid and team_id
    // never change).
    for (const auto& updated_person : updated) {
      const Person& p = *updated_person;
      HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * update,
                                db.Cached("UPDATE person SET created_at = ?, properties = ?, is_identified = ?, "
                                          "version = ? WHERE id = ?"));
      HEDGEROW_RETURN_IF_ERROR(update->Bind(1, p.created_at)
                                   .Bind(2, p.properties)
                                   .Bind(3, int64_t{p.is_identified ? 1 : 0})
                                   .Bind(4, p.version)
                                   .Bind(5, p.id)
                                   .Run());
    }
    for (const auto& [key, row] : c.distinct_ids) {
      if (row.person_id == 0) {  // deleted (DeletePerson)
        HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * del,
                                  db.Cached("DELETE FROM person_distinct_id WHERE team_id = ? AND distinct_id = ?"));
        HEDGEROW_RETURN_IF_ERROR(del->Bind(1, row.team_id).Bind(2, row.distinct_id).Run());
        continue;
      }
      HEDGEROW_ASSIGN_OR_RETURN(
          SqliteStatement * upsert,
          db.Cached("INSERT INTO person_distinct_id (team_id, distinct_id, person_id, version) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (team_id, distinct_id) DO UPDATE SET person_id = excluded.person_id, "
                    "version = excluded.version"));
      HEDGEROW_RETURN_IF_ERROR(upsert->Bind(1, row.team_id).Bind(2, row.distinct_id).Bind(3, row.person_id).Bind(4, row.version).Run());
    }
    for (const Changes::GroupType& t : c.group_types) {
      HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * insert, db.Cached("INSERT INTO group_type_mapping (team_id, group_type, "
                                                                    "group_type_index) VALUES (?, ?, ?)"));
      HEDGEROW_RETURN_IF_ERROR(insert->Bind(1, t.team_id).Bind(2, t.group_type).Bind(3, int64_t{t.index}).Run());
    }
    for (const auto& [key, g] : c.groups) {
      HEDGEROW_ASSIGN_OR_RETURN(
          SqliteStatement * upsert,
          db.Cached("INSERT INTO groups (team_id, group_type_index, group_key, group_properties, created_at, version) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (team_id, group_type_index, group_key) "
                    "DO UPDATE SET group_properties = excluded.group_properties, version = excluded.version"));
      HEDGEROW_RETURN_IF_ERROR(upsert->Bind(1, g.team_id)
                                   .Bind(2, int64_t{g.group_type_index})
                                   .Bind(3, g.group_key)
                                   .Bind(4, g.properties)
                                   .Bind(5, g.created_at)
                                   .Bind(6, g.version)
                                   .Run());
    }
    for (const auto& [key, e] : c.first_events) {
      HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * insert, db.Cached("INSERT OR IGNORE INTO first_events (team_id, event, "
                                                                    "distinct_id) VALUES (?, ?, ?)"));
      HEDGEROW_RETURN_IF_ERROR(insert->Bind(1, e.team_id).Bind(2, e.event).Bind(3, e.distinct_id).Run());
    }
    for (const auto& [partition, next] : applied) {
      HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt,
                                db.Cached("INSERT INTO applied_offsets (topic, partition, next_offset) VALUES (?, ?, ?) "
                                          "ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset"));
      HEDGEROW_RETURN_IF_ERROR(
          stmt->Bind(1, partition.first).Bind(2, int64_t{partition.second}).Bind(3, static_cast<int64_t>(next)).Run());
    }
    db.ResetCached();
    return db.Exec("COMMIT");
  }();
  if (!status.ok()) {
    db.ResetCached();
    (void)db.Exec("ROLLBACK");  // fails harmlessly when SQLite already rolled back (a failed COMMIT)
  }
  return status;
}

uint64_t PersonStore::AppliedOffset(std::string_view topic, uint32_t partition) {
  std::lock_guard<std::mutex> lock(delivery_mu_);
  auto it = applied_.find({std::string(topic), partition});
  return it == applied_.end() ? 0 : it->second;
}

uint64_t PersonStore::PersistedOffset(std::string_view topic, uint32_t partition) {
  std::lock_guard<std::mutex> lock(delivery_mu_);
  auto it = persisted_.find({std::string(topic), partition});
  return it == persisted_.end() ? 0 : it->second;
}

}  // namespace hedgerow::persons
