// PersonStore's reads for other modules (feature flags): beside batches, never waiting for
// one. The cache holds every change not yet persisted, so what it lacks SQLite has; holding
// cache_mu_ shared across the SQLite read keeps a persist's eviction from dropping a key
// between the two.
#include "hedgerow/persons/person_store.h"

#include "person_rows.h"

namespace hedgerow::persons {

Result<std::optional<Person>> PersonStore::ReadPerson(int64_t team_id, std::string_view distinct_id) {
  std::shared_lock<std::shared_mutex> cache(cache_mu_);
  std::optional<int64_t> person_id;
  if (auto it = person_of_.find(DistinctIdKey(team_id, distinct_id)); it != person_of_.end()) {
    if (it->second == 0) return std::optional<Person>();  // deleted, not yet persisted
    person_id = it->second;
  }
  std::lock_guard<std::mutex> reader(reader_mu_);
  if (!person_id) {
    HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt, reader_db_->Cached("SELECT person_id FROM person_distinct_id "
                                                                        "WHERE team_id = ? AND distinct_id = ?"));
    stmt->Bind(1, team_id).Bind(2, distinct_id);
    HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (row) person_id = stmt->ColumnInt64(0);
    reader_db_->ResetCached();
    if (!person_id) return std::optional<Person>();
  }
  const Changes* layers[] = {&changes_, persisting_.get()};
  for (const Changes* layer : layers) {
    if (layer != nullptr && layer->deleted_persons.count(*person_id) != 0) return std::optional<Person>();
  }
  if (auto it = persons_.find(*person_id); it != persons_.end()) return std::optional<Person>(*it->second);
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt,
                            reader_db_->Cached("SELECT id, uuid, team_id, created_at, properties, is_identified, version "
                                               "FROM person WHERE id = ?"));
  stmt->Bind(1, *person_id);
  Result<std::optional<Person>> person = ReadPersonRow(*stmt);
  reader_db_->ResetCached();
  return person;
}

Result<std::optional<Group>> PersonStore::ReadGroup(int64_t team_id, int group_type_index, std::string_view group_key) {
  std::shared_lock<std::shared_mutex> cache(cache_mu_);
  const std::string key = GroupKey(team_id, group_type_index, group_key);
  const Changes* layers[] = {&changes_, persisting_.get()};  // newest first
  for (const Changes* layer : layers) {
    if (layer == nullptr) continue;
    if (auto it = layer->groups.find(key); it != layer->groups.end()) return std::optional<Group>(it->second);
  }
  std::lock_guard<std::mutex> reader(reader_mu_);
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement * stmt,
                            reader_db_->Cached("SELECT group_properties, created_at, version FROM groups "
                                               "WHERE team_id = ? AND group_type_index = ? AND group_key = ?"));
  stmt->Bind(1, team_id).Bind(2, int64_t{group_type_index}).Bind(3, group_key);
  HEDGEROW_ASSIGN_OR_RETURN(bool row, stmt->Step());
  std::optional<Group> group;
  if (row) {
    group = Group{team_id, group_type_index, std::string(group_key), stmt->ColumnText(0), stmt->ColumnInt64(1),
                  stmt->ColumnInt64(2)};
  }
  reader_db_->ResetCached();
  return group;
}

std::vector<std::string> PersonStore::GroupTypes(int64_t team_id) {
  std::shared_lock<std::shared_mutex> cache(cache_mu_);
  auto it = group_types_.find(team_id);
  return it == group_types_.end() ? std::vector<std::string>() : it->second;
}

}  // namespace hedgerow::persons
