// Throughput of the ingestion pipeline, log in -> topics out, on the real log and persons.sqlite.
//   build/bench/ingest_bench [--events 1000000] [--distinct-ids 100000] [--workers 2] [--batch 5000]
//                            [--persist-ms 5000] [--apps geoip,user_agent] [--geoip-database FILE]
//                            [--compare-apps]
// --apps runs the project's events through those apps (geoip reads --geoip-database, by
// default share/GeoLite2-City.mmdb); --compare-apps runs the same input twice in this process,
// without apps and then with --apps, and reports the second beside the first.
// Reports two throughputs: to the moment every row is out and every input offset committed
// (log in -> topics out), and to the end of Stop(), which persists the persons applied
// since the last persist (the last line, which also has the other figures).
// Input: bench/common/event_mix.h over `distinct-ids` users. The input is written
// to events_plugin_ingestion first (not timed); then the pipeline runs until its consumer
// offsets reach the end and the persons are persisted. Reports events/s, persons SQLite
// transactions/s, CPU time per event (steadier than events/s on a shared machine) and
// peak RSS.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/event_mix.h"
#include "common/process_cpu.h"
#include "hedgerow/common/uuid.h"
#include "hedgerow/ingest/apps.h"
#include "hedgerow/ingest/pipeline.h"
#include "hedgerow/ingest/user_agent.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using Clock = std::chrono::steady_clock;

namespace {

std::string Message(const std::string& uuid, const std::string& distinct_id, const std::string& ip,
                    const std::string& data) {
  std::string escaped;
  for (char c : data) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return fmt::format(R"({{"uuid":"{}","distinct_id":"{}","ip":"{}","site_url":"https://x","now":"2026-11-29T12:00:00Z","sent_at":"","token":"phc_bench","data":"{}"}})",
                     uuid, distinct_id, ip, escaped);
}


// The time an app's Apply takes, to charge it to the app: the monotonic clock (a vDSO call;
// the thread CPU clock is a system call here, which would cost more than some apps). Apply
// does not block but for an uncontended cache lock, so this is its CPU time.
uint64_t ThreadCpuNanos() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

// An app measured: the CPU time of its own work (lookups, parsing, the properties it adds),
// apart from what the rest of the pipeline then spends on the bigger events and persons.
class TimedApp final : public ingest::App {
 public:
  TimedApp(std::unique_ptr<ingest::App> inner, std::atomic<uint64_t>* nanos) : inner_(std::move(inner)), nanos_(nanos) {}
  std::string_view kind() const override { return inner_->kind(); }
  bool reads_persons() const override { return inner_->reads_persons(); }
  bool never_fails() const override { return inner_->never_fails(); }
  Result<ingest::AppOutcome> Apply(rapidjson::Document& event, ingest::AppEnv& env) const override {
    uint64_t start = ThreadCpuNanos();
    Result<ingest::AppOutcome> outcome = inner_->Apply(event, env);
    nanos_->fetch_add(ThreadCpuNanos() - start, std::memory_order_relaxed);
    return outcome;
  }

 private:
  std::unique_ptr<ingest::App> inner_;
  std::atomic<uint64_t>* nanos_;
};

struct BenchOptions {
  size_t events = 1000000, distinct_ids = 100000, workers = 2, batch_records = 5000;
  std::chrono::milliseconds persist_interval{5000};
  std::vector<std::string> apps;
  std::string geoip_database = "share/GeoLite2-City.mmdb";
};

struct RunFigures {
  double events_per_second = 0, cpu_us_per_event = 0, apps_us_per_event = 0;
};

// One pipeline run over a fresh log and persons.sqlite; prints its figures.
std::optional<RunFigures> Run(const BenchOptions& o, const std::vector<std::string>& app_kinds) {
  hedgerow::testing::TempDir dir;
  MetricsRegistry metrics;
  auto log = log::Log::Open({.dir = dir.File("log")}, &metrics);
  persons::PersonStoreOptions persons_options;
  persons_options.persist_interval = o.persist_interval;
  persons_options.metrics = &metrics;
  auto persons = persons::PersonStore::Open(dir.File("persons.sqlite"), persons_options);
  if (!log.ok() || !persons.ok()) return std::nullopt;
  for (auto [name, partitions] : std::vector<std::pair<std::string, uint32_t>>{
           {"events_plugin_ingestion", 8}, {"clickhouse_events_json", 8}, {"clickhouse_person", 4},
           {"clickhouse_person_distinct_id", 4}, {"clickhouse_groups", 2}, {"clickhouse_ingestion_warnings", 1},
           {"dead_letter_queue", 1}}) {
    if (!(*log)->CreateTopic({.name = name, .partitions = partitions}).ok()) return std::nullopt;
  }
  std::shared_ptr<ingest::AppChain> apps;
  std::atomic<uint64_t> app_nanos{0};
  if (!app_kinds.empty()) {
    ingest::AppResources resources;
    resources.geoip = std::make_shared<ingest::GeoIpDatabase>(o.geoip_database);
    if (std::find(app_kinds.begin(), app_kinds.end(), "user_agent") != app_kinds.end()) {
      (void)ingest::UserAgentParser::Builtin();  // compiled once, as a server does at its first event
    }
    apps = std::make_shared<ingest::AppChain>();
    for (const std::string& kind : app_kinds) {
      auto app = ingest::MakeApp(kind, "{}", resources);
      if (!app.ok()) {
        std::fprintf(stderr, "%s\n", app.status().ToString().c_str());
        return std::nullopt;
      }
      apps->apps.push_back(std::make_unique<TimedApp>(std::move(app).value(), &app_nanos));
    }
    if (!resources.geoip->Loaded()) std::fprintf(stderr, "warning: no GeoIP database at %s\n", o.geoip_database.c_str());
  }

  bench::EventMix mix(7, o.distinct_ids);
  std::vector<log::OutgoingRecord> batch;
  for (size_t i = 0; i < o.events; ++i) {
    bench::MixedEvent e = mix.Next(i);
    const std::string& user = e.distinct_id;
    const std::string& ip = e.ip;
    const std::string& data = e.json;
    log::OutgoingRecord r;
    r.topic = "events_plugin_ingestion";
    r.record.key = "phc_bench:" + user;
    r.record.value = Message(Uuid::V7().ToString(), user, ip, data);
    batch.push_back(std::move(r));
    if (batch.size() == 5000 || i + 1 == o.events) {
      if (!(*log)->AppendAndWait(std::move(batch)).ok()) return std::nullopt;
      batch.clear();
    }
  }
  std::printf("input: %zu events, %zu distinct ids, %zu $identify, %zu group events; apps: %s\n", o.events,
              o.distinct_ids, mix.identifies(), mix.grouped(), app_kinds.empty() ? "none" : fmt::format("{}", fmt::join(app_kinds, ",")).c_str());

  ingest::PipelineOptions options;
  options.workers = o.workers;
  options.max_batch_records = o.batch_records;
  ingest::Pipeline pipeline(options, log->get(), persons->get(),
                            ingest::EventProcessor([apps](std::string_view token) -> std::optional<ingest::Team> {
                              if (token == "phc_bench") return ingest::Team{1, false, apps};
                              return std::nullopt;
                            }),
                            &metrics);
  auto start = Clock::now();
  double cpu_start = bench::SelfCpuSeconds();
  if (!pipeline.Start().ok()) return std::nullopt;
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
  double cpu_seconds = bench::SelfCpuSeconds() - cpu_start;
  uint64_t batches = metrics.GetCounter("hedgerow_ingest_batches_total", "").value();
  const Histogram& persists = metrics.GetHistogram("hedgerow_persons_persist_seconds", "");
  uint64_t txns = persists.count();
  uint64_t rows = 0;
  for (const char* t : {"clickhouse_events_json", "clickhouse_person", "clickhouse_person_distinct_id", "clickhouse_groups"}) {
    auto partitions = (*log)->Partitions(t);
    for (const auto& p : *partitions) rows += p.end;
  }
  std::printf("rows out: %.0f events/s, every row out and every input offset committed in %.2f s\n",
              o.events / out_seconds, out_seconds);
  std::printf("pipeline: %.0f events/s, %llu batches (%.0f events each), %.1f persons SQLite transactions/s "
              "(%llu, the last at stop, %.2f s in all), %llu rows out, %.1f s, %.1f CPU us/event, peak RSS %.0f MB\n",
              o.events / seconds, static_cast<unsigned long long>(batches),
              static_cast<double>(o.events) / std::max<uint64_t>(batches, 1), txns / seconds,
              static_cast<unsigned long long>(txns), persists.sum(), static_cast<unsigned long long>(rows), seconds,
              cpu_seconds * 1e6 / o.events, bench::ProcessStatusKb("self", "VmHWM:") / 1024.0);
  double apps_us = app_nanos.load() / 1e3 / o.events;
  if (!app_kinds.empty()) std::printf("apps' own work: %.1f CPU us/event\n", apps_us);
  return RunFigures{o.events / seconds, cpu_seconds * 1e6 / o.events, apps_us};
}

}  // namespace

int main(int argc, char** argv) {
  BenchOptions o;
  bool compare = false;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--compare-apps") {
      compare = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", k.c_str());
      return 2;
    }
    std::string v = argv[++i];
    if (k == "--events") o.events = std::stoul(v);
    else if (k == "--distinct-ids") o.distinct_ids = std::stoul(v);
    else if (k == "--workers") o.workers = std::stoul(v);
    else if (k == "--batch") o.batch_records = std::stoul(v);
    else if (k == "--persist-ms") o.persist_interval = std::chrono::milliseconds(std::stoul(v));
    else if (k == "--geoip-database") o.geoip_database = v;
    else if (k == "--apps") {
      for (std::string_view rest = v; !rest.empty();) {
        std::string_view kind = rest.substr(0, rest.find(','));
        rest = kind.size() < rest.size() ? rest.substr(kind.size() + 1) : std::string_view();
        if (!kind.empty()) o.apps.emplace_back(kind);
      }
    } else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (compare && o.apps.empty()) o.apps = {"geoip", "user_agent"};
  if (!compare) return Run(o, o.apps) ? 0 : 1;
  std::optional<RunFigures> without = Run(o, {});
  std::optional<RunFigures> with = Run(o, o.apps);
  if (!without || !with) return 1;
  std::printf("apps %s: %.0f events/s vs %.0f without (%.2fx the time), %.1f vs %.1f CPU us/event (+%.1f us, %.0f%%), "
              "of which the apps' own work %.1f us (%.0f%% of the run without apps)\n",
              fmt::format("{}", fmt::join(o.apps, ",")).c_str(), with->events_per_second, without->events_per_second,
              without->events_per_second / with->events_per_second, with->cpu_us_per_event, without->cpu_us_per_event,
              with->cpu_us_per_event - without->cpu_us_per_event,
              100.0 * (with->cpu_us_per_event / without->cpu_us_per_event - 1), with->apps_us_per_event,
              100.0 * with->apps_us_per_event / without->cpu_us_per_event);
  return 0;
}
