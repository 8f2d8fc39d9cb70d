// Child of log_crash_test: appends from many threads until it is killed, reporting every
// completed append on stderr as "ACK <value> <partition> <offset>" lines. Only what was
// acknowledged before the kill may be relied on, and all of it must survive.
//   log_crash_child DIR SEED
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hedgerow/log/log.h"

using namespace hedgerow;
using namespace hedgerow::log;

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  LogOptions options;
  options.dir = argv[1];
  unsigned seed = static_cast<unsigned>(std::stoul(argv[2]));
  auto opened = Log::Open(options, nullptr);
  if (!opened.ok()) {
    std::fprintf(stderr, "open failed: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<Log> log = std::move(opened).value();
  if (!log->CreateTopic({.name = "crash", .partitions = 4}).ok()) return 1;
  std::mutex out_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(seed * 100 + static_cast<unsigned>(t));
      for (int seq = 0;; ) {
        std::vector<OutgoingRecord> batch;
        int n = 1 + static_cast<int>(rng() % 8);
        for (int k = 0; k < n; ++k) {
          OutgoingRecord r;
          r.topic = "crash";
          // Half keyed (one partition per thread), half round robin.
          r.record.key = (rng() % 2) ? "thread-" + std::to_string(t) : "";
          r.record.value = std::to_string(seed) + "-" + std::to_string(t) + "-" + std::to_string(seq++) +
                           std::string(rng() % 400, 'v');
          batch.push_back(std::move(r));
        }
        std::vector<std::string> values;
        for (auto& r : batch) values.push_back(r.record.value.substr(0, r.record.value.find('v')));
        auto positions = log->AppendAndWait(std::move(batch));
        if (!positions.ok()) return;
        std::string lines;
        for (size_t i = 0; i < values.size(); ++i) {
          lines += "ACK " + values[i] + " " + std::to_string((*positions)[i].partition) + " " +
                   std::to_string((*positions)[i].offset) + "\n";
        }
        std::lock_guard<std::mutex> lock(out_mu);
        if (write(2, lines.data(), lines.size()) < 0) return;
      }
    });
  }
  for (auto& th : threads) th.join();
  return 0;
}
