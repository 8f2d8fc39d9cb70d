// Start-to-ready time and idle memory of `hedgerow serve` on an empty data dir.
//   build/bench/startup_bench build/hedgerow [runs]
// Each run starts the binary on a fresh data dir, times spawn -> first 200 from /_health,
// lets it idle for a second, reads VmRSS, and stops it with SIGTERM.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

using hedgerow::testing::ChildProcess;
using hedgerow::testing::TempDir;

namespace {

long RssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * (v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: startup_bench PATH/TO/hedgerow [runs]\n");
    return 2;
  }
  std::string binary = argv[1];
  int runs = argc > 2 ? std::atoi(argv[2]) : 20;
  std::vector<double> ready_ms, rss_mb;
  for (int i = 0; i < runs; ++i) {
    TempDir dir;
    auto start = std::chrono::steady_clock::now();
    ChildProcess child({binary, "serve", "--data-dir", dir.File("data"), "--listen", "127.0.0.1:0", "--clickhouse-listen", "127.0.0.1:0"});
    auto line = child.WaitForLine("msg=ready");
    std::smatch m;
    if (!line || !std::regex_search(*line, m, std::regex("api=127.0.0.1:(\\d+)"))) {
      std::fprintf(stderr, "run %d: server did not become ready:\n%s\n", i, child.stderr_text().c_str());
      return 1;
    }
    auto port = static_cast<uint16_t>(std::stoi(m[1]));
    auto health = hedgerow::testing::HttpRequest(port, "GET", "/_health");
    auto ready = std::chrono::steady_clock::now();
    if (!health || health->status != 200) {
      std::fprintf(stderr, "run %d: /_health failed\n", i);
      return 1;
    }
    ready_ms.push_back(std::chrono::duration<double, std::milli>(ready - start).count());
    std::this_thread::sleep_for(std::chrono::seconds(1));  // idle: what is measured is rest
    rss_mb.push_back(RssKb(child.pid()) / 1024.0);
    child.Signal(SIGTERM);
    if (child.Wait() != 0) {
      std::fprintf(stderr, "run %d: unclean exit\n", i);
      return 1;
    }
  }
  std::printf("runs=%d start_to_ready_ms p50=%.1f p90=%.1f max=%.1f idle_rss_mb p50=%.1f max=%.1f\n",
              runs, Percentile(ready_ms, 0.5), Percentile(ready_ms, 0.9), Percentile(ready_ms, 1.0),
              Percentile(rss_mb, 0.5), Percentile(rss_mb, 1.0));
  return 0;
}
