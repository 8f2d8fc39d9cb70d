#include "hedgerow/server/backup.h"

#include <catch2/catch.hpp>

#include "hedgerow/common/metrics.h"
#include "hedgerow/store/store.h"
#include "store/store_test_events.h"
#include "support/temp_dir.h"

namespace hedgerow::server {
namespace {

using hedgerow::testing::TempDir;

TEST_CASE("rows retention dropped before a backup do not come back from the log in the restored copy", "[server]") {
  TempDir dir;
  const std::string data = dir.File("data");
  std::filesystem::create_directories(data);
  auto log = store::testing::OpenStoreLog(data + "/log", 2);
  auto store = store::Store::Open({.dir = data + "/store", .merge_threads = 0, .batch_wait = std::chrono::milliseconds(20),
                                   .events_retention_days = 30},
                                  nullptr);
  REQUIRE(store.ok());
  REQUIRE((*store)->Start(log.get()).ok());
  const int64_t oct_1 = 1790812800000000;  // 2026-10-01 UTC: long past 30 days of retention
  std::vector<log::OutgoingRecord> records;
  for (int i = 0; i < 20; ++i) {
    std::string uuid = Uuid::V7().ToString();
    records.push_back({"clickhouse_events_json", -1, {uuid, store::testing::EventsRow(uuid, "u" + std::to_string(i), oct_1), 0, {}}});
  }
  REQUIRE(log->AppendAndWait(std::move(records)).ok());
  store::testing::AwaitConsumed(*log);
  REQUIRE(store::testing::Uuids(*(*store)->table("events"), false).size() == 20);
  // Every part of events goes: nothing on disk says where the consumer was.
  REQUIRE((*store)->ApplyRetention(NowMicros()) == 20);
  REQUIRE((*store)->table("events")->AllParts().empty());

  auto report = WriteBackup(data, *log, **store, dir.File("backup"));
  REQUIRE(report.ok());
  (*store)->Stop();
  REQUIRE(RestoreBackup(dir.File("backup"), dir.File("restored")).ok());

  // The restored server's consumers resume past the dropped rows.
  auto restored_log = log::Log::Open({.dir = dir.File("restored") + "/log"}, nullptr);
  REQUIRE(restored_log.ok());
  auto restored = store::Store::Open({.dir = dir.File("restored") + "/store", .merge_threads = 0,
                                      .batch_wait = std::chrono::milliseconds(20)},
                                     nullptr);
  REQUIRE(restored.ok());
  REQUIRE((*restored)->Start(restored_log->get()).ok());
  store::testing::AwaitConsumed(**restored_log);
  CHECK(store::testing::Uuids(*(*restored)->table("events"), false).empty());
  (*restored)->Stop();
}

}  // namespace
}  // namespace hedgerow::server
