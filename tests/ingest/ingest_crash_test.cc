// Kills the ingestion pipeline with SIGKILL at random points, 20 times, then lets it finish,
// and compares with a run that never crashed: the same persons (uuid, properties, version,
// identification) and exactly one row for every input event.
#include <signal.h>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <map>
#include <optional>
#include <random>

#include "hedgerow/common/uuid.h"
#include "hedgerow/ingest/pipeline.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using hedgerow::testing::ChildProcess;
using hedgerow::testing::TempDir;

namespace {

const char* kTopics[] = {"events_plugin_ingestion", "clickhouse_events_json", "clickhouse_person",
                         "clickhouse_person_distinct_id", "clickhouse_groups", "clickhouse_ingestion_warnings",
                         "dead_letter_queue"};

// The same input in a fresh data dir: sets, merges by $identify and $create_alias, groups.
void WriteInput(const std::string& dir, size_t events) {
  auto log = log::Log::Open({.dir = dir + "/log"}, nullptr);
  REQUIRE(log.ok());
  // One input partition: a total order of events, so that merges come out the same in any
  // run (across partitions, PostHog's result depends on timing too).
  for (const char* t : kTopics) {
    uint32_t partitions = std::string(t) == "events_plugin_ingestion" ? 1 : 2;
    REQUIRE((*log)->CreateTopic({.name = t, .partitions = partitions}).ok());
  }
  std::mt19937 rng(99);
  std::vector<log::OutgoingRecord> batch;
  for (size_t i = 0; i < events; ++i) {
    std::string user = fmt::format("u{}", rng() % 300);
    std::string data;
    switch (rng() % 10) {
      case 0: data = fmt::format(R"({{"event":"$identify","properties":{{"$anon_distinct_id":"a{}","$set":{{"n":{}}}}}}})", rng() % 400, i); break;
      case 1: data = fmt::format(R"({{"event":"$create_alias","properties":{{"alias":"a{}"}}}})", rng() % 400); break;
      case 2: data = fmt::format(R"({{"event":"$groupidentify","properties":{{"$group_type":"org","$group_key":"o{}","$group_set":{{"v":{}}}}}}})", rng() % 20, i); break;
      default: data = fmt::format(R"({{"event":"e","properties":{{"$set":{{"k{}":{}}},"$set_once":{{"first":{}}},"$groups":{{"org":"o{}"}}}}}})", rng() % 5, i, i, rng() % 20);
    }
    std::string escaped;
    for (char c : data) escaped += c == '"' ? std::string("\\\"") : std::string(1, c);
    std::string uuid = Uuid::V7().ToString();
    log::OutgoingRecord r;
    r.topic = "events_plugin_ingestion";
    r.record.key = "phc_test:" + user;
    r.record.value = fmt::format(R"({{"uuid":"{}","distinct_id":"{}","ip":null,"site_url":"","now":"2024-01-0{}T00:00:00Z","sent_at":"","token":"phc_test","data":"{}"}})",
                                 uuid, user, 1 + i % 9, escaped);
    batch.push_back(std::move(r));
  }
  REQUIRE((*log)->AppendAndWait(std::move(batch)).ok());
}

struct State {
  std::map<std::string, std::string> persons;        // distinct id -> uuid|properties|version|identified
  std::map<std::string, std::string> groups;         // group key -> properties|version|created_at
  std::map<std::string, std::vector<std::string>> rows;  // event uuid -> every copy of its row
};

State ReadState(const std::string& dir) {
  State s;
  auto store = persons::PersonStore::Open(dir + "/persons.sqlite");
  REQUIRE(store.ok());
  auto txn = (*store)->Begin();
  for (int u = 0; u < 300; ++u) {
    for (std::string id : {fmt::format("u{}", u), fmt::format("a{}", u)}) {
      auto p = (*txn)->FindByDistinctId(1, id);
      REQUIRE(p.ok());
      if (*p) s.persons[id] = fmt::format("{}|{}|{}|{}", (*p)->uuid.ToString(), (*p)->properties, (*p)->version, (*p)->is_identified);
    }
  }
  auto org = (*txn)->GroupTypeIndex(1, "org", false);
  REQUIRE(org.ok());
  for (int g = 0; *org && g < 20; ++g) {
    std::string key = fmt::format("o{}", g);
    auto group = (*txn)->FindGroup(1, **org, key);
    REQUIRE(group.ok());
    if (*group) s.groups[key] = fmt::format("{}|{}|{}", (*group)->properties, (*group)->version, (*group)->created_at);
  }
  auto log = log::Log::Open({.dir = dir + "/log"}, nullptr);
  REQUIRE(log.ok());
  for (uint32_t p = 0; p < 2; ++p) {
    auto f = (*log)->Fetch("clickhouse_events_json", p, 0, 10000000, 1u << 30);
    REQUIRE(f.ok());
    for (const auto& r : f->records) s.rows[r.record.key].push_back(r.record.value);
  }
  return s;
}

}  // namespace

TEST_CASE("SIGKILL anywhere in the pipeline neither loses rows nor applies updates twice", "[ingest]") {
  constexpr size_t kEvents = 8000;
  TempDir reference, crashed;
  WriteInput(reference.path().string(), kEvents);
  WriteInput(crashed.path().string(), kEvents);
  {
    ChildProcess clean({INGEST_CRASH_CHILD, reference.path().string(), "drain"});
    REQUIRE(clean.Wait(std::chrono::seconds(120)) == 0);
  }
  std::mt19937 rng(2026);
  // Every other run never persists: its kill leaves delivered batches that the next run
  // must re-apply (and say so). Each run is killed once it has made progress, at a random
  // moment after.
  bool must_replay = false;
  int replays = 0;
  for (int run = 0; run < 20; ++run) {
    bool unpersisted = run % 2 == 0;
    ChildProcess child({INGEST_CRASH_CHILD, crashed.path().string(), unpersisted ? "run-unpersisted" : "run"});
    REQUIRE(child.WaitForLine("READY"));
    std::optional<std::string> step = child.WaitForLine("STEP", std::chrono::seconds(60));
    REQUIRE(step);
    auto replayed = [&] { return child.stderr_text().find("re-applying persons") != std::string::npos; };
    if (must_replay && !replayed()) CHECK(child.WaitForLine("re-applying persons", std::chrono::seconds(60)));
    child.DrainFor(std::chrono::milliseconds(rng() % 50));
    child.Signal(SIGKILL);
    REQUIRE(child.Wait() == 128 + SIGKILL);
    replays += replayed();
    must_replay = unpersisted && step->find("progress") != std::string::npos;
  }
  CHECK(replays > 0);
  {
    ChildProcess last({INGEST_CRASH_CHILD, crashed.path().string(), "drain"});
    REQUIRE(last.Wait(std::chrono::seconds(120)) == 0);
  }
  State want = ReadState(reference.path().string());
  State got = ReadState(crashed.path().string());
  // The first differences, shown with the failed checks (Catch cannot print the maps).
  std::string differences;
  size_t person_differences = 0;
  for (const auto& [id, person] : want.persons) {
    auto it = got.persons.find(id);
    if (it == got.persons.end() || it->second != person) {
      if (person_differences++ < 3) differences += fmt::format("{}: want {} got {}\n", id, person, it == got.persons.end() ? "none" : it->second);
    }
  }
  size_t group_differences = 0;
  for (const auto& [key, group] : want.groups) {
    auto it = got.groups.find(key);
    if (it == got.groups.end() || it->second != group) {
      if (group_differences++ < 3) differences += fmt::format("{}: want {} got {}\n", key, group, it == got.groups.end() ? "none" : it->second);
    }
  }
  INFO(differences);
  CHECK(want.persons.size() > 300);
  CHECK(got.persons.size() == want.persons.size());
  CHECK(person_differences == 0);
  // Groups are updated in memory and persisted with the persons: applied once too.
  CHECK(want.groups.size() == 20);
  CHECK(got.groups.size() == want.groups.size());
  CHECK(group_differences == 0);
  // Every input event has exactly one row: re-applied batches emit nothing the log has.
  size_t duplicated = 0;
  for (const auto& [uuid, copies] : got.rows) duplicated += copies.size() != 1;
  CHECK(got.rows.size() == kEvents);
  CHECK(duplicated == 0);
  CHECK(want.rows.size() == kEvents);
}
