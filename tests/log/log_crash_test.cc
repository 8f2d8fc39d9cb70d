// Kills a process that appends from 16 threads with SIGKILL at a random moment, 20 times,
// and checks the log after each: every acknowledged record is at its acknowledged offset,
// offsets have no gaps, and no record appears twice.
#include <signal.h>

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "hedgerow/log/log.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using namespace hedgerow::log;
using hedgerow::testing::ChildProcess;
using hedgerow::testing::TempDir;

namespace {

struct Ack {
  uint32_t partition;
  Offset offset;
};

// Parses complete "ACK value partition offset" lines; a line cut by the kill is ignored.
std::map<std::string, Ack> ParseAcks(const std::string& text) {
  std::map<std::string, Ack> acks;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no trailing newline: torn
    std::istringstream fields(line);
    std::string tag, value;
    Ack a{};
    if (fields >> tag >> value >> a.partition >> a.offset && tag == "ACK") acks[value] = a;
  }
  return acks;
}

}  // namespace

TEST_CASE("acknowledged appends survive SIGKILL with dense offsets and no duplicates", "[log]") {
  TempDir dir;
  std::string log_dir = dir.File("log");
  std::mt19937 rng(20261129);
  std::map<std::string, Ack> all_acks;  // across runs: later runs append to the same log
  for (unsigned run = 1; run <= 20; ++run) {
    INFO("run " << run);
    ChildProcess child({LOG_CRASH_CHILD, log_dir, std::to_string(run)});
    // Let it get going (some acks), then kill it at a random point of its work.
    REQUIRE(child.WaitForLine("ACK "));
    child.DrainFor(std::chrono::milliseconds(rng() % 300));
    child.Signal(SIGKILL);
    REQUIRE(child.Wait() == 128 + SIGKILL);
    auto acks = ParseAcks(child.stderr_text());
    REQUIRE(!acks.empty());
    all_acks.insert(acks.begin(), acks.end());

    auto opened = Log::Open(LogOptions{.dir = log_dir}, nullptr);
    REQUIRE(opened.ok());
    Log& log = **opened;
    std::set<std::string> seen;
    std::map<std::string, Ack> found;
    size_t gaps = 0, duplicates = 0, lost = 0, moved = 0;
    for (uint32_t p = 0; p < 4; ++p) {
      Offset next = 0;
      while (true) {
        auto batch = log.Fetch("crash", p, next, 5000, 8 << 20);
        REQUIRE(batch.ok());
        if (batch->records.empty()) break;
        for (const StoredRecord& r : batch->records) {
          if (r.offset != next) ++gaps;
          next = r.offset + 1;
          std::string value = r.record.value.substr(0, r.record.value.find('v'));
          if (!seen.insert(value).second) ++duplicates;
          found[value] = Ack{p, r.offset};
        }
      }
    }
    for (const auto& [value, ack] : all_acks) {
      auto it = found.find(value);
      if (it == found.end()) {
        ++lost;
      } else if (it->second.partition != ack.partition || it->second.offset != ack.offset) {
        ++moved;
      }
    }
    CHECK(gaps == 0);
    CHECK(duplicates == 0);
    CHECK(lost == 0);  // nothing acknowledged is lost
    CHECK(moved == 0);  // and it is where the acknowledgement said
    CHECK(found.size() >= all_acks.size());
  }
}
