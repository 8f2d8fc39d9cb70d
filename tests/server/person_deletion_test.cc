#include "hedgerow/server/person_deletion.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "hedgerow/persons/person_store.h"
#include "hedgerow/store/store.h"
#include "store/store_test_events.h"
#include "support/temp_dir.h"

namespace hedgerow::server {
namespace {

using hedgerow::testing::TempDir;

std::string DistinctIdRow(const std::string& distinct_id, const Uuid& person, int64_t version) {
  return fmt::format(R"({{"team_id":1,"distinct_id":"{}","person_id":"{}","is_deleted":0,"version":{}}})", distinct_id,
                     person.ToString(), version);
}

TEST_CASE("a deletion tried again after the person left the persons store still deletes the events of its distinct ids",
          "[server]") {
  TempDir dir;
  auto log = store::testing::OpenStoreLog(dir.File("log"), 2);
  auto store = store::Store::Open({.dir = dir.File("store"), .merge_threads = 0, .batch_wait = std::chrono::milliseconds(20)},
                                  nullptr);
  REQUIRE(store.ok());
  REQUIRE((*store)->Start(log.get()).ok());
  // "anon-1" had its own person before it was merged into ada's; its events keep that person_id
  // (EventsRow derives it from the distinct id), so only the distinct id finds them.
  const Uuid ada = Uuid::V4();
  const int64_t t0 = 1795955696000000;
  std::vector<log::OutgoingRecord> records;
  for (const char* id : {"anon-1", "ada", "bob"}) {
    std::string event = Uuid::V7().ToString();
    records.push_back({"clickhouse_events_json", -1, {id, store::testing::EventsRow(event, id, t0), 0, {}}});
  }
  records.push_back({"clickhouse_person_distinct_id", -1, {"anon-1", DistinctIdRow("anon-1", ada, 1), 0, {}}});
  records.push_back({"clickhouse_person_distinct_id", -1, {"ada", DistinctIdRow("ada", ada, 0), 0, {}}});
  records.push_back({"clickhouse_person_distinct_id", -1, {"bob", DistinctIdRow("bob", Uuid::V4(), 0), 0, {}}});
  REQUIRE(log->AppendAndWait(std::move(records)).ok());
  store::testing::AwaitConsumed(*log);

  // The persons store no longer has ada: the first attempt deleted it there.
  auto persons = persons::PersonStore::Open(dir.File("persons.sqlite"));
  REQUIRE(persons.ok());
  auto report = DeletePerson(**persons, *log, **store, 1, ada, std::chrono::seconds(10));
  REQUIRE(report.ok());
  CHECK_FALSE(report->person_found);
  CHECK(report->distinct_ids == 2);
  CHECK(report->events_deleted == 2);
  CHECK(report->distinct_id_rows_deleted == 2);
  std::multiset<std::string> left;
  REQUIRE((*store)->table("events")->Scan({.columns = {"distinct_id"}}, [&](uint32_t, store::Block&& b) {
    for (size_t r = 0; r < b.rows(); ++r) left.insert(std::string(b.columns[0].StringAt(r)));
    return Status::Ok();
  }).ok());
  CHECK(left == std::multiset<std::string>{"bob"});
  (*store)->Stop();
}

}  // namespace
}  // namespace hedgerow::server
