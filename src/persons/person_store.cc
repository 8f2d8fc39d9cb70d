#include "hedgerow/persons/person_store.h"

#include <algorithm>
#include <map>

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

constexpr int kMaxGroupTypes = 5;

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

Result<std::unique_ptr<PersonStore>> PersonStore::Open(const std::string& path, PersonStoreOptions options) {
  HEDGEROW_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path));
  // Every event looks its person up: keep the hot pages in SQLite's cache (64 MiB) and read
  // the rest through mmap instead of one pread per page.
  HEDGEROW_RETURN_IF_ERROR(db->Exec("PRAGMA cache_size = -65536; PRAGMA mmap_size = 268435456; PRAGMA temp_store = MEMORY;"));
  HEDGEROW_RETURN_IF_ERROR(ApplyMigrations(*db, kMigrations));
  std::unique_ptr<PersonStore> store(new PersonStore(std::move(db), options));
  HEDGEROW_RETURN_IF_ERROR(store->LoadPersisted());
  return store;
}

PersonStore::PersonStore(std::unique_ptr<SqliteDb> db, PersonStoreOptions options)
    : options_(options),
      persist_seconds_(options.metrics == nullptr
                           ? nullptr
                           : &options.metrics->GetHistogram("hedgerow_persons_persist_seconds",
                                                           "Time to make applied batches durable in persons.sqlite")),
      db_(std::move(db)) {}

PersonStore::~PersonStore() {
  if (sqlite_txn_open_) {
    db_->ResetCached();
    (void)db_->Exec("ROLLBACK");
  }
}

Status PersonStore::LoadPersisted() {
  // Person ids are assigned in memory (write-behind): continue after the highest one.
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * max_id, db_->Cached("SELECT COALESCE(MAX(id), 0) + 1 FROM person"));
  HEDGEROW_ASSIGN_OR_RETURN(bool row, max_id->Step());
  next_person_id_ = row ? max_id->ColumnInt64(0) : 1;
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
  if (sqlite_txn_open_) {
    db_->ResetCached();
    (void)db_->Exec("ROLLBACK");  // fails harmlessly when SQLite already rolled back (a failed COMMIT)
    sqlite_txn_open_ = false;
  }
  person_of_.clear();
  persons_.clear();
  new_persons_.clear();
  changed_persons_.clear();
  deleted_persons_.clear();
  changed_distinct_ids_.clear();
  changed_keys_of_.clear();
  return LoadPersisted();
}

Status PersonStore::OpenSqliteTxn() {
  if (sqlite_txn_open_) return Status::Ok();
  HEDGEROW_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  sqlite_txn_open_ = true;
  return Status::Ok();
}

bool PersonStore::PersistDue() const {
  return std::chrono::steady_clock::now() - last_persist_ >= options_.persist_interval ||
         persons_.size() > options_.max_cached_persons;
}

void PersonStore::AwaitDeliveries() {
  std::unique_lock<std::mutex> lock(delivery_mu_);
  delivered_.wait(lock, [&] { return in_flight_ == 0; });
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
  std::unique_lock<std::mutex> lock(writer_);
  bool poisoned;
  {
    std::lock_guard<std::mutex> delivery(delivery_mu_);
    poisoned = poisoned_;
  }
  if (poisoned) {
    AwaitDeliveries();
    HEDGEROW_RETURN_IF_ERROR(Reset());
  } else if (PersistDue()) {
    HEDGEROW_RETURN_IF_ERROR(PersistLocked());
  }
  HEDGEROW_RETURN_IF_ERROR(OpenSqliteTxn());
  HEDGEROW_RETURN_IF_ERROR(db_->Exec("SAVEPOINT batch"));
  return std::unique_ptr<PersonTxn>(new PersonTxn(*this, std::move(lock)));
}

Status PersonStore::Persist() {
  std::lock_guard<std::mutex> lock(writer_);
  return PersistLocked();
}

Status PersonStore::PersistIfDue() {
  std::lock_guard<std::mutex> lock(writer_);
  return PersistDue() ? PersistLocked() : Status::Ok();
}

Status PersonStore::PersistLocked() {
  AwaitDeliveries();
  {
    std::lock_guard<std::mutex> lock(delivery_mu_);
    if (poisoned_) return Status::Unavailable("persons: a batch's rows did not reach the log; starting over from the persisted state");
  }
  auto start = std::chrono::steady_clock::now();
  Status status = OpenSqliteTxn();
  if (status.ok()) status = WriteDirty();
  if (status.ok()) {
    db_->ResetCached();
    status = db_->Exec("COMMIT");
  }
  if (!status.ok()) {
    // Nothing is lost: the batches since the last persist are still in the log.
    (void)Reset();
    return status;
  }
  sqlite_txn_open_ = false;
  new_persons_.clear();
  changed_persons_.clear();
  deleted_persons_.clear();
  changed_distinct_ids_.clear();
  changed_keys_of_.clear();
  last_persist_ = std::chrono::steady_clock::now();
  if (persist_seconds_ != nullptr) persist_seconds_->Observe(std::chrono::duration<double>(last_persist_ - start).count());
  if (persons_.size() > options_.max_cached_persons) {
    persons_.clear();
    person_of_.clear();
  }
  return Status::Ok();
}

Status PersonStore::WriteDirty() {
  for (int64_t id : deleted_persons_) {
    HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * del, db_->Cached("DELETE FROM person WHERE id = ?"));
    HEDGEROW_RETURN_IF_ERROR(del->Bind(1, id).Run());
  }
  // In id order: rowids are the table's B-tree key, so neighbouring writes share pages.
  for (int64_t id : SortedIds(new_persons_)) {
    const Person& p = persons_.at(id);
    HEDGEROW_ASSIGN_OR_RETURN(
        SqliteStatement * insert,
        db_->Cached("INSERT INTO person (id, uuid, team_id, created_at, properties, is_identified, version) "
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
  for (int64_t id : SortedIds(changed_persons_)) {
    const Person& p = persons_.at(id);
    HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * update,
                              db_->Cached("UPDATE person SET created_at = ?, properties = ?, is_identified = ?, "
                                          "version = ? WHERE id = ?"));
    HEDGEROW_RETURN_IF_ERROR(update->Bind(1, p.created_at)
                                 .Bind(2, p.properties)
                                 .Bind(3, int64_t{p.is_identified ? 1 : 0})
                                 .Bind(4, p.version)
                                 .Bind(5, p.id)
                                 .Run());
  }
  for (const auto& [key, row] : changed_distinct_ids_) {
    HEDGEROW_ASSIGN_OR_RETURN(
        SqliteStatement * upsert,
        db_->Cached("INSERT INTO person_distinct_id (team_id, distinct_id, person_id, version) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (team_id, distinct_id) DO UPDATE SET person_id = excluded.person_id, "
                    "version = excluded.version"));
    HEDGEROW_RETURN_IF_ERROR(upsert->Bind(1, row.team_id).Bind(2, row.distinct_id).Bind(3, row.person_id).Bind(4, row.version).Run());
  }
  std::map<std::pair<std::string, uint32_t>, uint64_t> applied;
  {
    std::lock_guard<std::mutex> lock(delivery_mu_);
    applied = applied_;
  }
  for (const auto& [partition, next] : applied) {
    HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt,
                              db_->Cached("INSERT INTO applied_offsets (topic, partition, next_offset) VALUES (?, ?, ?) "
                                          "ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset"));
    HEDGEROW_RETURN_IF_ERROR(
        stmt->Bind(1, partition.first).Bind(2, int64_t{partition.second}).Bind(3, static_cast<int64_t>(next)).Run());
  }
  return Status::Ok();
}

PersonTxn::~PersonTxn() {
  db_.ResetCached();  // before the rollback
  if (!committed_) (void)db_.Exec("ROLLBACK TO batch; RELEASE batch");
}

Result<std::optional<Person>> PersonTxn::ReadPerson(SqliteStatement& stmt) {
  HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<Person>();
  Person p;
  p.id = stmt.ColumnInt64(0);
  auto uuid = Uuid::Parse(stmt.ColumnText(1));
  if (!uuid) return Status::Corruption(fmt::format("persons: person {} has a malformed uuid", p.id));
  p.uuid = *uuid;
  p.team_id = stmt.ColumnInt64(2);
  p.created_at = stmt.ColumnInt64(3);
  p.properties = stmt.ColumnText(4);
  p.is_identified = stmt.ColumnInt64(5) != 0;
  p.version = stmt.ColumnInt64(6);
  return std::optional<Person>(std::move(p));
}

Result<std::optional<int64_t>> PersonTxn::PersonIdOf(int64_t team_id, std::string_view distinct_id) {
  std::string key = PersonStore::DistinctIdKey(team_id, distinct_id);
  if (auto it = distinct_id_writes_.find(key); it != distinct_id_writes_.end()) return std::optional<int64_t>(it->second.person_id);
  if (auto it = store_.person_of_.find(key); it != store_.person_of_.end()) return std::optional<int64_t>(it->second);
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt,
                            db_.Cached("SELECT person_id FROM person_distinct_id WHERE team_id = ? AND distinct_id = ?"));
  stmt->Bind(1, team_id).Bind(2, distinct_id);
  HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return std::optional<int64_t>();
  int64_t id = stmt->ColumnInt64(0);
  store_.person_of_.emplace(std::move(key), id);  // committed state: safe to cache now
  return std::optional<int64_t>(id);
}

Result<std::optional<Person>> PersonTxn::LoadPerson(int64_t person_id) {
  if (deleted_.count(person_id) != 0 || store_.deleted_persons_.count(person_id) != 0) return std::optional<Person>();
  if (auto it = person_writes_.find(person_id); it != person_writes_.end()) return std::optional<Person>(it->second);
  if (auto it = store_.persons_.find(person_id); it != store_.persons_.end()) return std::optional<Person>(it->second);
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt, db_.Cached("SELECT id, uuid, team_id, created_at, properties, "
                                                              "is_identified, version FROM person WHERE id = ?"));
  stmt->Bind(1, person_id);
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<Person> p, ReadPerson(*stmt));
  if (p) store_.persons_.emplace(person_id, *p);
  return p;
}

Result<std::optional<Person>> PersonTxn::FindByDistinctId(int64_t team_id, std::string_view distinct_id) {
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<int64_t> id, PersonIdOf(team_id, distinct_id));
  if (!id) return std::optional<Person>();
  return LoadPerson(*id);
}

Status PersonTxn::Insert(Person& person) {
  person.id = store_.next_person_id_++;  // a rolled-back insert leaves a harmless gap
  person_writes_[person.id] = person;
  inserted_.insert(person.id);
  return Status::Ok();
}

Status PersonTxn::Update(const Person& person) {
  person_writes_[person.id] = person;
  return Status::Ok();
}

Status PersonTxn::Delete(int64_t person_id) {
  person_writes_.erase(person_id);
  deleted_.insert(person_id);
  return Status::Ok();
}

Status PersonTxn::SetDistinctId(const DistinctIdRow& row) {
  distinct_id_writes_[PersonStore::DistinctIdKey(row.team_id, row.distinct_id)] = row;
  return Status::Ok();
}

Result<std::vector<DistinctIdRow>> PersonTxn::DistinctIdsOf(int64_t person_id) {
  // Committed rows of the person, then this transaction's moves in and out.
  std::map<std::string, DistinctIdRow> rows;
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt, db_.Cached("SELECT team_id, distinct_id, person_id, version FROM "
                                                              "person_distinct_id WHERE person_id = ?"));
  stmt->Bind(1, person_id);
  while (true) {
    HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    DistinctIdRow r{stmt->ColumnInt64(0), stmt->ColumnText(1), stmt->ColumnInt64(2), stmt->ColumnInt64(3)};
    std::string key = PersonStore::DistinctIdKey(r.team_id, r.distinct_id);
    // Moved away since the last persist?
    if (auto changed = store_.changed_distinct_ids_.find(key);
        changed != store_.changed_distinct_ids_.end() && changed->second.person_id != person_id) {
      continue;
    }
    rows[std::move(key)] = std::move(r);
  }
  // Moved here (or re-versioned) since the last persist.
  if (auto keys = store_.changed_keys_of_.find(person_id); keys != store_.changed_keys_of_.end()) {
    for (const std::string& key : keys->second) {
      const DistinctIdRow& row = store_.changed_distinct_ids_.at(key);
      if (row.person_id == person_id) rows[key] = row;
    }
  }
  for (const auto& [key, row] : distinct_id_writes_) {
    if (row.person_id == person_id) {
      rows[key] = row;
    } else {
      rows.erase(key);
    }
  }
  std::vector<DistinctIdRow> out;
  for (auto& [key, row] : rows) out.push_back(std::move(row));
  std::sort(out.begin(), out.end(), [](const DistinctIdRow& a, const DistinctIdRow& b) { return a.distinct_id < b.distinct_id; });
  return out;
}

Status PersonTxn::Commit() {
  db_.ResetCached();
  HEDGEROW_RETURN_IF_ERROR(db_.Exec("RELEASE batch"));
  committed_ = true;
  // The store learns this batch's writes, and which of them to persist.
  for (int64_t id : deleted_) {
    store_.persons_.erase(id);
    store_.changed_persons_.erase(id);
    if (inserted_.count(id) == 0 && store_.new_persons_.erase(id) == 0) store_.deleted_persons_.insert(id);
  }
  for (auto& [id, p] : person_writes_) {
    if (inserted_.count(id) != 0) {
      store_.new_persons_.insert(id);
    } else if (store_.new_persons_.count(id) == 0) {
      store_.changed_persons_.insert(id);
    }
    store_.persons_[id] = std::move(p);
  }
  for (auto& [key, row] : distinct_id_writes_) {
    store_.person_of_[key] = row.person_id;
    store_.changed_keys_of_[row.person_id].push_back(key);
    store_.changed_distinct_ids_[key] = std::move(row);
  }
  person_writes_.clear();
  distinct_id_writes_.clear();
  deleted_.clear();
  inserted_.clear();
  if (awaits_delivery_) {
    std::lock_guard<std::mutex> lock(store_.delivery_mu_);
    ++store_.in_flight_;
  }
  return Status::Ok();
}

Result<std::optional<int>> PersonTxn::GroupTypeIndex(int64_t team_id, std::string_view group_type, bool create) {
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * find_ptr, db_.Cached("SELECT group_type_index FROM group_type_mapping WHERE team_id = ? AND group_type = ?"));
  SqliteStatement& find = *find_ptr;
  find.Bind(1, team_id).Bind(2, group_type);
  HEDGEROW_ASSIGN_OR_RETURN(bool found, find.Step());
  if (found) return std::optional<int>(static_cast<int>(find.ColumnInt64(0)));
  if (!create) return std::optional<int>();
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * count_ptr, db_.Cached("SELECT COUNT(*) FROM group_type_mapping WHERE team_id = ?"));
  SqliteStatement& count = *count_ptr;
  count.Bind(1, team_id);
  HEDGEROW_ASSIGN_OR_RETURN(bool row, count.Step());
  int next = row ? static_cast<int>(count.ColumnInt64(0)) : 0;
  if (next >= kMaxGroupTypes) return std::optional<int>();
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * insert_ptr, db_.Cached("INSERT INTO group_type_mapping (team_id, group_type, group_type_index) VALUES (?, ?, ?)"));
  SqliteStatement& insert = *insert_ptr;
  HEDGEROW_RETURN_IF_ERROR(insert.Bind(1, team_id).Bind(2, group_type).Bind(3, int64_t{next}).Run());
  return std::optional<int>(next);
}

Result<std::optional<Group>> PersonTxn::FindGroup(int64_t team_id, int group_type_index, std::string_view group_key) {
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt_ptr, db_.Cached("SELECT group_properties, created_at, version FROM groups "
                             "WHERE team_id = ? AND group_type_index = ? AND group_key = ?"));
  SqliteStatement& stmt = *stmt_ptr;
  stmt.Bind(1, team_id).Bind(2, int64_t{group_type_index}).Bind(3, group_key);
  HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<Group>();
  return std::optional<Group>(Group{team_id, group_type_index, std::string(group_key), stmt.ColumnText(0),
                                    stmt.ColumnInt64(1), stmt.ColumnInt64(2)});
}

Status PersonTxn::UpsertGroup(const Group& g) {
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt_ptr, db_.Cached("INSERT INTO groups (team_id, group_type_index, group_key, group_properties, created_at, "
                             "version) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (team_id, group_type_index, group_key) "
                             "DO UPDATE SET group_properties = excluded.group_properties, version = excluded.version"));
  SqliteStatement& stmt = *stmt_ptr;
  return stmt.Bind(1, g.team_id)
      .Bind(2, int64_t{g.group_type_index})
      .Bind(3, g.group_key)
      .Bind(4, g.properties)
      .Bind(5, g.created_at)
      .Bind(6, g.version)
      .Run();
}

Result<std::pair<bool, bool>> PersonTxn::MarkEventSeen(int64_t team_id, std::string_view event,
                                                       std::string_view distinct_id) {
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * any, db_.Cached("SELECT 1 FROM first_events WHERE team_id = ? AND event = ? LIMIT 1"));
  any->Bind(1, team_id).Bind(2, event);
  HEDGEROW_ASSIGN_OR_RETURN(bool seen_ever, any->Step());
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * insert,
                            db_.Cached("INSERT OR IGNORE INTO first_events (team_id, event, distinct_id) VALUES (?, ?, ?)"));
  HEDGEROW_RETURN_IF_ERROR(insert->Bind(1, team_id).Bind(2, event).Bind(3, distinct_id).Run());
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * changes, db_.Cached("SELECT changes()"));
  HEDGEROW_ASSIGN_OR_RETURN(bool row, changes->Step());
  bool new_for_user = row && changes->ColumnInt64(0) > 0;
  return std::make_pair(!seen_ever, new_for_user);
}

uint64_t PersonStore::AppliedOffset(std::string_view topic, uint32_t partition) {
  std::lock_guard<std::mutex> lock(delivery_mu_);
  auto it = applied_.find({std::string(topic), partition});
  return it == applied_.end() ? 0 : it->second;
}

}  // namespace hedgerow::persons
