#pragma once

#include <cstdint>
#include <optional>

#include "hedgerow/common/status.h"
#include "hedgerow/common/uuid.h"
#include "hedgerow/log/log.h"
#include "hedgerow/persons/person_store.h"

namespace hedgerow::ingest {

// PostHog's person deletion, persons side: deletes person `uuid` of `team_id` and its
// distinct ids from persons.sqlite (durably), then appends their rows to clickhouse_person
// and clickhouse_person_distinct_id with is_deleted = 1, empty properties and a version 100
// past theirs, as PostHog's deletePerson does, so that FINAL and argMax(..., version) hide
// them even where older rows are still in flight. nullopt when there is no such person.
// The events are the store's to delete (server::DeletePerson).
Result<std::optional<persons::DeletedPerson>> DeletePerson(persons::PersonStore& persons, log::Log& log, int64_t team_id,
                                                           const Uuid& uuid);

}  // namespace hedgerow::ingest
