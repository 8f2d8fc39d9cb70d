// Child of ingest_crash_test: runs the ingestion pipeline on DIR until killed, or with
// "drain" until every input record is committed, then exits 0.
//   ingest_crash_child DIR run|drain
#include <cstdio>
#include <string>
#include <thread>

#include "hedgerow/ingest/pipeline.h"

using namespace hedgerow;

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  std::string dir = argv[1];
  bool drain = std::string(argv[2]) == "drain";
  MetricsRegistry metrics;
  auto log = log::Log::Open({.dir = dir + "/log"}, &metrics);
  // Persisting often puts kills before, during and after persists, and between them.
  auto persons = persons::PersonStore::Open(dir + "/persons.sqlite", {.persist_interval = std::chrono::milliseconds(30)});
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
  while (true) {
    bool done = true;
    for (const auto& p : *parts) {
      if ((*log)->Committed("ingestion", "events_plugin_ingestion", p.partition)->value_or(0) < p.end) done = false;
    }
    if (done && drain) break;
    (void)(*log)->Fetch("dead_letter_queue", 0, UINT64_MAX / 2, 1, 1, std::chrono::milliseconds(20));
  }
  pipeline.Stop();
  return 0;
}
