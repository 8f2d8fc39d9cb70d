// Append throughput and latency of the log against a plain RocksDB sync=true write loop.
//   build/bench/log_bench [--producers 64] [--batch 1] [--value-bytes 500] [--seconds 5]
//                         [--codec lz4|zstd|none] [--dir DIR]
// Both sides: N producer threads, each appending `batch` records per call and waiting for
// the fsync before the next call. The log side goes through Log::Append (group commit on
// one writer thread, offsets, LZ4 batches); the baseline writes the same values as one
// RocksDB WriteBatch per call with WriteOptions::sync (RocksDB's own write-group commit).
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hedgerow/log/log.h"

using namespace hedgerow;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  int producers = 64;
  int batch = 1;
  size_t value_bytes = 500;
  double seconds = 5;
  log::Codec codec = log::Codec::kLz4;
  std::string dir = (std::filesystem::temp_directory_path() / "hedgerow-log-bench").string();
};

struct RunResult {
  uint64_t records = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
  double cpu_seconds = 0;
};

// A PostHog-like event payload of about `n` bytes: JSON with varying ids, so LZ4 sees
// realistic (not trivially repetitive) data.
std::string EventValue(std::mt19937_64& rng, size_t n) {
  std::string v = "{\"uuid\":\"" + std::to_string(rng()) + "\",\"distinct_id\":\"user_" +
                  std::to_string(rng() % 100000) + "\",\"event\":\"$pageview\",\"properties\":{";
  while (v.size() < n - 2) {
    v += "\"$prop_" + std::to_string(rng() % 50) + "\":\"" + std::to_string(rng() % 1000000) + "\",";
  }
  v.resize(n - 2);
  v += "}}";
  return v;
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

template <typename AppendFn>
RunResult Drive(const Args& args, AppendFn append) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> records{0};
  std::vector<std::vector<double>> latencies(args.producers);
  std::vector<std::thread> threads;
  double cpu0 = CpuSeconds();
  auto start = Clock::now();
  for (int t = 0; t < args.producers; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      std::vector<std::string> values;
      for (int i = 0; i < 64; ++i) values.push_back(EventValue(rng, args.value_bytes));
      uint64_t seq = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        auto t0 = Clock::now();
        append(t, seq, values);
        latencies[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        seq += args.batch;
        records.fetch_add(args.batch, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds));
  stop = true;
  for (auto& th : threads) th.join();
  RunResult r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.cpu_seconds = CpuSeconds() - cpu0;
  r.records = records.load();
  for (auto& l : latencies) r.latencies_ms.insert(r.latencies_ms.end(), l.begin(), l.end());
  std::sort(r.latencies_ms.begin(), r.latencies_ms.end());
  return r;
}

double Pct(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
}

void Report(const char* name, const Args& args, const RunResult& r) {
  double rps = r.records / r.seconds;
  std::printf("%-16s records/s=%9.0f MB/s=%7.1f append_p50_ms=%6.2f p99_ms=%6.2f cpu_s_per_1M=%5.2f\n", name,
              rps, rps * args.value_bytes / 1e6, Pct(r.latencies_ms, 0.5), Pct(r.latencies_ms, 0.99),
              r.cpu_seconds / (r.records / 1e6));
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--producers") args.producers = std::atoi(argv[i + 1]);
    else if (k == "--batch") args.batch = std::atoi(argv[i + 1]);
    else if (k == "--value-bytes") args.value_bytes = std::stoul(argv[i + 1]);
    else if (k == "--seconds") args.seconds = std::atof(argv[i + 1]);
    else if (k == "--dir") args.dir = argv[i + 1];
    else if (k == "--codec") {
      std::string c = argv[i + 1];
      args.codec = c == "zstd" ? log::Codec::kZstd : c == "none" ? log::Codec::kNone : log::Codec::kLz4;
    }
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  std::printf("producers=%d batch=%d value_bytes=%zu seconds=%.1f dir=%s\n", args.producers, args.batch,
              args.value_bytes, args.seconds, args.dir.c_str());

  std::filesystem::remove_all(args.dir);
  RunResult log_result;
  {
    auto opened = log::Log::Open(log::LogOptions{.dir = args.dir + "/log", .codec = args.codec}, nullptr);
    if (!opened.ok()) {
      std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
      return 1;
    }
    auto& log = **opened;
    if (!log.CreateTopic({.name = "events_plugin_ingestion", .partitions = 8}).ok()) return 1;
    log_result = Drive(args, [&](int t, uint64_t seq, const std::vector<std::string>& values) {
      std::vector<log::OutgoingRecord> batch(args.batch);
      for (int i = 0; i < args.batch; ++i) {
        batch[i].topic = "events_plugin_ingestion";
        batch[i].record.key = "phc_bench:user_" + std::to_string((t * 7919 + seq + i) % 100000);
        batch[i].record.value = values[(seq + i) % values.size()];
      }
      auto r = log.AppendAndWait(std::move(batch));
      if (!r.ok()) {
        std::fprintf(stderr, "append failed: %s\n", r.status().ToString().c_str());
        std::exit(1);
      }
    });
    uint64_t stored = 0;
    auto partitions = log.Partitions("events_plugin_ingestion");
    for (const auto& p : *partitions) stored += p.bytes;
    std::printf("log stored %.0f bytes per %zu-byte record (codec %d)\n",
                static_cast<double>(stored) / log_result.records, args.value_bytes, static_cast<int>(args.codec));
  }
  std::filesystem::remove_all(args.dir);

  RunResult base_result;
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    o.compression = rocksdb::kNoCompression;
    o.write_buffer_size = 32 << 20;
    rocksdb::DB* raw = nullptr;
    std::filesystem::create_directories(args.dir);
    rocksdb::Status s = rocksdb::DB::Open(o, args.dir + "/rocksdb", &raw);
    if (!s.ok()) {
      std::fprintf(stderr, "baseline open failed: %s\n", s.ToString().c_str());
      return 1;
    }
    std::unique_ptr<rocksdb::DB> db(raw);
    base_result = Drive(args, [&](int t, uint64_t seq, const std::vector<std::string>& values) {
      rocksdb::WriteBatch wb;
      for (int i = 0; i < args.batch; ++i) {
        char key[16];
        uint64_t a = static_cast<uint64_t>(t), b = seq + i;
        std::memcpy(key, &a, 8);
        std::memcpy(key + 8, &b, 8);
        wb.Put(rocksdb::Slice(key, 16), values[(seq + i) % values.size()]);
      }
      rocksdb::WriteOptions wo;
      wo.sync = true;
      if (!db->Write(wo, &wb).ok()) std::exit(1);
    });
  }
  std::filesystem::remove_all(args.dir);

  Report("hedgerow-log", args, log_result);
  Report("rocksdb-sync", args, base_result);
  std::printf("ratio records/s log/baseline = %.2f\n",
              (log_result.records / log_result.seconds) / (base_result.records / base_result.seconds));
  return 0;
}
