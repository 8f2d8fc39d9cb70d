// Soak: a real hedgerow process at a steady capture rate with queries running, for a long time.
//   build/bench/soak_bench build/hedgerow [--minutes 30] [--rate 5000] [--warmup-minutes 5]
//       [--sample-seconds 30]
// Sends `rate` events a second of bench/common/event_mix.h, timestamped now (/batch/ bodies of
// 100, one sender thread per 1,000 events/s), and runs three insight-style queries every 5 s
// (two over the last 10 minutes of events, one over all persons). Every
// `sample-seconds` it samples the server's RSS and the lag: events acknowledged minus events
// queryable, and what /metrics says holds the memory (jemalloc's allocated and resident bytes,
// RocksDB's memtables). At the end: the RSS curve; its growth after warm-up, the mean RSS of
// the last 5 minutes against the mean of the first 5 after warm-up (the target is < 10%: a
// trend, where one sample against another would measure the swing of a batch or a merge in
// flight; the peak is printed beside it); the largest lag; and the server's warn and error
// lines (expected: none beyond the startup notice of a missing GeoIP database).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "common/event_mix.h"
#include "common/process_cpu.h"
#include "hedgerow/common/uuid.h"
#include "support/child_process.h"
#include "support/http_client.h"
#include "support/ready_line.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using hedgerow::testing::ChildProcess;
using hedgerow::testing::TestConnection;
using Clock = std::chrono::steady_clock;

namespace {

constexpr char kToken[] = "phc_soak";
constexpr char kKey[] = "phx_soak";
constexpr int kBatch = 100;

struct Args {
  std::string binary;
  double minutes = 30;
  int rate = 5000;
  double warmup_minutes = 5;
  int sample_seconds = 30;
};

// On a connection of its own: samples are further apart than the server keeps an idle
// connection open.
long Count(uint16_t port, const std::string& sql) {
  auto r = hedgerow::testing::HttpRequest(port, "POST", "/", sql + " FORMAT TabSeparated", {{"X-ClickHouse-Key", kKey}});
  return r && r->status == 200 ? std::stol(r->body) : -1;
}

// One hedgerow_memory_bytes series from /metrics, in MB; -1 if absent.
double MemoryMb(const std::string& metrics, const std::string& area) {
  const std::string series = fmt::format("\nhedgerow_memory_bytes{{area=\"{}\"}} ", area);
  const size_t at = metrics.find(series);
  return at == std::string::npos ? -1 : std::stod(metrics.substr(at + series.size())) / (1 << 20);
}

// The time bench::EventMix gives its events, which the soak replaces with the send time.
constexpr std::string_view kMixTimestamp = R"("timestamp":"2026-11-29T11:59:59.000Z")";

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (argc < 2) {
    std::fprintf(stderr, "usage: soak_bench HEDGEROW [--minutes N] [--rate EVENTS_PER_S] [--warmup-minutes N] [--sample-seconds N]\n");
    return 2;
  }
  args.binary = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--minutes") args.minutes = std::stod(argv[i + 1]);
    else if (flag == "--rate") args.rate = std::stoi(argv[i + 1]);
    else if (flag == "--warmup-minutes") args.warmup_minutes = std::stod(argv[i + 1]);
    else if (flag == "--sample-seconds") args.sample_seconds = std::stoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "soak_bench: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  {
    bench::EventMix sample(1, 100);
    bool stamped = false;
    for (size_t i = 0; i < 100 && !stamped; ++i) stamped = sample.Next(i).json.find(kMixTimestamp) != std::string::npos;
    if (!stamped) {
      std::fprintf(stderr, "soak_bench: bench::EventMix no longer stamps events with %s; update kMixTimestamp\n",
                   std::string(kMixTimestamp).c_str());
      return 2;
    }
  }
  hedgerow::testing::TempDir dir;
  ChildProcess server({args.binary, "serve", "--data-dir", dir.File("data"), "--listen", "127.0.0.1:0", "--clickhouse-listen",
                       "127.0.0.1:0", "--project-token", kToken, "--personal-api-key", kKey, "--trusted-proxies", "127.0.0.1"});
  auto ports = hedgerow::testing::WaitForServerPorts(server, std::chrono::seconds(30));
  if (!ports) {
    std::fprintf(stderr, "server did not start:\n%s\n", server.stderr_text().c_str());
    return 1;
  }
  const uint16_t api_port = ports->api;
  const uint16_t ch_port = ports->clickhouse;
  const std::string pid = std::to_string(server.pid());

  const auto start = Clock::now();
  const auto end = start + std::chrono::milliseconds(static_cast<int64_t>(args.minutes * 60000));
  std::atomic<uint64_t> acked{0}, refused{0};
  std::atomic<bool> done{false};
  const int senders = std::max(1, args.rate / 1000);
  const auto batch_every = std::chrono::microseconds(static_cast<int64_t>(1e6 * kBatch * senders / args.rate));
  std::vector<std::thread> threads;
  for (int s = 0; s < senders; ++s) {
    threads.emplace_back([&, s] {
      bench::EventMix mix(s + 1, 100000);
      TestConnection conn(api_port, std::chrono::seconds(60));
      size_t i = static_cast<size_t>(s) << 40;
      for (auto next = Clock::now(); !done; next += batch_every) {
        std::this_thread::sleep_until(next);
        std::string body = fmt::format(R"({{"api_key":"{}","batch":[)", kToken);
        std::string ip;
        // Events happen now, as a live site's do, so the queries' window slides with them.
        const std::string now = fmt::format("\"timestamp\":\"{:%Y-%m-%dT%H:%M:%S}.000Z\"", fmt::gmtime(std::time(nullptr)));
        for (int e = 0; e < kBatch; ++e, ++i) {
          bench::MixedEvent event = mix.Next(i);
          if (size_t at = event.json.find(kMixTimestamp); at != std::string::npos) {
            event.json.replace(at, kMixTimestamp.size(), now);
          }
          if (e == 0) ip = event.ip;
          body += fmt::format(R"({}{{"distinct_id":"{}","uuid":"{}",{})", e ? "," : "", event.distinct_id,
                              Uuid::V7().ToString(), std::string_view(event.json).substr(1));
        }
        body += "]}";
        auto r = conn.Request("POST", "/batch/", body, {{"Content-Type", "application/json"}, {"X-Forwarded-For", ip}});
        (r && r->status == 200 ? acked : refused) += kBatch;
      }
    });
  }
  std::atomic<uint64_t> queries{0}, failed_queries{0};
  threads.emplace_back([&] {
    TestConnection conn(ch_port, std::chrono::seconds(120));
    // A dashboard's insights over the last 10 minutes, as PostHog's read the last N days.
    // Still not constant work: parts are pruned by their time range, and merges fold new
    // rows into ever larger parts, so the older rows of those parts are read too.
    const char* sqls[] = {
        "SELECT toStartOfMinute(timestamp) AS m, count() FROM events WHERE event = '$pageview' "
        "AND timestamp > now() - INTERVAL 10 MINUTE GROUP BY m ORDER BY m",
        "SELECT JSONExtractString(properties, '$browser') AS b, uniq(person_id) FROM events "
        "WHERE timestamp > now() - INTERVAL 10 MINUTE GROUP BY b ORDER BY 2 DESC LIMIT 10",
        "SELECT count() FROM person FINAL WHERE is_deleted = 0"};
    while (!done) {
      for (const char* sql : sqls) {
        auto r = conn.Request("POST", "/", sql, {{"X-ClickHouse-Key", kKey}});
        (r && r->status == 200 ? queries : failed_queries)++;
      }
      for (int t = 0; t < 50 && !done; ++t) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  std::vector<std::pair<double, long>> rss;  // minutes after warm-up, kB
  long max_lag = 0, peak_after_warmup = 0;
  // RSS split: anonymous memory (the heap, stacks) and file pages mapped in (persons.sqlite's
  // mmap: page cache the kernel can take back).
  std::printf("minute  rss_mb  anon_mb  file_mb  allocated_mb  allocator_resident_mb  memtables_mb  sqlite_mb  acked  queryable  lag\n");
  for (auto sample = start + std::chrono::seconds(args.sample_seconds); sample <= end; sample += std::chrono::seconds(args.sample_seconds)) {
    while (Clock::now() < sample) server.DrainFor(std::chrono::milliseconds(200));
    const double minute = std::chrono::duration<double>(Clock::now() - start).count() / 60;
    const long kb = bench::ProcessStatusKb(pid, "VmRSS:");
    const uint64_t sent = acked.load();
    const long queryable = Count(ch_port, "SELECT count() FROM events");
    const long lag = static_cast<long>(sent) - queryable;
    auto metrics = hedgerow::testing::HttpRequest(api_port, "GET", "/metrics");
    const std::string text = metrics && metrics->status == 200 ? metrics->body : "";
    max_lag = std::max(max_lag, lag);
    if (minute >= args.warmup_minutes) {
      rss.emplace_back(minute, kb);
      peak_after_warmup = std::max(peak_after_warmup, kb);
    }
    std::printf("%6.1f  %6.0f  %7.0f  %7.0f  %12.0f  %21.0f  %12.0f  %9.0f  %lu  %ld  %ld\n", minute, kb / 1024.0,
                bench::ProcessStatusKb(pid, "RssAnon:") / 1024.0, bench::ProcessStatusKb(pid, "RssFile:") / 1024.0,
                MemoryMb(text, "allocator_allocated"), MemoryMb(text, "allocator_resident"), MemoryMb(text, "log_memtables"),
                MemoryMb(text, "sqlite"),
                static_cast<unsigned long>(sent), queryable, lag);
    std::fflush(stdout);
  }
  done = true;
  for (auto& t : threads) t.join();
  server.Signal(SIGTERM);
  server.Wait(std::chrono::seconds(30));
  std::istringstream log(server.stderr_text());
  size_t problems = 0;
  for (std::string line; std::getline(log, line);) {
    if ((line.find("level=warn") != std::string::npos || line.find("level=error") != std::string::npos) &&
        line.find("no GeoIP database") == std::string::npos) {
      if (++problems <= 10) std::printf("server: %s\n", line.c_str());
    }
  }
  constexpr double kWindowMinutes = 5;
  auto mean_mb = [&](double from, double to) {
    double sum = 0;
    int n = 0;
    for (const auto& [minute, kb] : rss) {
      if (minute >= from && minute < to) sum += kb, ++n;
    }
    return n ? sum / n / 1024 : 0.0;
  };
  const double first = mean_mb(args.warmup_minutes, args.warmup_minutes + kWindowMinutes);
  const double last = mean_mb(args.minutes - kWindowMinutes, args.minutes + 1);
  const double growth = first > 0 ? 100.0 * (last - first) / first : 0;
  std::printf("soak: %.1f min at %d events/s: %lu acknowledged, %lu refused; %lu queries (%lu failed); mean RSS %.0f MB "
              "in the first %.0f min after warm-up, %.0f MB in the last (%+.1f%%), peak %.0f MB; max lag %ld events; "
              "%zu warn/error lines\n",
              args.minutes, args.rate, static_cast<unsigned long>(acked.load()), static_cast<unsigned long>(refused.load()),
              static_cast<unsigned long>(queries.load()), static_cast<unsigned long>(failed_queries.load()), first,
              kWindowMinutes, last, growth, peak_after_warmup / 1024.0, max_lag, problems);
  return first > 0 && growth < 10 && problems == 0 && refused == 0 ? 0 : 1;
}
