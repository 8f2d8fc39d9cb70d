#include "hedgerow/store/store.h"

#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "store/store_test_events.h"
#include "support/temp_dir.h"

namespace hedgerow::store {
namespace {

using hedgerow::testing::TempDir;

// Waits until every consumer group of the store has read its topic to the end.
void AwaitConsumed(log::Log& log) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (true) {
    auto lag = log.Lag();
    REQUIRE(lag.ok());
    bool behind = false;
    for (const auto& l : *lag) behind = behind || (l.group.rfind("store_", 0) == 0 && l.lag() > 0);
    if (!behind) return;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TEST_CASE("the consumers move topic rows into the tables, skip undecodable rows, and resume where the parts end",
          "[store]") {
  TempDir dir;
  auto log = log::Log::Open({.dir = dir.File("log")}, nullptr);
  REQUIRE(log.ok());
  testing::CreateStoreTopics(**log, 4);
  // No background merges: the test sees the duplicates, then merges itself.
  StoreOptions options{.dir = dir.File("store"), .shards = 2, .merge_threads = 0, .batch_rows = 500,
                       .batch_wait = std::chrono::milliseconds(20)};
  MetricsRegistry metrics;
  std::set<std::string> sent;
  std::vector<log::OutgoingRecord> records;
  int64_t t0 = 1795955696000000;
  for (int i = 0; i < 3000; ++i) {
    std::string uuid = Uuid::V7().ToString();
    sent.insert(uuid);
    std::string row = testing::EventsRow(uuid, "user-" + std::to_string(i % 37), t0 + i * 1000000LL);
    records.push_back({"clickhouse_events_json", -1, {uuid, row, NowMicros() / 1000, {}}});
    if (i % 1000 == 0) records.push_back({"clickhouse_events_json", -1, {uuid, row, NowMicros() / 1000, {}}});  // a replay
  }
  records.push_back({"clickhouse_events_json", 0, {"", "not json", 0, {}}});
  records.push_back({"clickhouse_person", -1, {"p", R"({"id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","team_id":1,"properties":"{}","version":0})", 0, {}}});
  records.push_back({"clickhouse_person", -1, {"p", R"({"id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","team_id":1,"properties":"{\"a\":1}","version":1})", 0, {}}});
  REQUIRE((*log)->AppendAndWait(std::move(records)).ok());
  {
    auto store = Store::Open(options, &metrics);
    REQUIRE(store.ok());
    REQUIRE((*store)->Start(log->get()).ok());
    AwaitConsumed(**log);
    Table& events = *(*store)->table("events");
    CHECK(testing::Uuids(events, false).size() == 3003);  // the replays are there until merged
    std::multiset<std::string> final = testing::Uuids(events, true);
    CHECK(std::set<std::string>(final.begin(), final.end()) == sent);
    CHECK(final.size() == sent.size());
    Block person;
    REQUIRE((*store)->table("person")->Scan({.columns = {"properties", "version"}, .final = true}, [&](uint32_t, Block&& b) {
      person = std::move(b);
      return Status::Ok();
    }).ok());
    REQUIRE(person.rows() == 1);
    CHECK(person.columns[0].StringAt(0) == R"({"a":1})");
    CHECK(metrics.GetCounter("hedgerow_store_bad_rows_total", "", {{"table", "events"}}).value() == 1);
    (*store)->Stop();
  }
  // A restart reads nothing twice, and new rows continue where the parts end.
  std::string late = Uuid::V7().ToString();
  REQUIRE((*log)->AppendAndWait({{"clickhouse_events_json", -1, {late, testing::EventsRow(late, "late", t0), 0, {}}}}).ok());
  auto store = Store::Open(options, &metrics);
  REQUIRE(store.ok());
  REQUIRE((*store)->Start(log->get()).ok());
  AwaitConsumed(**log);
  CHECK(testing::Uuids(*(*store)->table("events"), false).size() == 3004);
  REQUIRE((*store)->MergeAll().ok());
  CHECK(testing::Uuids(*(*store)->table("events"), false).size() == 3001);
  for (const auto& part : (*store)->table("events")->AllParts()) CHECK(part->Verify().ok());
}

}  // namespace
}  // namespace hedgerow::store
