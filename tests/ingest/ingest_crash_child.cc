// Child of ingest_crash_test: runs the ingestion pipeline on DIR until killed, or with
// "drain" until every input record is committed, then exits 0. Prints "STEP progress N"
// when the committed input offset moves to N and "STEP done" when it reaches the end.
// "run-unpersisted" never persists persons, so that a kill leaves delivered batches for
// the next run to re-apply.
//   ingest_crash_child DIR run|run-unpersisted|drain
#include <cstdio>
#include <string>
#include <thread>

#include "hedgerow/ingest/pipeline.h"

using namespace hedgerow;

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  std::string dir = argv[1];
  std::string mode = argv[2];
  bool drain = mode == "drain";
  MetricsRegistry metrics;
  auto log = log::Log::Open({.dir = dir + "/log"}, &metrics);
  // Persisting often puts kills before, during and after persists, and between them.
  auto interval = mode == "run-unpersisted" ? std::chrono::milliseconds(std::chrono::hours(24)) : std::chrono::milliseconds(30);
  auto persons = persons::PersonStore::Open(dir + "/persons.sqlite", {.persist_interval = interval});
  if (!log.ok() || !persons.ok()) return 1;
  ingest::PipelineOptions options;
  options.max_batch_records = 100;  // many small batches: many places to be killed in
  ingest::Pipeline pipeline(options, log->get(), persons->get(),
                            ingest::EventProcessor([](std::string_view token) -> std::optional<ingest::Team> {
                              if (token == "phc_test") return ingest::Team{1, false};
                              return std::nullopt;
                            }),
                            &metrics);
  if (!pipeline.Start().ok()) return 1;
  std::fprintf(stderr, "READY\n");
  auto parts = (*log)->Partitions("events_plugin_ingestion");
  auto committed_sum = [&] {
    log::Offset sum = 0;
    for (const auto& p : *parts) sum += (*log)->Committed("ingestion", "events_plugin_ingestion", p.partition)->value_or(0);
    return sum;
  };
  // Drained means applied, not only committed: a run killed before its persist leaves
  // committed input whose person updates this run must re-apply before it stops.
  auto applied_sum = [&] {
    log::Offset sum = 0;
    for (const auto& p : *parts) sum += (*persons)->AppliedOffset("events_plugin_ingestion", p.partition);
    return sum;
  };
  log::Offset total = 0;
  for (const auto& p : *parts) total += p.end;
  log::Offset reported = committed_sum();  // progress is what this run delivers
  bool reported_done = false;
  while (true) {
    log::Offset committed = committed_sum();
    bool done = committed == total;
    if (done && drain && applied_sum() == total) break;
    if (committed != reported) std::fprintf(stderr, "STEP progress %llu\n", static_cast<unsigned long long>(committed));
    if (done && !reported_done) std::fprintf(stderr, "STEP done\n");
    reported = committed;
    reported_done = done;
    (void)(*log)->Fetch("dead_letter_queue", 0, UINT64_MAX / 2, 1, 1, std::chrono::milliseconds(20));
  }
  pipeline.Stop();
  return 0;
}
