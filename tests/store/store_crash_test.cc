// Kills the store with SIGKILL during inserts and merges, 20 times, then lets it consume to
// the end: FINAL holds exactly one row per distinct input row, every part is whole, and
// nothing damaged or half-written was loaded.
#include <signal.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "hedgerow/common/uuid.h"
#include "hedgerow/log/log.h"
#include "hedgerow/store/store.h"
#include "store/store_test_events.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using hedgerow::testing::ChildProcess;
using hedgerow::testing::TempDir;

TEST_CASE("kill -9 during inserts and merges loses no row, duplicates none after FINAL, loads no torn part",
          "[store][crash]") {
  TempDir dir;
  std::mt19937 rng(2024);
  for (int run = 0; run < 20; ++run) {
    ChildProcess child({STORE_CRASH_CHILD, dir.path().string(), "run", std::to_string(run + 1)});
    REQUIRE(child.WaitForLine("ready", std::chrono::seconds(30)));
    // The moment of the kill is the randomness under test.
    child.DrainFor(std::chrono::milliseconds(50 + rng() % 400));
    child.Signal(SIGKILL);
    REQUIRE(child.Wait() == 128 + SIGKILL);
  }
  ChildProcess drain({STORE_CRASH_CHILD, dir.path().string(), "drain"});
  auto code = drain.Wait(std::chrono::seconds(120));
  INFO(drain.stderr_text());
  REQUIRE(code == 0);

  // Every distinct row appended (replays share the uuid) must be in the store exactly once.
  std::set<std::string> expected;
  {
    auto log = log::Log::Open({.dir = dir.File("log")}, nullptr);
    REQUIRE(log.ok());
    for (uint32_t p = 0; p < 4; ++p) {
      for (log::Offset offset = 0;;) {
        auto got = (*log)->Fetch("clickhouse_events_json", p, offset, 10000, 64u << 20);
        REQUIRE(got.ok());
        if (got->records.empty()) break;
        for (const auto& r : got->records) expected.insert(r.record.value.substr(9, 36));  // {"uuid":"<36>"
        offset = got->records.back().offset + 1;
      }
    }
  }
  REQUIRE(expected.size() > 1000);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.File("store"))) {
    std::string name = entry.path().filename().string();
    CHECK(name.rfind("broken_", 0) != 0);
  }
  auto store = store::Store::Open({.dir = dir.File("store"), .shards = 0, .read_only = true}, nullptr);
  REQUIRE(store.ok());
  store::Table& events = *(*store)->table("events");
  size_t parts = 0;
  for (const auto& part : events.AllParts()) {
    INFO(part->dir());
    CHECK(part->Verify().ok());
    ++parts;
  }
  CHECK(parts > 0);
  std::multiset<std::string> final = store::testing::Uuids(events, true);
  CHECK(final.size() == expected.size());
  CHECK(std::set<std::string>(final.begin(), final.end()) == expected);
}
