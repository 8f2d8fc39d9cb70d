// Throughput of the ingestion pipeline, log in -> topics out, on the real log and persons.sqlite.
//   build/bench/ingest_bench [--events 1000000] [--distinct-ids 100000] [--workers 2] [--batch 5000]
//                            [--persist-ms 5000]
// Reports two throughputs: to the moment every row is out and every input offset committed
// (log in -> topics out), and to the end of Stop(), which persists the persons applied
// since the last persist (the last line, which also has the other figures).
// Input: posthog-js-like events over `distinct-ids` users, 5% of them $identify merges of a
// fresh anonymous id, 1% carrying $groups (and a few $groupidentify). The input is written
// to events_plugin_ingestion first (not timed); then the pipeline runs until its consumer
// offsets reach the end and the persons are persisted. Reports events/s, persons SQLite
// transactions/s, CPU time per event (steadier than events/s on a shared machine) and
// peak RSS.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hedgerow/common/uuid.h"
#include "hedgerow/ingest/pipeline.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using Clock = std::chrono::steady_clock;

namespace {

// User + system CPU seconds of the whole process so far.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

long PeakRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::string Message(const std::string& uuid, const std::string& distinct_id, const std::string& data) {
  std::string escaped;
  for (char c : data) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return fmt::format(R"({{"uuid":"{}","distinct_id":"{}","ip":"10.0.0.1","site_url":"https://x","now":"2026-11-29T12:00:00Z","sent_at":"","token":"phc_bench","data":"{}"}})",
                     uuid, distinct_id, escaped);
}

}  // namespace

int main(int argc, char** argv) {
  size_t events = 1000000, distinct_ids = 100000, workers = 2, batch_records = 5000;
  persons::PersonStoreOptions persons_options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--events") events = std::stoul(argv[i + 1]);
    else if (k == "--distinct-ids") distinct_ids = std::stoul(argv[i + 1]);
    else if (k == "--workers") workers = std::stoul(argv[i + 1]);
    else if (k == "--batch") batch_records = std::stoul(argv[i + 1]);
    else if (k == "--persist-ms") persons_options.persist_interval = std::chrono::milliseconds(std::stoul(argv[i + 1]));
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  hedgerow::testing::TempDir dir;
  MetricsRegistry metrics;
  auto log = log::Log::Open({.dir = dir.File("log")}, &metrics);
  persons_options.metrics = &metrics;
  auto persons = persons::PersonStore::Open(dir.File("persons.sqlite"), persons_options);
  if (!log.ok() || !persons.ok()) return 1;
  for (auto [name, partitions] : std::vector<std::pair<std::string, uint32_t>>{
           {"events_plugin_ingestion", 8}, {"clickhouse_events_json", 8}, {"clickhouse_person", 4},
           {"clickhouse_person_distinct_id", 4}, {"clickhouse_groups", 2}, {"clickhouse_ingestion_warnings", 1},
           {"dead_letter_queue", 1}}) {
    if (!(*log)->CreateTopic({.name = name, .partitions = partitions}).ok()) return 1;
  }

  std::mt19937_64 rng(7);
  std::vector<log::OutgoingRecord> batch;
  size_t identifies = 0, grouped = 0;
  for (size_t i = 0; i < events; ++i) {
    std::string user = fmt::format("user_{}", rng() % distinct_ids);
    std::string data;
    uint64_t roll = rng() % 100;
    if (roll < 5) {
      ++identifies;
      data = fmt::format(R"({{"event":"$identify","properties":{{"$anon_distinct_id":"anon_{}","$set":{{"email":"{}@x.com"}}}}}})",
                         i, user);
    } else if (roll < 6) {
      ++grouped;
      data = roll % 2 ? fmt::format(R"({{"event":"$groupidentify","properties":{{"$group_type":"company","$group_key":"c{}","$group_set":{{"n":{}}}}}}})", rng() % 1000, i)
                      : fmt::format(R"({{"event":"purchase","properties":{{"$groups":{{"company":"c{}"}},"amount":{}}}}})", rng() % 1000, i);
    } else {
      data = fmt::format(R"({{"event":"$pageview","properties":{{"$current_url":"https://shop.example/p/{}","$browser":"Chrome","$os":"Mac OS X","$set":{{"last_seen":{}}},"$lib":"web"}},"timestamp":"2026-11-29T11:59:59.000Z"}})",
                         rng() % 5000, i % 97);
    }
    log::OutgoingRecord r;
    r.topic = "events_plugin_ingestion";
    r.record.key = "phc_bench:" + user;
    r.record.value = Message(Uuid::V7().ToString(), user, data);
    batch.push_back(std::move(r));
    if (batch.size() == 5000 || i + 1 == events) {
      if (!(*log)->AppendAndWait(std::move(batch)).ok()) return 1;
      batch.clear();
    }
  }
  std::printf("input: %zu events, %zu distinct ids, %zu $identify, %zu group events\n", events, distinct_ids,
              identifies, grouped);

  ingest::PipelineOptions options;
  options.workers = workers;
  options.max_batch_records = batch_records;
  ingest::Pipeline pipeline(options, log->get(), persons->get(),
                            ingest::EventProcessor([](std::string_view token) -> std::optional<ingest::Team> {
                              if (token == "phc_bench") return ingest::Team{1, false};
                              return std::nullopt;
                            }),
                            &metrics);
  auto start = Clock::now();
  double cpu_start = CpuSeconds();
  if (!pipeline.Start().ok()) return 1;
  auto ends = (*log)->Partitions("events_plugin_ingestion");
  while (true) {
    bool done = true;
    for (const auto& p : *ends) {
      if ((*log)->Committed("ingestion", "events_plugin_ingestion", p.partition)->value_or(0) < p.end) done = false;
    }
    if (done) break;
    (void)(*log)->Fetch("clickhouse_ingestion_warnings", 0, UINT64_MAX / 2, 1, 1, std::chrono::milliseconds(5));
  }
  // Every row is out and every input offset committed: the pipeline's throughput.
  double out_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  pipeline.Stop();  // timed too: it persists the persons applied since the last persist
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu_seconds = CpuSeconds() - cpu_start;
  uint64_t batches = metrics.GetCounter("hedgerow_ingest_batches_total", "").value();
  const Histogram& persists = metrics.GetHistogram("hedgerow_persons_persist_seconds", "");
  uint64_t txns = persists.count();
  uint64_t rows = 0;
  for (const char* t : {"clickhouse_events_json", "clickhouse_person", "clickhouse_person_distinct_id", "clickhouse_groups"}) {
    auto partitions = (*log)->Partitions(t);
    for (const auto& p : *partitions) rows += p.end;
  }
  std::printf("rows out: %.0f events/s, every row out and every input offset committed in %.2f s\n",
              events / out_seconds, out_seconds);
  std::printf("pipeline: %.0f events/s, %llu batches (%.0f events each), %.1f persons SQLite transactions/s "
              "(%llu, the last at stop, %.2f s in all), %llu rows out, %.1f s, %.1f CPU us/event, peak RSS %.0f MB\n",
              events / seconds, static_cast<unsigned long long>(batches),
              static_cast<double>(events) / std::max<uint64_t>(batches, 1), txns / seconds,
              static_cast<unsigned long long>(txns), persists.sum(), static_cast<unsigned long long>(rows), seconds, cpu_seconds * 1e6 / events, PeakRssKb() / 1024.0);
  return 0;
}
