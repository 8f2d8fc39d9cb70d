// End to end through a real hedgerow process: capture -> log -> pipeline (apps, persons) ->
// store -> query, measured from outside as a user sees it.
//   build/bench/e2e_bench build/hedgerow [--events 1000000] [--connections 8] [--batch 100]
//       [--rate 1000] [--freshness-seconds 10] [--flush-interval-ms MS] [--apps default|none]
//       [--geoip-database share/GeoLite2-City.mmdb] [--clickhouse-cluster /usr/sbin/clickhouse-server]
// Throughput: `events` events of bench/common/event_mix.h in gzip /batch/ bodies of `batch`
// (each from one user's address, through X-Forwarded-For) over `connections` keep-alive
// connections, as fast as the server takes them; then `SELECT count() FROM events` every 50 ms
// until all are there. Reports events/s of capture and end to end (to the last event
// queryable), the server's CPU per event, RSS idle (after start) and peak (VmHWM), and the data
// dir's bytes per million events once the ingest is done (log, persons, store).
// Freshness, on a fresh server: `rate` single events a second to /e/ over 8 connections for
// `freshness-seconds`, while a poller asks every 10 ms which of them are queryable; an event's
// freshness is from its 200 to the first poll that returned it. Reports p50/p95/p99/max.
// --apps default: the project's default apps (geoip, user_agent), as a new install has them.
// --clickhouse-cluster: the same with --store-backend clickhouse, on two clickhouse-server
// processes started as a two-shard cluster (tests/support/clickhouse_server.h).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/event_mix.h"
#include "common/process_cpu.h"
#include "hedgerow/common/compression.h"
#include "hedgerow/common/uuid.h"
#include "support/child_process.h"
#include "support/clickhouse_server.h"
#include "support/http_client.h"
#include "support/ready_line.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using hedgerow::testing::ChildProcess;
using hedgerow::testing::TestConnection;
using Clock = std::chrono::steady_clock;

namespace {

constexpr char kToken[] = "phc_bench";
constexpr char kKey[] = "phx_bench_e2e";

struct Args {
  std::string binary;
  size_t events = 1000000;
  int connections = 8;
  int batch = 100;
  int rate = 1000;
  double freshness_seconds = 10;
  std::string flush_interval_ms;
  std::string apps = "default";
  std::string geoip_database = "share/GeoLite2-City.mmdb";
  std::string keep_data_dir;  // the throughput run's data dir, kept (for the web UI's bench)
  std::string clickhouse_server;        // --clickhouse-cluster: its binary
  std::vector<std::string> serve_extra;  // serve's options for that cluster
};

struct Server {
  std::unique_ptr<ChildProcess> process;
  uint16_t api_port = 0;
  uint16_t clickhouse_port = 0;
};

std::optional<Server> StartServer(const Args& args, const std::string& data_dir) {
  std::vector<std::string> argv = {args.binary, "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0",
                                   "--clickhouse-listen", "127.0.0.1:0", "--project-token", kToken,
                                   "--personal-api-key", kKey, "--trusted-proxies", "127.0.0.1", "--log-level", "info"};
  if (std::filesystem::exists(args.geoip_database)) argv.insert(argv.end(), {"--geoip-database", args.geoip_database});
  if (args.apps == "none") argv.insert(argv.end(), {"--apps", R"({"1":[]})"});
  if (!args.flush_interval_ms.empty()) argv.insert(argv.end(), {"--flush-interval-ms", args.flush_interval_ms});
  argv.insert(argv.end(), args.serve_extra.begin(), args.serve_extra.end());
  Server s;
  s.process = std::make_unique<ChildProcess>(argv);
  auto ports = hedgerow::testing::WaitForServerPorts(*s.process, std::chrono::seconds(30));
  if (!ports) {
    std::fprintf(stderr, "server did not start:\n%s\n", s.process->stderr_text().c_str());
    return std::nullopt;
  }
  s.api_port = ports->api;
  s.clickhouse_port = ports->clickhouse;
  return s;
}

// One query over the ClickHouse-compatible listener, its TabSeparated rows; nullopt on error.
std::optional<std::string> Query(TestConnection& conn, const std::string& sql) {
  auto r = conn.Request("POST", "/", sql + " FORMAT TabSeparated", {{"X-ClickHouse-Key", kKey}});
  if (!r || r->status != 200) return std::nullopt;
  return r->body;
}

long StatusKb(pid_t pid, const char* field) { return bench::ProcessStatusKb(std::to_string(pid), field); }

uint64_t DirBytes(const std::filesystem::path& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != std::filesystem::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) bytes += it->file_size(ec);
  }
  return bytes;
}

double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

struct Body {
  std::string gzip;
  std::string ip;
  int events = 0;
};

std::vector<Body> BuildBodies(const Args& args) {
  bench::EventMix mix(11, 100000);
  std::vector<Body> bodies((args.events + args.batch - 1) / args.batch);
  std::vector<std::string> json(bodies.size());
  size_t i = 0;
  for (size_t b = 0; b < bodies.size(); ++b) {
    std::string& j = json[b];
    j = fmt::format(R"({{"api_key":"{}","sent_at":"2026-11-29T12:00:01.000Z","batch":[)", kToken);
    for (int e = 0; e < args.batch && i < args.events; ++e, ++i) {
      bench::MixedEvent event = mix.Next(i);
      if (e == 0) bodies[b].ip = event.ip;
      if (e > 0) j += ',';
      j += fmt::format(R"({{"distinct_id":"{}","uuid":"{}",{})", event.distinct_id, Uuid::V7().ToString(),
                       std::string_view(event.json).substr(1));
      ++bodies[b].events;
    }
    j += "]}";
  }
  // Compressed before timing, on both cores.
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (size_t b = t; b < bodies.size(); b += 2) {
        bodies[b].gzip = Gzip(json[b]);
        std::string().swap(json[b]);
      }
    });
  }
  for (auto& t : threads) t.join();
  return bodies;
}

bool Throughput(const Args& args) {
  std::vector<Body> bodies = BuildBodies(args);
  size_t wire = 0;
  for (const Body& b : bodies) wire += b.gzip.size();
  hedgerow::testing::TempDir dir;
  const std::string data_dir = args.keep_data_dir.empty() ? dir.File("data") : args.keep_data_dir;
  std::optional<Server> server = StartServer(args, data_dir);
  if (!server) return false;
  pid_t pid = server->process->pid();
  server->process->DrainFor(std::chrono::milliseconds(1000));  // settled: the idle figure
  long idle_kb = StatusKb(pid, "VmRSS:");

  double cpu0 = bench::ProcessCpuSeconds(pid);
  auto start = Clock::now();
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> errors{0};
  std::vector<std::thread> senders;
  for (int c = 0; c < args.connections; ++c) {
    senders.emplace_back([&] {
      TestConnection conn(server->api_port, std::chrono::seconds(60));
      for (size_t b = next++; b < bodies.size(); b = next++) {
        auto r = conn.Request("POST", "/batch/", bodies[b].gzip,
                              {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"},
                               {"X-Forwarded-For", bodies[b].ip}});
        if (!r || r->status != 200) {
          ++errors;
          std::fprintf(stderr, "capture failed: %d %s\n", r ? r->status : 0, r ? r->body.c_str() : "");
          return;
        }
      }
    });
  }
  // Stderr is drained meanwhile so the server never blocks on a full pipe.
  std::atomic<bool> sending{true};
  std::thread drain([&] {
    while (sending) server->process->DrainFor(std::chrono::milliseconds(100));
  });
  for (auto& t : senders) t.join();
  double sent_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (errors > 0) {
    sending = false;
    drain.join();
    return false;
  }
  TestConnection query(server->clickhouse_port, std::chrono::seconds(60));
  uint64_t visible = 0;
  while (visible < args.events) {
    std::optional<std::string> count = Query(query, "SELECT count() FROM events");
    if (!count) {
      std::fprintf(stderr, "count query failed\n");
      break;
    }
    visible = std::stoull(*count);
    if (visible < args.events) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  double e2e_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu = bench::ProcessCpuSeconds(pid) - cpu0;
  long peak_kb = StatusKb(pid, "VmHWM:");
  std::string threads;
  for (const auto& [name, seconds] : bench::ThreadCpuSecondsByName(pid)) {
    if (seconds >= 0.05) threads += fmt::format(" {} {:.1f}", name, seconds);
  }
  long after_kb = StatusKb(pid, "VmRSS:");
  sending = false;
  drain.join();
  server->process->Signal(SIGTERM);
  server->process->Wait(std::chrono::seconds(30));
  const std::filesystem::path data = data_dir;
  double per_million = 1e6 / args.events / 1e6;
  uint64_t log_bytes = DirBytes(data / "log"), store_bytes = DirBytes(data / "store"), all = DirBytes(data);
  std::printf("throughput (%zu events, %zu bodies of %d, %.0f MB gzip, apps %s): capture %.0f events/s in %.1f s; "
              "end to end %.0f events/s (%llu queryable after %.1f s); server CPU %.1f us/event\n",
              args.events, bodies.size(), args.batch, wire / 1e6, args.apps.c_str(), args.events / sent_seconds,
              sent_seconds, visible / e2e_seconds, static_cast<unsigned long long>(visible), e2e_seconds,
              cpu * 1e6 / args.events);
  std::printf("server CPU seconds by thread:%s\n", threads.c_str());
  std::printf("memory: RSS idle %.0f MB, peak %.0f MB, at the end %.0f MB\n", idle_kb / 1024.0, peak_kb / 1024.0,
              after_kb / 1024.0);
  std::printf("disk per million events after stop: %.0f MB in all (log %.0f MB, store %.0f MB, persons and meta %.0f MB)\n",
              all * per_million, log_bytes * per_million, store_bytes * per_million,
              (all - log_bytes - store_bytes) * per_million);
  return visible == args.events;
}

bool Freshness(const Args& args) {
  hedgerow::testing::TempDir dir;
  std::optional<Server> server = StartServer(args, dir.File("data"));
  if (!server) return false;
  const size_t total = static_cast<size_t>(args.rate * args.freshness_seconds);
  std::vector<Clock::time_point> acked(total), seen(total);
  std::vector<std::atomic<bool>> done(total);
  std::atomic<bool> failed{false};
  constexpr int kSenders = 8;
  std::vector<std::thread> senders;
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(100);
  for (int c = 0; c < kSenders; ++c) {
    senders.emplace_back([&, c] {
      TestConnection conn(server->api_port);
      for (size_t i = c; i < total && !failed; i += kSenders) {
        std::this_thread::sleep_until(start + std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / args.rate)));
        std::string body = fmt::format(
            R"({{"api_key":"{}","event":"fresh","distinct_id":"user_{}","uuid":"{}","properties":{{"seq":{}}}}})", kToken,
            i % 500, Uuid::V7().ToString(), i);
        auto r = conn.Request("POST", "/e/", body, {{"Content-Type", "application/json"}});
        if (!r || r->status != 200) {
          failed = true;
          return;
        }
        acked[i] = Clock::now();
        done[i] = true;
      }
    });
  }
  std::atomic<bool> sending{true};
  std::thread drain([&] {
    while (sending) server->process->DrainFor(std::chrono::milliseconds(100));
  });
  TestConnection query(server->clickhouse_port);
  size_t low = 0, found = 0;
  const Clock::time_point give_up =
      start + std::chrono::milliseconds(static_cast<int64_t>((args.freshness_seconds + 10) * 1000));
  while (found < total && Clock::now() < give_up && !failed) {
    auto rows = Query(query, fmt::format("SELECT visitParamExtractInt(properties, 'seq') AS seq FROM events "
                                         "WHERE event = 'fresh' AND seq >= {}", low));
    Clock::time_point now = Clock::now();
    if (!rows) {
      std::fprintf(stderr, "freshness query failed\n");
      failed = true;
      break;
    }
    for (size_t at = 0; at < rows->size();) {
      size_t end = rows->find('\n', at);
      if (end == std::string::npos) end = rows->size();
      size_t seq = std::stoull(rows->substr(at, end - at));
      at = end + 1;
      if (seq < total && seen[seq] == Clock::time_point{}) {
        seen[seq] = now;
        ++found;
      }
    }
    while (low < total && seen[low] != Clock::time_point{}) ++low;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& t : senders) t.join();
  sending = false;
  drain.join();
  std::vector<double> ms;
  size_t early = 0;
  for (size_t i = 0; i < total; ++i) {
    if (seen[i] == Clock::time_point{} || !done[i]) continue;
    // A poll can return an event before its sender has read the 200: it counts as 0.
    if (seen[i] < acked[i]) ++early;
    ms.push_back(std::max(0.0, std::chrono::duration<double, std::milli>(seen[i] - acked[i]).count()));
  }
  server->process->Signal(SIGTERM);
  server->process->Wait(std::chrono::seconds(30));
  std::printf("freshness (%d events/s for %.0f s, 200 -> queryable, polled every 10 ms): p50 %.0f ms, p95 %.0f ms, "
              "p99 %.0f ms, max %.0f ms; %zu of %zu seen (%zu before their 200 was read)\n",
              args.rate, args.freshness_seconds, Pct(ms, 0.5), Pct(ms, 0.95), Pct(ms, 0.99), Pct(ms, 1.0), found, total,
              early);
  return !failed && found == total;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: e2e_bench PATH/TO/hedgerow [--events N] [--connections N] [--batch N] [--rate N] "
                         "[--freshness-seconds S] [--flush-interval-ms MS] [--apps default|none] [--geoip-database F] [--keep-data-dir DIR] "
                         "[--clickhouse-cluster /usr/sbin/clickhouse-server]\n");
    return 2;
  }
  Args args;
  args.binary = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--events") args.events = std::stoull(v);
    else if (k == "--connections") args.connections = std::stoi(v);
    else if (k == "--batch") args.batch = std::stoi(v);
    else if (k == "--rate") args.rate = std::stoi(v);
    else if (k == "--freshness-seconds") args.freshness_seconds = std::stod(v);
    else if (k == "--flush-interval-ms") args.flush_interval_ms = v;
    else if (k == "--apps" && (v == "default" || v == "none")) args.apps = v;
    else if (k == "--geoip-database") args.geoip_database = v;
    else if (k == "--keep-data-dir") args.keep_data_dir = v;
    else if (k == "--clickhouse-cluster") args.clickhouse_server = v;
    else {
      std::fprintf(stderr, "unknown option or value: %s %s\n", k.c_str(), v.c_str());
      return 2;
    }
  }
  std::optional<hedgerow::testing::TempDir> cluster_dir;
  std::optional<hedgerow::testing::ClickHouseCluster> cluster;
  if (!args.clickhouse_server.empty()) {
    cluster_dir.emplace();
    cluster.emplace(args.clickhouse_server, cluster_dir->File("clickhouse"));
    args.serve_extra = {"--store-backend", "clickhouse", "--clickhouse-url", cluster->urls(), "--clickhouse-cluster",
                        hedgerow::testing::ClickHouseCluster::kName};
    std::printf("store: a two-shard cluster of %s\n", args.clickhouse_server.c_str());
  }
  bool ok = true;
  if (args.events > 0) ok = Throughput(args) && ok;
  if (args.rate > 0 && args.freshness_seconds > 0) ok = Freshness(args) && ok;
  return ok ? 0 : 1;
}
