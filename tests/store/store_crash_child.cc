// The process store_crash_test kills: it appends events rows (some of them exact replays
// of earlier rows, as a re-run pipeline emits) to clickhouse_events_json while the store's
// consumer inserts small batches and merges run all the time.
//   store_crash_child DATA_DIR run SEED   append until killed
//   store_crash_child DATA_DIR drain      consume to the end of the topic, then exit 0
#include <fmt/format.h>

#include <cstdio>
#include <random>
#include <thread>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/uuid.h"
#include "hedgerow/log/log.h"
#include "hedgerow/store/store.h"

using namespace hedgerow;

namespace {

std::string Row(const std::string& uuid, const std::string& distinct_id, int64_t ts) {
  return fmt::format(
      R"({{"uuid":"{}","event":"e{}","properties":"{{\"n\":{}}}","timestamp":"{}","team_id":1,"distinct_id":"{}",)"
      R"("created_at":"{}","person_id":"{}","person_properties":"{{}}","person_mode":"full"}})",
      uuid, ts % 3, ts, FormatClickHouseDateTime64(ts), distinct_id, FormatClickHouseDateTime64(ts), uuid);
}

int Fail(const Status& s) {
  std::fprintf(stderr, "store_crash_child: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  std::string dir = argv[1];
  std::string mode = argv[2];
  auto log = log::Log::Open({.dir = dir + "/log"}, nullptr);
  if (!log.ok()) return Fail(log.status());
  for (const store::TableSchema& t : store::PostHogTables()) {
    Status s = (*log)->CreateTopic({.name = t.topic, .partitions = 4});
    if (!s.ok()) return Fail(s);
  }
  // Small batches and eager merges: many inserts and merges for the kill to land in.
  store::StoreOptions options{.dir = dir + "/store", .shards = 2, .merge_threads = 1, .max_merge_bytes = 8u << 20,
                              .batch_rows = 400, .batch_wait = std::chrono::milliseconds(10)};
  auto store = store::Store::Open(options, nullptr);
  if (!store.ok()) return Fail(store.status());
  Status started = (*store)->Start(log->get());
  if (!started.ok()) return Fail(started);
  std::fprintf(stderr, "ready\n");
  std::fflush(stderr);

  if (mode == "drain") {
    while (true) {
      auto lag = (*log)->Lag();
      if (!lag.ok()) return Fail(lag.status());
      bool behind = false;
      for (const auto& l : *lag) behind = behind || (l.group == "store_events" && l.lag() > 0);
      if (!behind) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    (*store)->Stop();
    return 0;
  }
  std::mt19937_64 rng(std::stoull(argv[3]));
  std::vector<std::pair<std::string, std::string>> sent;  // (key, row) for replays
  const int64_t base = 1795955696000000;  // November 2026; rows spread over three months
  // A bounded number of rows per run keeps the test short; once they are appended the
  // consumer and merges keep working on them until the kill.
  for (int batches = 0;; ++batches) {
    if (batches >= 60) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    std::vector<log::OutgoingRecord> batch;
    for (int i = 0; i < 50; ++i) {
      if (!sent.empty() && rng() % 5 == 0) {
        const auto& [key, row] = sent[rng() % sent.size()];
        batch.push_back({"clickhouse_events_json", -1, {key, row, NowMicros() / 1000, {}}});
        continue;
      }
      std::string uuid = Uuid::V4().ToString();
      std::string distinct_id = fmt::format("user-{}", rng() % 500);
      int64_t ts = base + static_cast<int64_t>(rng() % (90ULL * 86400 * 1000000));
      sent.emplace_back(distinct_id, Row(uuid, distinct_id, ts));
      batch.push_back({"clickhouse_events_json", -1, {distinct_id, sent.back().second, NowMicros() / 1000, {}}});
    }
    auto appended = (*log)->AppendAndWait(std::move(batch));
    if (!appended.ok()) return Fail(appended.status());
  }
}
