#pragma once

// Deleting a person for good (GDPR), as DELETE /api/projects/:id/persons/:uuid/ and
// `hedgerow delete-person` ask: persons.sqlite first (ingest::DeletePerson: the person and
// its distinct ids, with is_deleted rows for the store), then, once the store's consumers
// have inserted what the log held at that moment, mutations that rewrite the parts holding
// the person's events (by person_id or by one of its distinct ids), its person rows and its
// distinct id rows (the is_deleted ones included: nothing of the person stays). The distinct
// ids come from the persons store and from person_distinct_id2, so a retry after a failure,
// which finds no person in the persons store any more, still deletes the events of all of
// them. Events of the distinct ids captured later make a new person, as in PostHog.

#include <chrono>
#include <cstdint>

#include "hedgerow/common/status.h"
#include "hedgerow/common/uuid.h"

namespace hedgerow::log {
class Log;
}
namespace hedgerow::persons {
class PersonStore;
}
namespace hedgerow::store {
class Store;
}
namespace hedgerow::cluster {
class ClusterStore;
}

namespace hedgerow::server {

struct PersonDeletionReport {
  bool person_found = false;
  size_t distinct_ids = 0;
  uint64_t events_deleted = 0;
  uint64_t person_rows_deleted = 0;
  uint64_t distinct_id_rows_deleted = 0;
};

// kUnavailable when the store's consumers did not catch up within `catch_up` (try again).
Result<PersonDeletionReport> DeletePerson(persons::PersonStore& persons, log::Log& log, store::Store& store,
                                          int64_t team_id, const Uuid& uuid,
                                          std::chrono::milliseconds catch_up = std::chrono::seconds(30));

// The same with the store on a ClickHouse cluster: waits for the cluster's sinks, reads the
// distinct ids from the cluster's person_distinct_id2 and deletes by mutations on its nodes.
Result<PersonDeletionReport> DeletePersonOnCluster(persons::PersonStore& persons, log::Log& log,
                                                   const cluster::ClusterStore& cluster, int64_t team_id,
                                                   const Uuid& uuid,
                                                   std::chrono::milliseconds catch_up = std::chrono::seconds(30));

}  // namespace hedgerow::server
