// One batch of the person store: its writes stay in its own maps until Commit() hands them
// to the store's cache and changes. Reads look, newest first, at the batch's writes, the
// store's changes since the persist under way began, that persist's changes (in SQLite only
// once it commits) and SQLite.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "hedgerow/persons/person_store.h"
#include "person_rows.h"

namespace hedgerow::persons {
namespace {

constexpr int kMaxGroupTypes = 5;

}  // namespace

PersonTxn::~PersonTxn() {
  // No statement may keep its read transaction: the next batch must see later persists.
  db_.ResetCached();
}

Result<std::optional<Person>> ReadPersonRow(SqliteStatement& stmt) {
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
  // Person id 0 marks a deleted distinct id (PersonStore::DeletePerson).
  auto found = [](int64_t id) { return id == 0 ? std::optional<int64_t>() : std::optional<int64_t>(id); };
  if (auto it = distinct_id_writes_.find(key); it != distinct_id_writes_.end()) return found(it->second.person_id);
  // The cache holds every distinct id changed and not yet persisted.
  if (auto it = store_.person_of_.find(key); it != store_.person_of_.end()) return found(it->second);
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt,
                            db_.Cached("SELECT person_id FROM person_distinct_id WHERE team_id = ? AND distinct_id = ?"));
  stmt->Bind(1, team_id).Bind(2, distinct_id);
  HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return std::optional<int64_t>();
  int64_t id = stmt->ColumnInt64(0);
  std::unique_lock<std::shared_mutex> cache(store_.cache_mu_);
  store_.CacheDistinctId(std::move(key), id);  // committed state: safe to cache now
  return std::optional<int64_t>(id);
}

bool PersonTxn::Deleted(int64_t person_id) const {
  const PersonStore::Changes* persisting = store_.persisting_.get();
  return deleted_.count(person_id) != 0 || store_.changes_.deleted_persons.count(person_id) != 0 ||
         (persisting != nullptr && persisting->deleted_persons.count(person_id) != 0);
}

Result<std::optional<Person>> PersonTxn::LoadPerson(int64_t person_id) {
  if (Deleted(person_id)) return std::optional<Person>();
  if (auto it = person_writes_.find(person_id); it != person_writes_.end()) return std::optional<Person>(it->second);
  // The cache holds every person changed and not yet persisted.
  if (auto it = store_.persons_.find(person_id); it != store_.persons_.end()) return std::optional<Person>(*it->second);
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt, db_.Cached("SELECT id, uuid, team_id, created_at, properties, "
                                                              "is_identified, version FROM person WHERE id = ?"));
  stmt->Bind(1, person_id);
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<Person> p, ReadPersonRow(*stmt));
  if (p) {
    std::unique_lock<std::shared_mutex> cache(store_.cache_mu_);
    store_.CachePerson(person_id, *p);
  }
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
  // The person's rows in SQLite, then the moves in and out of each newer layer in turn.
  std::map<std::string, DistinctIdRow> rows;
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt, db_.Cached("SELECT team_id, distinct_id, person_id, version FROM "
                                                              "person_distinct_id WHERE person_id = ?"));
  stmt->Bind(1, person_id);
  while (true) {
    HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    DistinctIdRow r{stmt->ColumnInt64(0), stmt->ColumnText(1), stmt->ColumnInt64(2), stmt->ColumnInt64(3)};
    rows[PersonStore::DistinctIdKey(r.team_id, r.distinct_id)] = std::move(r);
  }
  const PersonStore::Changes* oldest_first[] = {store_.persisting_.get(), &store_.changes_};
  for (const PersonStore::Changes* layer : oldest_first) {
    if (layer == nullptr) continue;
    std::erase_if(rows, [&](const auto& entry) {
      auto moved = layer->distinct_ids.find(entry.first);
      return moved != layer->distinct_ids.end() && moved->second.person_id != person_id;
    });
    if (auto keys = layer->keys_moved_to.find(person_id); keys != layer->keys_moved_to.end()) {
      for (const std::string& key : keys->second) {
        const DistinctIdRow& row = layer->distinct_ids.at(key);
        if (row.person_id == person_id) rows[key] = row;  // else moved on again within the layer
      }
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
  // The store learns this batch's writes, and which of them to persist.
  std::unique_lock<std::shared_mutex> cache(store_.cache_mu_);
  PersonStore::Changes& changes = store_.changes_;
  for (int64_t id : deleted_) {
    store_.UncachePerson(id);
    changes.changed_persons.erase(id);
    if (inserted_.count(id) == 0 && changes.new_persons.erase(id) == 0) changes.deleted_persons.insert(id);
  }
  for (auto& [id, p] : person_writes_) {
    if (inserted_.count(id) != 0) {
      changes.new_persons.insert(id);
    } else if (changes.new_persons.count(id) == 0) {
      changes.changed_persons.insert(id);  // in SQLite, or will be when the persist under way ends
    }
    store_.CachePerson(id, std::move(p));
  }
  for (auto& [key, row] : distinct_id_writes_) {
    store_.CacheDistinctId(key, row.person_id);
    changes.keys_moved_to[row.person_id].push_back(key);
    changes.distinct_ids[key] = std::move(row);
  }
  for (auto& [key, group] : group_writes_) changes.groups[key] = std::move(group);
  for (PersonStore::Changes::GroupType& t : new_group_types_) {
    store_.group_types_[t.team_id].push_back(t.group_type);
    changes.group_types.push_back(std::move(t));
  }
  for (auto& [key, e] : first_events_) changes.first_events.emplace(key, std::move(e));
  changes.first_event_names.insert(first_event_names_.begin(), first_event_names_.end());
  person_writes_.clear();
  distinct_id_writes_.clear();
  deleted_.clear();
  inserted_.clear();
  group_writes_.clear();
  new_group_types_.clear();
  first_events_.clear();
  first_event_names_.clear();
  if (awaits_delivery_) {
    std::lock_guard<std::mutex> lock(store_.delivery_mu_);
    ++store_.in_flight_;
  }
  return Status::Ok();
}

Result<std::optional<int>> PersonTxn::GroupTypeIndex(int64_t team_id, std::string_view group_type, bool create) {
  // The team's types in index order: the store's (all of them), then this batch's.
  size_t count = 0;
  if (auto it = store_.group_types_.find(team_id); it != store_.group_types_.end()) {
    const std::vector<std::string>& types = it->second;
    if (auto found = std::find(types.begin(), types.end(), group_type); found != types.end()) {
      return std::optional<int>(static_cast<int>(found - types.begin()));
    }
    count = types.size();
  }
  for (const PersonStore::Changes::GroupType& t : new_group_types_) {
    if (t.team_id != team_id) continue;
    if (t.group_type == group_type) return std::optional<int>(t.index);
    ++count;
  }
  if (!create || count >= kMaxGroupTypes) return std::optional<int>();
  int index = static_cast<int>(count);
  new_group_types_.push_back({team_id, std::string(group_type), index});
  return std::optional<int>(index);
}

Result<std::optional<Group>> PersonTxn::FindGroup(int64_t team_id, int group_type_index, std::string_view group_key) {
  std::string key = PersonStore::GroupKey(team_id, group_type_index, group_key);
  if (auto it = group_writes_.find(key); it != group_writes_.end()) return std::optional<Group>(it->second);
  const PersonStore::Changes* newest_first[] = {&store_.changes_, store_.persisting_.get()};
  for (const PersonStore::Changes* layer : newest_first) {
    if (layer == nullptr) continue;
    if (auto it = layer->groups.find(key); it != layer->groups.end()) return std::optional<Group>(it->second);
  }
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt, db_.Cached("SELECT group_properties, created_at, version FROM groups "
                                                              "WHERE team_id = ? AND group_type_index = ? AND group_key = ?"));
  stmt->Bind(1, team_id).Bind(2, int64_t{group_type_index}).Bind(3, group_key);
  HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return std::optional<Group>();
  return std::optional<Group>(Group{team_id, group_type_index, std::string(group_key), stmt->ColumnText(0),
                                    stmt->ColumnInt64(1), stmt->ColumnInt64(2)});
}

Status PersonTxn::UpsertGroup(const Group& g) {
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<Group> existing, FindGroup(g.team_id, g.group_type_index, g.group_key));
  Group& written = group_writes_[PersonStore::GroupKey(g.team_id, g.group_type_index, g.group_key)] = g;
  if (existing) written.created_at = existing->created_at;  // kept from the first insert
  return Status::Ok();
}

Result<std::pair<bool, bool>> PersonTxn::MarkEventSeen(int64_t team_id, std::string_view event,
                                                       std::string_view distinct_id) {
  const std::string name_key = PersonStore::FirstEventKey(team_id, event);
  const std::string key = name_key + std::string(distinct_id);
  const PersonStore::Changes* layers[] = {&store_.changes_, store_.persisting_.get()};
  bool seen_ever = first_event_names_.count(name_key) != 0;
  bool seen_by_user = first_events_.count(key) != 0;
  for (const PersonStore::Changes* layer : layers) {
    if (layer == nullptr) continue;
    seen_ever = seen_ever || layer->first_event_names.count(name_key) != 0;
    seen_by_user = seen_by_user || layer->first_events.count(key) != 0;
  }
  if (!seen_ever) {
    HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * any,
                              db_.Cached("SELECT 1 FROM first_events WHERE team_id = ? AND event = ? LIMIT 1"));
    any->Bind(1, team_id).Bind(2, event);
    HEDGEROW_ASSIGN_OR_RETURN(seen_ever, any->Step());
  }
  if (!seen_by_user && seen_ever) {
    HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * one, db_.Cached("SELECT 1 FROM first_events WHERE team_id = ? AND "
                                                               "event = ? AND distinct_id = ?"));
    one->Bind(1, team_id).Bind(2, event).Bind(3, distinct_id);
    HEDGEROW_ASSIGN_OR_RETURN(seen_by_user, one->Step());
  }
  if (!seen_by_user) {
    first_events_.emplace(key, PersonStore::Changes::FirstEvent{team_id, std::string(event), std::string(distinct_id)});
    first_event_names_.insert(name_key);
  }
  return std::make_pair(!seen_ever, !seen_by_user);
}

}  // namespace hedgerow::persons
