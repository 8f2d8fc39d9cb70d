#pragma once

// The command line shared by the benchmarks that run hedgerow and a throwaway clickhouse-server
// (tests/support/clickhouse_server.h) side by side on the same rows: store_bench and query_bench.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "support/clickhouse_server.h"

namespace hedgerow::bench {

using testing::ClickHouseServer;
using testing::FreePort;
using testing::kClickHouseEventsDdl;
using testing::ResetPeakRss;
using testing::StatusKb;

struct SideBySideOptions {
  size_t batch = 100000;  // rows per insert, on both sides
  uint32_t shards = 2;    // hedgerow's
  std::string clickhouse = "/usr/sbin/clickhouse-server";
  bool skip_clickhouse = false;
};

// Reads --batch N, --shards N, --clickhouse PATH and --skip-clickhouse; every other
// `--key value` pair goes to `other`. A key without a value ends the parsing.
inline SideBySideOptions ParseSideBySideOptions(
    int argc, char** argv, const std::function<void(const std::string& key, const std::string& value)>& other) {
  SideBySideOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--skip-clickhouse") {
      options.skip_clickhouse = true;
      continue;
    }
    if (i + 1 >= argc) break;
    std::string v = argv[++i];
    if (k == "--batch") options.batch = std::stoull(v);
    else if (k == "--shards") options.shards = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--clickhouse") options.clickhouse = v;
    else other(k, v);
  }
  return options;
}

// Whether to run the ClickHouse side: not when --skip-clickhouse was given, nor (saying so)
// when the server binary is not installed.
inline bool UseClickHouse(const SideBySideOptions& options) {
  if (options.skip_clickhouse) return false;
  if (!std::filesystem::exists(options.clickhouse)) {
    std::printf("clickhouse: skipped (%s not found; apt-get install clickhouse-server)\n", options.clickhouse.c_str());
    return false;
  }
  return true;
}

}  // namespace hedgerow::bench
