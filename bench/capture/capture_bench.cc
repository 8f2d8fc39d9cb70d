// Load test of the capture API through a real hedgerow process, generator included.
//   build/bench/capture_bench build/hedgerow [--connections 32] [--batch 100] [--seconds 10]
// Phase 1: POST /batch/ with gzip bodies of `batch` realistic posthog-node events (~600
// bytes of JSON each) over `connections` keep-alive connections. Phase 2: single events
// to /e/ (raw JSON), same connections. Reports events/s, MB/s, latency percentiles and CPU
// (server and generator) per 1,000 events. Bodies are built and gzipped before timing.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hedgerow/common/compression.h"
#include "hedgerow/common/uuid.h"
#include "common/process_cpu.h"
#include "support/child_process.h"
#include "support/ready_line.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using hedgerow::testing::ChildProcess;
using hedgerow::testing::TestConnection;
using Clock = std::chrono::steady_clock;

using hedgerow::bench::ProcessCpuSeconds;
using hedgerow::bench::SelfCpuSeconds;

namespace {

struct Args {
  std::string binary;
  int connections = 32;
  int batch = 100;
  double seconds = 10;
};

// A posthog-node style event of about 600 bytes.
std::string Event(std::mt19937_64& rng) {
  static const char* kNames[] = {"$pageview", "order placed", "signed up", "button clicked", "$identify"};
  std::string props = "{\"$lib\":\"posthog-node\",\"$lib_version\":\"5.70.0\",\"$is_server\":true,\"$geoip_disable\":true,"
                      "\"$current_url\":\"https://shop.example.com/products/" + std::to_string(rng() % 10000) +
                      "?utm_source=newsletter&utm_medium=email\",\"plan\":\"pro\",\"amount\":" +
                      std::to_string(rng() % 100000 / 100.0) + ",\"items\":[{\"sku\":\"SKU-" + std::to_string(rng() % 999) +
                      "\",\"qty\":" + std::to_string(1 + rng() % 5) + "},{\"sku\":\"SKU-" + std::to_string(rng() % 999) +
                      "\",\"qty\":1}],\"$browser\":\"Chrome\",\"$os\":\"Mac OS X\",\"$device_type\":\"Desktop\","
                      "\"$referrer\":\"https://www.google.com/\",\"session\":\"" + Uuid::V4().ToString() + "\"}";
  return "{\"event\":\"" + std::string(kNames[rng() % 5]) + "\",\"distinct_id\":\"user_" + std::to_string(rng() % 100000) +
         "\",\"properties\":" + props + ",\"timestamp\":\"2026-11-29T12:00:00.000Z\",\"uuid\":\"" + Uuid::V7().ToString() +
         "\",\"type\":\"capture\"}";
}

struct Body {
  std::string wire;
  size_t json_bytes;
  int events;
};

struct PhaseResult {
  uint64_t requests = 0, events = 0, json_bytes = 0, wire_bytes = 0, errors = 0;
  double seconds = 0, server_cpu = 0, generator_cpu = 0;
  std::vector<double> latencies_ms;
};

PhaseResult Run(const Args& args, uint16_t port, pid_t server, const std::string& path,
                const std::vector<std::pair<std::string, std::string>>& headers, const std::vector<Body>& bodies) {
  std::atomic<bool> stop{false};
  std::vector<PhaseResult> per(args.connections);
  std::vector<std::thread> threads;
  double server_cpu0 = ProcessCpuSeconds(server), gen_cpu0 = SelfCpuSeconds();
  auto start = Clock::now();
  for (int c = 0; c < args.connections; ++c) {
    threads.emplace_back([&, c] {
      TestConnection conn(port);
      PhaseResult& r = per[c];
      for (size_t i = c; !stop.load(std::memory_order_relaxed); i += args.connections) {
        const Body& b = bodies[i % bodies.size()];
        auto t0 = Clock::now();
        auto resp = conn.Request("POST", path, b.wire, headers);
        r.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (!resp || resp->status != 200) {
          ++r.errors;
          if (!resp) return;
          continue;
        }
        ++r.requests;
        r.events += b.events;
        r.json_bytes += b.json_bytes;
        r.wire_bytes += b.wire.size();
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds));
  stop = true;
  for (auto& t : threads) t.join();
  PhaseResult total;
  total.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  total.server_cpu = ProcessCpuSeconds(server) - server_cpu0;
  total.generator_cpu = SelfCpuSeconds() - gen_cpu0;
  for (auto& r : per) {
    total.requests += r.requests;
    total.events += r.events;
    total.json_bytes += r.json_bytes;
    total.wire_bytes += r.wire_bytes;
    total.errors += r.errors;
    total.latencies_ms.insert(total.latencies_ms.end(), r.latencies_ms.begin(), r.latencies_ms.end());
  }
  std::sort(total.latencies_ms.begin(), total.latencies_ms.end());
  return total;
}

double Pct(const std::vector<double>& v, double p) {
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

void Report(const char* name, const PhaseResult& r) {
  double k_events = r.events / 1000.0;
  std::printf("%-14s events/s=%8.0f requests/s=%7.0f json_MB/s=%6.1f wire_MB/s=%5.1f p50_ms=%6.2f p99_ms=%6.2f "
              "cpu_ms_per_1k_events server=%.1f generator=%.1f errors=%llu\n",
              name, r.events / r.seconds, r.requests / r.seconds, r.json_bytes / r.seconds / 1e6,
              r.wire_bytes / r.seconds / 1e6, Pct(r.latencies_ms, 0.5), Pct(r.latencies_ms, 0.99),
              1000 * r.server_cpu / k_events, 1000 * r.generator_cpu / k_events,
              static_cast<unsigned long long>(r.errors));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: capture_bench PATH/TO/hedgerow [--connections N] [--batch N] [--seconds S]\n");
    return 2;
  }
  Args args;
  args.binary = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--connections") args.connections = std::atoi(argv[i + 1]);
    else if (k == "--batch") args.batch = std::atoi(argv[i + 1]);
    else if (k == "--seconds") args.seconds = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  std::mt19937_64 rng(42);
  std::vector<Body> batches, singles;
  size_t event_bytes = 0, events = 0;
  for (int b = 0; b < 200; ++b) {
    std::string json = "{\"api_key\":\"phc_bench\",\"sent_at\":\"2026-11-29T12:00:01.000Z\",\"batch\":[";
    for (int e = 0; e < args.batch; ++e) {
      std::string ev = Event(rng);
      event_bytes += ev.size();
      ++events;
      json += (e ? "," : "") + ev;
    }
    json += "]}";
    batches.push_back({Gzip(json), json.size(), args.batch});
  }
  for (int s = 0; s < 2000; ++s) {
    std::string ev = Event(rng);
    ev.insert(ev.size() - 1, ",\"api_key\":\"phc_bench\"");
    singles.push_back({ev, ev.size(), 1});
  }
  std::printf("connections=%d batch=%d seconds=%.0f avg_event_bytes=%zu gzip_ratio=%.2f\n", args.connections, args.batch,
              args.seconds, event_bytes / events, static_cast<double>(batches[0].json_bytes) / batches[0].wire.size());

  hedgerow::testing::TempDir dir;
  ChildProcess server({args.binary, "serve", "--data-dir", dir.File("data"), "--listen", "127.0.0.1:0", "--clickhouse-listen", "127.0.0.1:0",
                       "--project-token", "phc_bench", "--log-level", "info"});
  auto ports = hedgerow::testing::WaitForServerPorts(server, std::chrono::seconds(30));
  if (!ports) {
    std::fprintf(stderr, "server did not start:\n%s\n", server.stderr_text().c_str());
    return 1;
  }
  const uint16_t port = ports->api;
  PhaseResult batch = Run(args, port, server.pid(), "/batch/",
                          {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}}, batches);
  Report("batch-gzip", batch);
  PhaseResult single = Run(args, port, server.pid(), "/e/", {{"Content-Type", "application/json"}}, singles);
  Report("single-/e/", single);
  server.Signal(SIGTERM);
  server.Wait(std::chrono::seconds(30));
  return batch.errors + single.errors == 0 ? 0 : 1;
}
