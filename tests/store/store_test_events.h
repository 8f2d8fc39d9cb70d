#pragma once

// Events rows as the ingest pipeline writes them to clickhouse_events_json.

#include <fmt/format.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/uuid.h"
#include "hedgerow/log/log.h"
#include "hedgerow/store/schema.h"
#include "hedgerow/store/table.h"

namespace hedgerow::store::testing {

inline std::string EventsRow(const std::string& uuid, const std::string& distinct_id, int64_t timestamp_micros,
                             const std::string& event = "$pageview") {
  return fmt::format(
      R"({{"uuid":"{}","event":"{}","properties":"{{\"$current_url\":\"https://example.com/{}\"}}","timestamp":"{}",)"
      R"("team_id":1,"distinct_id":"{}","elements_chain":"","created_at":"{}","person_id":"{}",)"
      R"("person_properties":"{{}}","person_created_at":"{}","person_mode":"full","$group_0":"","$group_1":"",)"
      R"("$group_2":"","$group_3":"","$group_4":""}})",
      uuid, event, distinct_id, FormatClickHouseDateTime64(timestamp_micros), distinct_id,
      FormatClickHouseDateTime64(timestamp_micros), Uuid::V5(Uuid{}, distinct_id).ToString(),
      FormatClickHouseDateTime64(timestamp_micros));
}

// Every topic the store's tables read, as the server creates them.
inline void CreateStoreTopics(log::Log& log, uint32_t partitions) {
  for (const TableSchema& t : PostHogTables()) {
    REQUIRE(log.CreateTopic({.name = t.topic, .partitions = partitions}).ok());
  }
}

// A log in `dir` with those topics.
inline std::unique_ptr<log::Log> OpenStoreLog(const std::string& dir, uint32_t partitions) {
  auto log = log::Log::Open({.dir = dir}, nullptr);
  REQUIRE(log.ok());
  CreateStoreTopics(**log, partitions);
  return std::move(log).value();
}

// Waits until every consumer group of the store has read its topic to the end.
inline void AwaitConsumed(log::Log& log) {
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

// The uuid of every events row a scan returns (FINAL or not), as text.
inline std::multiset<std::string> Uuids(const Table& table, bool final) {
  std::multiset<std::string> out;
  std::mutex mu;
  ScanRequest request{.columns = {"uuid"}, .final = final};
  REQUIRE(table.Scan(request, [&](uint32_t, Block&& b) {
    std::lock_guard<std::mutex> lock(mu);
    for (size_t r = 0; r < b.rows(); ++r) {
      Uuid u;
      std::memcpy(u.bytes.data(), b.columns[0].FixedAt(r), 16);
      out.insert(u.ToString());
    }
    return Status::Ok();
  }).ok());
  return out;
}

}  // namespace hedgerow::store::testing
