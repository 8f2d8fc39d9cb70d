// The store's insert path against ClickHouse, side by side, on the same synthetic PostHog
// events (bench/store/event_generator.h):
//   build/bench/store_bench [--rows 2000000] [--batch 100000] [--shards 2]
//                           [--clickhouse /usr/sbin/clickhouse-server] [--skip-clickhouse]
// hedgerow: JSON rows -> JsonRowDecoder -> Table::Insert (route to shards, sort, compress,
// fsync, rename), batch after batch, as the table consumer does. ClickHouse 18.16: the same
// rows as JSONEachRow over HTTP into an equivalent ReplacingMergeTree (DateTime for
// timestamps, cityHash64(toString(uuid)): 18.16 cannot hash a UUID). Then both merge every
// partition (our merge-all; OPTIMIZE ... FINAL) and report bytes on disk and peak RSS.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "support/clickhouse_server.h"
#include "common/side_by_side_options.h"
#include "hedgerow/store/json_rows.h"
#include "hedgerow/store/table.h"
#include "store/event_generator.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using bench::StatusKb;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

struct Figures {
  double insert_seconds = 0;
  uint64_t bytes_after_insert = 0;
  double merge_seconds = 0;
  uint64_t bytes_after_merge = 0;
  uint64_t parts_after_merge = 0;
  long peak_rss_kb = 0;
};

uint64_t TableBytes(const store::Table& table, size_t* parts = nullptr) {
  uint64_t bytes = 0;
  auto all = table.AllParts();
  for (const auto& p : all) bytes += p->meta().bytes_on_disk;
  if (parts) *parts = all.size();
  return bytes;
}

Figures RunHedgerow(const std::string& dir, size_t rows, size_t batch, uint32_t shards) {
  Figures f;
  const store::TableSchema& events = *store::FindPostHogTable("events");
  auto table = store::Table::Open(events, {.dir = dir, .shards = shards});
  if (!table.ok()) throw std::runtime_error(table.status().ToString());
  bench::EventGenerator gen(42, 100000);
  store::JsonRowDecoder decoder(events);
  std::vector<std::string> input;
  double seconds = 0;
  for (size_t done = 0; done < rows; done += batch) {
    input.clear();
    for (size_t i = 0; i < std::min(batch, rows - done); ++i) input.push_back(gen.Next());
    auto start = Clock::now();  // generating the rows is not the store's work
    for (std::string& row : input) {
      Status s = decoder.Add(row, 0, 0);
      if (!s.ok()) throw std::runtime_error(s.ToString());
    }
    Status s = (*table)->Insert(decoder.Take(), {{0, done + input.size()}});
    if (!s.ok()) throw std::runtime_error(s.ToString());
    seconds += Seconds(start);
  }
  input = {};
  f.insert_seconds = seconds;
  f.bytes_after_insert = TableBytes(**table);
  auto start = Clock::now();
  while (auto candidate = (*table)->SelectMerge(/*all=*/true)) {
    Status s = (*table)->Merge(*candidate);
    if (!s.ok()) throw std::runtime_error(s.ToString());
  }
  f.merge_seconds = Seconds(start);
  size_t parts = 0;
  f.bytes_after_merge = TableBytes(**table, &parts);
  f.parts_after_merge = parts;
  f.peak_rss_kb = StatusKb("/proc/self/status", "VmHWM:");
  return f;
}

Figures RunClickHouse(const std::string& binary, const std::string& dir, size_t rows, size_t batch) {
  Figures f;
  bench::ClickHouseServer server(binary, dir);
  server.Query(bench::kClickHouseEventsDdl);
  bench::EventGenerator gen(42, 100000);
  std::string body;
  double seconds = 0;
  for (size_t done = 0; done < rows; done += batch) {
    body.clear();
    for (size_t i = 0; i < std::min(batch, rows - done); ++i) {
      body += gen.Next();
      body += '\n';
    }
    auto start = Clock::now();
    server.InsertJsonEachRow("events", body);
    seconds += Seconds(start);
  }
  f.insert_seconds = seconds;
  const std::string bytes_sql = "SELECT sum(bytes_on_disk), count() FROM system.parts WHERE table = 'events' AND active";
  f.bytes_after_insert = std::stoull(server.Query(bytes_sql));
  auto start = Clock::now();
  server.Query("OPTIMIZE TABLE events FINAL");
  f.merge_seconds = Seconds(start);
  std::string after = server.Query(bytes_sql);
  f.bytes_after_merge = std::stoull(after);
  f.parts_after_merge = std::stoull(after.substr(after.find('\t') + 1));
  f.peak_rss_kb = StatusKb(fmt::format("/proc/{}/status", server.pid()), "VmHWM:");
  return f;
}

void Print(const char* name, const Figures& f, size_t rows) {
  std::printf("%-10s insert %8.0f rows/s (%6.2f s)  on disk %7.1f MB  merge-all %8.0f rows/s (%6.2f s, %llu parts left, "
              "%7.1f MB)  peak RSS %6.0f MB\n",
              name, static_cast<double>(rows) / f.insert_seconds, f.insert_seconds, f.bytes_after_insert / 1e6,
              static_cast<double>(rows) / f.merge_seconds, f.merge_seconds,
              static_cast<unsigned long long>(f.parts_after_merge), f.bytes_after_merge / 1e6, f.peak_rss_kb / 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  size_t rows = 2000000;
  const bench::SideBySideOptions options =
      bench::ParseSideBySideOptions(argc, argv, [&](const std::string& k, const std::string& v) {
        if (k == "--rows") rows = std::stoull(v);
      });
  const size_t batch = options.batch;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  testing::TempDir dir;
  std::printf("store_bench: %zu synthetic PostHog events, batches of %zu, %u shards\n", rows, batch, options.shards);
  Figures ours = RunHedgerow(dir.File("hedgerow"), rows, batch, options.shards);
  Print("hedgerow", ours, rows);
  if (!bench::UseClickHouse(options)) return 0;
  Figures ch = RunClickHouse(options.clickhouse, dir.File("clickhouse"), rows, batch);
  Print("clickhouse", ch, rows);
  std::printf("ratios (hedgerow / clickhouse): insert rate %.2fx, bytes on disk after insert %.2fx, after merge %.2fx, "
              "merge rate %.2fx\n",
              ch.insert_seconds / ours.insert_seconds,
              static_cast<double>(ours.bytes_after_insert) / static_cast<double>(ch.bytes_after_insert),
              static_cast<double>(ours.bytes_after_merge) / static_cast<double>(ch.bytes_after_merge),
              ch.merge_seconds / ours.merge_seconds);
  return 0;
}
