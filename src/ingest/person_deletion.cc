#include "hedgerow/ingest/person_deletion.h"

#include "rows.h"

namespace hedgerow::ingest {

// PostHog's versions for the deletion rows: past every update the person could have had.
constexpr int64_t kDeletionVersionStep = 100;

Result<std::optional<persons::DeletedPerson>> DeletePerson(persons::PersonStore& persons, log::Log& log, int64_t team_id,
                                                           const Uuid& uuid) {
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<persons::DeletedPerson> deleted, persons.DeletePerson(team_id, uuid));
  if (!deleted) return deleted;
  std::vector<log::OutgoingRecord> tombstones;
  auto add = [&](OutputRow&& row) {
    log::OutgoingRecord r;
    r.topic = std::string(row.topic);
    r.record.key = std::move(row.key);
    r.record.value = std::move(row.value);
    tombstones.push_back(std::move(r));
  };
  persons::Person gone = deleted->person;
  gone.properties = "{}";
  gone.version += kDeletionVersionStep;
  add(PersonRow(gone, /*is_deleted=*/true));
  for (persons::DistinctIdRow row : deleted->distinct_ids) {
    row.version += kDeletionVersionStep;
    add(DistinctIdRow(row, uuid, /*is_deleted=*/true));
  }
  HEDGEROW_RETURN_IF_ERROR(log.AppendAndWait(std::move(tombstones)).status());
  return deleted;
}

}  // namespace hedgerow::ingest
