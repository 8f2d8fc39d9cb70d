#include "hedgerow/store/store.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "store/store_test_events.h"
#include "support/temp_dir.h"

namespace hedgerow::store {
namespace {

using hedgerow::testing::TempDir;
using testing::AwaitConsumed;

TEST_CASE("the consumers move topic rows into the tables, skip undecodable rows, and resume where the parts end",
          "[store]") {
  TempDir dir;
  auto log = testing::OpenStoreLog(dir.File("log"), 4);
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
  REQUIRE(log->AppendAndWait(std::move(records)).ok());
  {
    auto store = Store::Open(options, &metrics);
    REQUIRE(store.ok());
    REQUIRE((*store)->Start(log.get()).ok());
    AwaitConsumed(*log);
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
  REQUIRE(log->AppendAndWait({{"clickhouse_events_json", -1, {late, testing::EventsRow(late, "late", t0), 0, {}}}}).ok());
  auto store = Store::Open(options, &metrics);
  REQUIRE(store.ok());
  REQUIRE((*store)->Start(log.get()).ok());
  AwaitConsumed(*log);
  CHECK(testing::Uuids(*(*store)->table("events"), false).size() == 3004);
  REQUIRE((*store)->MergeAll().ok());
  CHECK(testing::Uuids(*(*store)->table("events"), false).size() == 3001);
  for (const auto& part : (*store)->table("events")->AllParts()) CHECK(part->Verify().ok());
}

TEST_CASE("a consumer whose position the log deleted resumes at the log start instead of failing there", "[store]") {
  TempDir dir;
  auto opened = log::Log::Open({.dir = dir.File("log")}, nullptr);
  REQUIRE(opened.ok());
  log::Log& log = **opened;
  // The hard cap deletes records no consumer has read.
  for (const TableSchema& t : PostHogTables()) {
    REQUIRE(log.CreateTopic({.name = t.topic, .partitions = 1, .hard_cap_bytes = 1}).ok());
  }
  StoreOptions options{.dir = dir.File("store"), .merge_threads = 0, .batch_wait = std::chrono::milliseconds(20)};
  {
    auto store = Store::Open(options, nullptr);
    REQUIRE(store.ok());
    REQUIRE((*store)->Start(&log).ok());  // registers its consumer groups at offset 0
    (*store)->Stop();
  }
  const int64_t t0 = 1795955696000000;
  for (int i = 0; i < 10; ++i) {
    std::string uuid = Uuid::V7().ToString();
    REQUIRE(log.AppendAndWait({{"clickhouse_events_json", 0, {uuid, testing::EventsRow(uuid, "lost", t0), 0, {}}}}).ok());
  }
  REQUIRE(log.EnforceRetention(NowMicros() / 1000)->records_deleted >= 9);
  const uint64_t start = log.Partitions("clickhouse_events_json")->at(0).start;
  const std::string fresh = Uuid::V7().ToString();
  REQUIRE(log.AppendAndWait({{"clickhouse_events_json", 0, {fresh, testing::EventsRow(fresh, "new", t0), 0, {}}}}).ok());
  auto store = Store::Open(options, nullptr);
  REQUIRE(store.ok());
  REQUIRE((*store)->Start(&log).ok());
  AwaitConsumed(log);
  CHECK(testing::Uuids(*(*store)->table("events"), false).size() == 11 - start);
  (*store)->Stop();
}

// Flips one byte in the middle of `path`.
void FlipByte(const std::string& path) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f);
  f.seekg(0, std::ios::end);
  const std::streamoff middle = f.tellg() / 2;
  f.seekg(middle);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(middle);
  f.write(&c, 1);
}

// Events in two inserts (several parts); the uuids FINAL finds.
std::multiset<std::string> InsertEvents(log::Log& log, Store& store) {
  const int64_t t0 = 1795955696000000;
  for (int insert = 0; insert < 2; ++insert) {
    std::vector<log::OutgoingRecord> records;
    for (int i = 0; i < 2000; ++i) {
      std::string uuid = Uuid::V7().ToString();
      records.push_back({"clickhouse_events_json", -1, {uuid, testing::EventsRow(uuid, "u" + std::to_string(i % 37), t0 + i * 1000000LL), 0, {}}});
    }
    REQUIRE(log.AppendAndWait(std::move(records)).ok());
    AwaitConsumed(log);
  }
  auto uuids = testing::Uuids(*store.table("events"), true);
  REQUIRE(uuids.size() == 4000);
  return uuids;
}

void AwaitRebuilt(const Table& table) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (table.RebuildFromLogPending()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TEST_CASE("a part damaged at rest is set aside at open and its rows come back from the log", "[store]") {
  TempDir dir;
  auto log = testing::OpenStoreLog(dir.File("log"), 2);
  StoreOptions options{.dir = dir.File("store"), .merge_threads = 0, .batch_wait = std::chrono::milliseconds(20)};
  std::multiset<std::string> all;
  std::string damaged;
  {
    auto store = Store::Open(options, nullptr);
    REQUIRE(store.ok());
    REQUIRE((*store)->Start(log.get()).ok());
    all = InsertEvents(*log, **store);
    damaged = (*store)->table("events")->AllParts().front()->dir();
    (*store)->Stop();
  }
  FlipByte(damaged + "/primary.idx");
  MetricsRegistry metrics;
  auto store = Store::Open(options, &metrics);
  REQUIRE(store.ok());
  Table& events = *(*store)->table("events");
  REQUIRE(events.damaged().size() == 1);
  CHECK(events.damaged()[0].first == damaged);
  CHECK(std::filesystem::exists(std::filesystem::path(damaged).parent_path() /
                                ("broken_" + std::filesystem::path(damaged).filename().string())));
  CHECK(events.RebuildFromLogPending());
  CHECK(metrics.GetGauge("hedgerow_store_damaged_parts", "", {{"table", "events"}}).value() == 1);
  REQUIRE((*store)->Start(log.get()).ok());
  AwaitRebuilt(events);
  CHECK(testing::Uuids(events, true) == all);
  (*store)->Stop();
}

TEST_CASE("a part a scan finds damaged is taken out at once and its rows come back from the log", "[store]") {
  TempDir dir;
  auto log = testing::OpenStoreLog(dir.File("log"), 2);
  StoreOptions options{.dir = dir.File("store"), .merge_threads = 0, .batch_wait = std::chrono::milliseconds(20)};
  auto store = Store::Open(options, nullptr);
  REQUIRE(store.ok());
  REQUIRE((*store)->Start(log.get()).ok());
  const std::multiset<std::string> all = InsertEvents(*log, **store);
  Table& events = *(*store)->table("events");
  auto rows_per_shard = [&events] {
    std::vector<std::atomic<size_t>> rows(events.shards());
    REQUIRE(events.Scan({.columns = {"uuid"}}, [&](uint32_t shard, Block&& b) {
      rows[shard] += b.rows();
      return Status::Ok();
    }).ok());
    std::vector<size_t> out;
    for (auto& r : rows) out.push_back(r.load());
    return out;
  };
  const std::vector<size_t> before = rows_per_shard();
  const std::shared_ptr<Part> part = events.AllParts().back();
  const std::string damaged = part->dir();
  const uint32_t damaged_shard = part->meta().shard;
  FlipByte(damaged + "/uuid.bin");
  Status scan = events.Scan({.columns = {"uuid"}}, [](uint32_t, Block&&) { return Status::Ok(); });
  CHECK(scan.code() == StatusCode::kCorruption);
  CHECK(events.damaged().size() == 1);
  for (const auto& part : events.AllParts()) CHECK(part->dir() != damaged);
  AwaitRebuilt(events);
  CHECK(testing::Uuids(events, true) == all);
  // Rows went back only where the damaged part was: the other shard has no duplicate.
  const std::vector<size_t> after = rows_per_shard();
  for (uint32_t shard = 0; shard < events.shards(); ++shard) {
    if (shard == damaged_shard) {
      CHECK(after[shard] >= before[shard]);  // its other parts' rows twice until merged
    } else {
      CHECK(after[shard] == before[shard]);
    }
  }
  (*store)->Stop();
  // The rebuilt table opens clean.
  auto reopened = Store::Open({.dir = dir.File("store"), .merge_threads = 0}, nullptr);
  REQUIRE(reopened.ok());
  CHECK_FALSE((*reopened)->table("events")->RebuildFromLogPending());
  CHECK(testing::Uuids(*(*reopened)->table("events"), true) == all);
}

TEST_CASE("a consumer inserts as soon as its input is drained, long before the flush interval", "[store]") {
  TempDir dir;
  auto log = testing::OpenStoreLog(dir.File("log"), 4);
  // An hour's flush interval: only the drained input can make the row visible within the test.
  StoreOptions options{.dir = dir.File("store"), .merge_threads = 0, .batch_wait = std::chrono::hours(1),
                       .idle_flush = std::chrono::milliseconds(50)};
  MetricsRegistry metrics;
  auto store = Store::Open(options, &metrics);
  REQUIRE(store.ok());
  REQUIRE((*store)->Start(log.get()).ok());
  std::string uuid = Uuid::V7().ToString();
  REQUIRE(log->AppendAndWait({{"clickhouse_events_json", -1, {uuid, testing::EventsRow(uuid, "lone", 1795955696000000), 0, {}}}}).ok());
  AwaitConsumed(*log);  // the offset is committed only with the part
  CHECK(testing::Uuids(*(*store)->table("events"), false) == std::multiset<std::string>{uuid});
  (*store)->Stop();
}

TEST_CASE("retention drops whole months of events once they ended long enough ago", "[store]") {
  TempDir dir;
  auto log = testing::OpenStoreLog(dir.File("log"), 4);
  StoreOptions options{.dir = dir.File("store"), .merge_threads = 0, .batch_wait = std::chrono::milliseconds(20),
                       .events_retention_days = 30};
  MetricsRegistry metrics;
  auto store = Store::Open(options, &metrics);
  REQUIRE(store.ok());
  REQUIRE((*store)->Start(log.get()).ok());
  const int64_t oct_31_late = 1793491199000000;  // 2026-10-31 23:59:59 UTC
  const int64_t nov_1 = 1793491200000000;        // 2026-11-01 00:00:00 UTC
  const int64_t dec_31 = 1798675200000000;       // 2026-12-31 00:00:00 UTC
  std::vector<log::OutgoingRecord> records;
  for (int64_t t : {oct_31_late, oct_31_late - 86400000000, nov_1, dec_31}) {
    std::string uuid = Uuid::V7().ToString();
    records.push_back({"clickhouse_events_json", -1, {uuid, testing::EventsRow(uuid, "u" + std::to_string(t), t), 0, {}}});
  }
  REQUIRE(log->AppendAndWait(std::move(records)).ok());
  AwaitConsumed(*log);
  Table& events = *(*store)->table("events");
  REQUIRE(testing::Uuids(events, false).size() == 4);
  const int64_t dec_1 = 1796083200000000, day = 86400000000;
  // October ended on November 1st: 30 days later, and not a microsecond before, it goes.
  CHECK((*store)->ApplyRetention(nov_1 + 30 * day - 1) == 0);
  CHECK((*store)->ApplyRetention(nov_1 + 30 * day) == 2);
  CHECK(testing::Uuids(events, false).size() == 2);
  CHECK((*store)->ApplyRetention(nov_1 + 30 * day) == 0);
  CHECK((*store)->ApplyRetention(dec_1 + 30 * day) == 1);  // November
  std::set<std::string> partitions;
  for (const auto& part : events.AllParts()) partitions.insert(part->meta().partition);
  CHECK(partitions == std::set<std::string>{"202612"});
  CHECK(metrics.GetCounter("hedgerow_store_retention_rows_dropped_total", "", {{"table", "events"}}).value() == 3);
  (*store)->Stop();
  // Gone from disk too: a reopened store has December only.
  auto reopened = Store::Open({.dir = dir.File("store"), .merge_threads = 0}, nullptr);
  REQUIRE(reopened.ok());
  CHECK(testing::Uuids(*(*reopened)->table("events"), false).size() == 1);
}

TEST_CASE("a mutation deletes the rows a predicate selects, part by part, and survives a reopen", "[store]") {
  TempDir dir;
  auto log = testing::OpenStoreLog(dir.File("log"), 4);
  StoreOptions options{.dir = dir.File("store"), .merge_threads = 0, .batch_wait = std::chrono::milliseconds(20)};
  auto store = Store::Open(options, nullptr);
  REQUIRE(store.ok());
  REQUIRE((*store)->Start(log.get()).ok());
  std::multiset<std::string> kept;
  const int64_t t0 = 1795955696000000;
  for (int insert = 0; insert < 2; ++insert) {  // two inserts: several parts per shard
    std::vector<log::OutgoingRecord> records;
    for (int i = 0; i < 3000; ++i) {
      std::string uuid = Uuid::V7().ToString();
      std::string user = i % 10 == 0 ? "forget-me" : "user-" + std::to_string(i % 37);
      if (user != "forget-me") kept.insert(uuid);
      records.push_back({"clickhouse_events_json", -1, {uuid, testing::EventsRow(uuid, user, t0 + i * 1000000LL), 0, {}}});
    }
    // One more insert with only the forgotten user: its part is left with no row.
    if (insert == 1) {
      REQUIRE(log->AppendAndWait(std::move(records)).ok());
      AwaitConsumed(*log);
      records.clear();
      std::string uuid = Uuid::V7().ToString();
      records.push_back({"clickhouse_events_json", -1, {uuid, testing::EventsRow(uuid, "forget-me", t0), 0, {}}});
    }
    REQUIRE(log->AppendAndWait(std::move(records)).ok());
    AwaitConsumed(*log);
  }
  Table& events = *(*store)->table("events");
  // The parts as they are before the mutation: put back afterwards, they play a crash that came
  // before the originals' directories were removed.
  std::vector<std::pair<std::string, std::string>> originals;
  for (const auto& part : events.AllParts()) {
    const std::string copy = dir.File("original-" + std::to_string(originals.size()));
    std::filesystem::copy(part->dir(), copy);
    originals.emplace_back(part->dir(), copy);
  }
  auto deleted = events.DeleteRows({"distinct_id"}, [](const Block& rows, size_t r) {
    return rows.columns[0].StringAt(r) == "forget-me";
  });
  REQUIRE(deleted.ok());
  CHECK(*deleted == 601);
  CHECK(testing::Uuids(events, false) == kept);
  const auto parts_after = events.AllParts();
  // The part that held only forget-me's row is replaced by an empty one.
  CHECK(std::count_if(parts_after.begin(), parts_after.end(), [](const auto& p) { return p->meta().rows == 0; }) == 1);
  auto again = events.DeleteRows({"distinct_id"}, [](const Block& rows, size_t r) {
    return rows.columns[0].StringAt(r) == "forget-me";
  });
  CHECK(*again == 0);
  for (const auto& part : events.AllParts()) CHECK(part->Verify().ok());
  (*store)->Stop();
  store->reset();
  size_t restored = 0;
  for (const auto& [path, copy] : originals) {
    if (std::filesystem::exists(path)) continue;
    std::filesystem::copy(copy, path);
    ++restored;
  }
  CHECK(restored > 0);
  auto reopened = Store::Open({.dir = dir.File("store"), .merge_threads = 0}, nullptr);
  REQUIRE(reopened.ok());
  CHECK(testing::Uuids(*(*reopened)->table("events"), false) == kept);
  // OPTIMIZE ... FINAL folds the empty part away.
  REQUIRE((*reopened)->table("events")->MergeAll().ok());
  for (const auto& part : (*reopened)->table("events")->AllParts()) CHECK(part->meta().rows > 0);
  CHECK(testing::Uuids(*(*reopened)->table("events"), false) == kept);
}

// Every record of every partition of `topic`.
std::vector<std::string> TopicValues(log::Log& log, const std::string& topic) {
  std::vector<std::string> out;
  auto partitions = log.Partitions(topic);
  REQUIRE(partitions.ok());
  for (const auto& p : *partitions) {
    auto f = log.Fetch(topic, p.partition, p.start, 1000000, 1 << 30);
    REQUIRE(f.ok());
    for (auto& r : f->records) out.push_back(std::move(r.record.value));
  }
  return out;
}

TEST_CASE("rows the consumers cannot decode go to dead_letter_queue with the raw row, and the rest goes on",
          "[store][poison]") {
  TempDir dir;
  auto log = testing::OpenStoreLog(dir.File("log"), 1);
  StoreOptions options{.dir = dir.File("store"), .merge_threads = 0, .batch_wait = std::chrono::milliseconds(20)};
  MetricsRegistry metrics;
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  const std::vector<std::string> bad = {
      "not json",
      R"({"uuid":"x","team_id":)" + deep + "}",
      R"({"uuid":")" + Uuid::V7().ToString() + R"(","team_id":"not a number"})",
      R"({"uuid":"not a uuid"})",
  };
  std::vector<log::OutgoingRecord> records;
  int64_t t0 = 1795955696000000;
  std::string good = Uuid::V7().ToString();
  for (const std::string& b : bad) records.push_back({"clickhouse_events_json", 0, {"k", b, 0, {}}});
  records.push_back({"clickhouse_events_json", 0, {good, testing::EventsRow(good, "u", t0), 0, {}}});
  const int64_t appended_from = NowMicros() / 1000000;
  REQUIRE(log->AppendAndWait(std::move(records)).ok());
  const int64_t appended_to = NowMicros() / 1000000 + 1;
  auto store = Store::Open(options, &metrics);
  REQUIRE(store.ok());
  REQUIRE((*store)->Start(log.get()).ok());
  AwaitConsumed(*log);
  CHECK(testing::Uuids(*(*store)->table("events"), false) == std::multiset<std::string>{good});
  // _timestamp and _offset as the Kafka engine fills them: the record's time (the log's
  // append time for records without one), its offset.
  Block meta;
  REQUIRE((*store)->table("events")->Scan({.columns = {"_timestamp", "_offset"}}, [&](uint32_t, Block&& b) {
    meta = std::move(b);
    return Status::Ok();
  }).ok());
  REQUIRE(meta.rows() == 1);
  CHECK(meta.columns[0].Get<uint32_t>(0) >= appended_from);
  CHECK(meta.columns[0].Get<uint32_t>(0) <= appended_to);
  CHECK(meta.columns[1].Get<uint64_t>(0) == bad.size());
  std::vector<std::string> dead = TopicValues(*log, "dead_letter_queue");
  REQUIRE(dead.size() == bad.size());
  for (size_t i = 0; i < bad.size(); ++i) {
    rapidjson::Document d;
    d.Parse(dead[i].data(), dead[i].size());
    REQUIRE(d.IsObject());
    CHECK(std::string(d["raw_payload"].GetString(), d["raw_payload"].GetStringLength()) == bad[i]);
    CHECK(d["error_location"].GetString() == std::string("store:events"));
    CHECK(d["error"].GetStringLength() > 0);
  }
  // The dead letters are rows of the dead_letter_queue table in turn.
  AwaitConsumed(*log);
  size_t dlq_rows = 0;
  REQUIRE((*store)->table("dead_letter_queue")->Scan({.columns = {"error"}}, [&](uint32_t, Block&& b) {
    dlq_rows += b.rows();
    return Status::Ok();
  }).ok());
  CHECK(dlq_rows == bad.size());
}

TEST_CASE("events in hundreds of months are inserted in blocks of at most 100 partitions", "[store][poison]") {
  TempDir dir;
  auto log = testing::OpenStoreLog(dir.File("log"), 1);
  StoreOptions options{.dir = dir.File("store"), .merge_threads = 0, .batch_wait = std::chrono::milliseconds(20)};
  MetricsRegistry metrics;
  std::vector<log::OutgoingRecord> records;
  constexpr int kMonths = 250;
  for (int m = 0; m < kMonths; ++m) {
    std::string uuid = Uuid::V7().ToString();
    int64_t micros = (m * 31LL * 86400 + 86400) * 1000000;  // one in each month from 1970 on
    records.push_back({"clickhouse_events_json", 0, {uuid, testing::EventsRow(uuid, "u", micros), 0, {}}});
  }
  REQUIRE(log->AppendAndWait(std::move(records)).ok());
  auto store = Store::Open(options, &metrics);
  REQUIRE(store.ok());
  REQUIRE((*store)->Start(log.get()).ok());
  AwaitConsumed(*log);
  Table& events = *(*store)->table("events");
  CHECK(testing::Uuids(events, false).size() == kMonths);
  CHECK(events.AllParts().size() == kMonths);
  CHECK(metrics.GetCounter("hedgerow_store_insert_errors_total", "", {{"table", "events"}}).value() == 0);
}

}  // namespace
}  // namespace hedgerow::store
