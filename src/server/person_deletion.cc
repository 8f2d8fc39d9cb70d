#include "hedgerow/server/person_deletion.h"

#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "hedgerow/cluster/cluster_store.h"
#include "hedgerow/common/log.h"
#include "hedgerow/ingest/person_deletion.h"
#include "hedgerow/log/log.h"
#include "hedgerow/store/store.h"

namespace hedgerow::server {
namespace {

int64_t Int64At(const store::Column& c, size_t row) {
  int64_t v;
  std::memcpy(&v, c.FixedAt(row), sizeof v);
  return v;
}

bool UuidAt(const store::Column& c, size_t row, const Uuid& uuid) {
  return std::memcmp(c.FixedAt(row), uuid.bytes.data(), uuid.bytes.size()) == 0;
}

// Waits until the consumer group of each table (`group_of`) has committed the end its topic
// has now: what the log held when the person was deleted is then in the tables.
Status AwaitConsumers(log::Log& log, const std::vector<std::string>& tables,
                      const std::function<std::string(const store::TableSchema&)>& group_of,
                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const std::string& name : tables) {
    const store::TableSchema& schema = *store::FindPostHogTable(name);
    HEDGEROW_ASSIGN_OR_RETURN(std::vector<log::PartitionInfo> ends, log.Partitions(schema.topic));
    for (const log::PartitionInfo& p : ends) {
      while (true) {
        HEDGEROW_ASSIGN_OR_RETURN(std::optional<log::Offset> committed,
                                  log.Committed(group_of(schema), schema.topic, p.partition));
        if (committed.value_or(0) >= p.end) break;
        if (std::chrono::steady_clock::now() > deadline) {
          return Status::Unavailable(fmt::format(
              "delete person: the store has not inserted {}/{} up to offset {} yet; the person is deleted, try again "
              "to delete its events", schema.topic, p.partition, p.end));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  return Status::Ok();
}

// Both backends' first step: the person and its distinct ids leave the persons store (their
// ids into `distinct_ids`), then the wait until the tables' consumers (`group_of`) hold what
// the log held at that moment.
Status DeleteFromPersons(persons::PersonStore& persons, log::Log& log, int64_t team_id, const Uuid& uuid,
                         const std::function<std::string(const store::TableSchema&)>& group_of,
                         std::chrono::milliseconds catch_up, PersonDeletionReport& report,
                         std::set<std::string, std::less<>>& distinct_ids) {
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<persons::DeletedPerson> deleted, ingest::DeletePerson(persons, log, team_id, uuid));
  if (deleted) {
    report.person_found = true;
    for (const persons::DistinctIdRow& row : deleted->distinct_ids) distinct_ids.insert(row.distinct_id);
  }
  return AwaitConsumers(log, {"events", "person", "person_distinct_id2"}, group_of, catch_up);
}

// The distinct ids whose latest person_distinct_id2 row (FINAL) points at the person: a
// deletion tried again after its first attempt already removed the person from the persons
// store finds them here (an id another person has taken since is not one of them).
Status AddStoredDistinctIds(const store::Store& store, int64_t team_id, const Uuid& uuid,
                            std::set<std::string, std::less<>>& distinct_ids) {
  std::mutex mu;
  return store.table("person_distinct_id2")
      ->Scan({.columns = {"team_id", "person_id", "distinct_id"}, .final = true}, [&](uint32_t, store::Block&& b) {
        std::lock_guard<std::mutex> lock(mu);
        for (size_t r = 0; r < b.rows(); ++r) {
          if (Int64At(b.columns[0], r) == team_id && UuidAt(b.columns[1], r, uuid)) {
            distinct_ids.insert(std::string(b.columns[2].StringAt(r)));
          }
        }
        return Status::Ok();
      });
}

}  // namespace

Result<PersonDeletionReport> DeletePerson(persons::PersonStore& persons, log::Log& log, store::Store& store,
                                          int64_t team_id, const Uuid& uuid, std::chrono::milliseconds catch_up) {
  PersonDeletionReport report;
  std::set<std::string, std::less<>> distinct_ids;
  HEDGEROW_RETURN_IF_ERROR(
      DeleteFromPersons(persons, log, team_id, uuid, &store::ConsumerGroupName, catch_up, report, distinct_ids));
  HEDGEROW_RETURN_IF_ERROR(AddStoredDistinctIds(store, team_id, uuid, distinct_ids));
  report.distinct_ids = distinct_ids.size();
  HEDGEROW_ASSIGN_OR_RETURN(
      report.events_deleted,
      store.table("events")->DeleteRows({"team_id", "person_id", "distinct_id"}, [&](const store::Block& b, size_t r) {
        return Int64At(b.columns[0], r) == team_id &&
               (UuidAt(b.columns[1], r, uuid) || distinct_ids.count(b.columns[2].StringAt(r)) != 0);
      }));
  // The person's rows and its distinct ids' rows, the is_deleted ones too: they were in the
  // log before the wait, so in the parts now, and a distinct id used again later must not
  // lose to its deletion row's higher version.
  HEDGEROW_ASSIGN_OR_RETURN(
      report.person_rows_deleted,
      store.table("person")->DeleteRows({"team_id", "id"}, [&](const store::Block& b, size_t r) {
        return Int64At(b.columns[0], r) == team_id && UuidAt(b.columns[1], r, uuid);
      }));
  HEDGEROW_ASSIGN_OR_RETURN(
      report.distinct_id_rows_deleted,
      store.table("person_distinct_id2")->DeleteRows({"team_id", "person_id", "distinct_id"}, [&](const store::Block& b, size_t r) {
        // Older rows of the same distinct ids (from persons merged into this one) go too:
        // unmerged, they would outrank the version-0 row of a person made for the id later.
        return Int64At(b.columns[0], r) == team_id &&
               (UuidAt(b.columns[1], r, uuid) || distinct_ids.count(b.columns[2].StringAt(r)) != 0);
      }));
  LogInfo("server", "deleted a person",
          {{"team_id", team_id}, {"person", uuid.ToString()}, {"found", report.person_found},
           {"distinct_ids", static_cast<uint64_t>(report.distinct_ids)}, {"events_deleted", report.events_deleted},
           {"person_rows_deleted", report.person_rows_deleted}, {"distinct_id_rows_deleted", report.distinct_id_rows_deleted}});
  return report;
}

Result<PersonDeletionReport> DeletePersonOnCluster(persons::PersonStore& persons, log::Log& log,
                                                   const cluster::ClusterStore& cluster, int64_t team_id,
                                                   const Uuid& uuid, std::chrono::milliseconds catch_up) {
  PersonDeletionReport report;
  std::set<std::string, std::less<>> distinct_ids;
  HEDGEROW_RETURN_IF_ERROR(
      DeleteFromPersons(persons, log, team_id, uuid, &cluster::SinkGroupName, catch_up, report, distinct_ids));
  HEDGEROW_ASSIGN_OR_RETURN(std::vector<std::string> stored, cluster.DistinctIdsOf(team_id, uuid));
  distinct_ids.insert(stored.begin(), stored.end());
  report.distinct_ids = distinct_ids.size();
  HEDGEROW_ASSIGN_OR_RETURN(cluster::ClusterPersonDeletion rows,
                            cluster.DeletePersonRows(team_id, uuid, {distinct_ids.begin(), distinct_ids.end()}, catch_up));
  report.events_deleted = rows.events;
  report.person_rows_deleted = rows.person_rows;
  report.distinct_id_rows_deleted = rows.distinct_id_rows;
  LogInfo("server", "deleted a person on the cluster",
          {{"team_id", team_id}, {"person", uuid.ToString()}, {"found", report.person_found},
           {"distinct_ids", static_cast<uint64_t>(report.distinct_ids)}, {"events_deleted", report.events_deleted},
           {"person_rows_deleted", report.person_rows_deleted}, {"distinct_id_rows_deleted", report.distinct_id_rows_deleted}});
  return report;
}

}  // namespace hedgerow::server
