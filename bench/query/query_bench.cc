// The query engine against ClickHouse, side by side, on the same synthetic PostHog events
// (bench/store/event_generator.h, as store_bench loads them), issue 17's acceptance queries:
//   build/bench/query_bench [--events 2000000] [--batch 100000] [--shards 2] [--runs 5] [--only TEXT]
//                           [--clickhouse /usr/sbin/clickhouse-server] [--skip-clickhouse]
// Each batch of rows goes into hedgerow's store (JsonRowDecoder -> Table::Insert, as the
// table consumer does) and, the same text, into a throwaway clickhouse-server 18.16
// (JSONEachRow over HTTP), with person_distinct_id2 rows for the person-joined query; both
// then merge (store merge-all; OPTIMIZE ... FINAL). Each query runs `--runs` times on each
// engine; the median time, whether the rows are equal, the ratio hedgerow/ClickHouse and the
// peak memory are printed. A query hedgerow cannot run yet is reported as unsupported.
// hedgerow's time is ExecuteStatement plus TabSeparated formatting, in process; ClickHouse's
// is the HTTP round trip (TabSeparated body) on loopback. Memory: hedgerow's peak RSS during
// the query (VmHWM after a reset) and its growth over the RSS before; ClickHouse's
// memory_usage of the query from system.query_log.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "support/clickhouse_server.h"
#include "common/side_by_side_options.h"
#include "hedgerow/common/uuid.h"
#include "hedgerow/query/executor.h"
#include "hedgerow/query/parser.h"
#include "hedgerow/store/json_rows.h"
#include "hedgerow/store/store.h"
#include "store/event_generator.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint32_t kDistinctIds = 100000;  // as store_bench

struct BenchQuery {
  const char* name;
  std::string hedgerow;
  std::string clickhouse;  // the same question in 18.16's dialect
};

// The distinct ids' persons: one each at version 0; every 10th user was merged into the
// person of user/10 at version 1; every 97th is deleted at version 2.
std::string PersonDistinctIds() {
  std::string rows;
  auto row = [&](uint32_t user, uint32_t person, int deleted, int version) {
    rows += fmt::format(R"({{"team_id":1,"distinct_id":"user-{:06d}","person_id":"{}","is_deleted":{},"version":{}}})",
                        user, Uuid::V5(Uuid{}, fmt::format("user-{:06d}", person)).ToString(), deleted, version);
    rows += '\n';
  };
  for (uint32_t u = 0; u < kDistinctIds; ++u) {
    row(u, u, 0, 0);
    if (u % 10 == 9) row(u, u / 10, 0, 1);
    if (u % 97 == 96) row(u, u, 1, 2);
  }
  return rows;
}

std::vector<BenchQuery> Queries() {
  const std::string person_join =
      "SELECT count() AS persons, sum(c) FROM (SELECT pdi.person_id AS person, count() AS c FROM events AS e "
      "INNER JOIN (SELECT distinct_id, argMax(person_id, version) AS person_id FROM person_distinct_id2 "
      "GROUP BY distinct_id HAVING argMax(is_deleted, version) = 0) AS pdi ON e.distinct_id = pdi.distinct_id "
      "GROUP BY person)";
  // 18.16 refuses to compare a DateTime key column with a string literal; toDateTime works in both.
  const std::string week = "timestamp >= toDateTime('2026-11-23 00:00:00') AND timestamp < toDateTime('2026-11-30 00:00:00')";
  return {
      {"count by event", "SELECT event, count() AS c FROM events GROUP BY event ORDER BY c DESC, event", ""},
      {"$browser breakdown",
       "SELECT JSONExtractString(properties, '$browser') AS b, count() AS c FROM events GROUP BY b ORDER BY c DESC, b",
       "SELECT visitParamExtractString(properties, '$browser') AS b, count() AS c FROM events GROUP BY b ORDER BY c DESC, b"},
      {"daily uniqExact $pageview",
       "SELECT toDate(timestamp) AS d, uniqExact(distinct_id) FROM events WHERE event = '$pageview' GROUP BY d ORDER BY d",
       ""},
      {"count() FINAL", "SELECT count() FROM events FINAL", ""},
      // uniq is approximate: the two engines' estimates may differ slightly above 65536 values.
      {"uniq(distinct_id)", "SELECT uniq(distinct_id) FROM events", ""},
      {"top 10 $pathname, one week",
       "SELECT JSONExtractString(properties, '$pathname') AS p, count() AS c FROM events WHERE " + week +
           " GROUP BY p ORDER BY c DESC, p LIMIT 10",
       "SELECT visitParamExtractString(properties, '$pathname') AS p, count() AS c FROM events WHERE " + week +
           " GROUP BY p ORDER BY c DESC, p LIMIT 10"},
      {"events per current person (join)", person_join, ""},
  };
}

Status Insert(store::Table& table, std::vector<std::string> rows, uint64_t offset) {
  store::JsonRowDecoder decoder(table.schema());
  for (std::string& row : rows) {
    Status s = decoder.Add(row, 0, offset);
    if (!s.ok()) return s;
  }
  return table.Insert(decoder.Take(), {{0, offset + rows.size()}});
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return lines;
}

struct Run {
  std::optional<std::string> unsupported;  // why hedgerow cannot run it
  std::vector<std::string> rows;
  double median_ms = 0;
  long peak_rss_kb = 0;
  long rss_growth_kb = 0;
};

Run RunHedgerow(const store::Store& store, const std::string& sql, int runs) {
  Run run;
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    long before = bench::StatusKb("/proc/self/status", "VmRSS:");
    bench::ResetPeakRss();
    auto start = Clock::now();
    auto statement = query::ParseStatement(sql);
    if (!statement.ok()) {
      run.unsupported = statement.status().message();
      return run;
    }
    auto result = query::ExecuteStatement(*statement, {.store = &store, .team_id = 1});
    if (!result.ok()) {
      run.unsupported = result.status().message();
      return run;
    }
    std::vector<std::string> rows;
    for (size_t r = 0; r < result->rows; ++r) {
      std::string line;
      for (size_t c = 0; c < result->columns.size(); ++c) {
        if (c) line += '\t';
        line += query::FormatValue(*result->columns[c], r);
      }
      rows.push_back(std::move(line));
    }
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    long peak = bench::StatusKb("/proc/self/status", "VmHWM:");
    run.peak_rss_kb = std::max(run.peak_rss_kb, peak);
    run.rss_growth_kb = std::max(run.rss_growth_kb, peak - before);
    run.rows = std::move(rows);
  }
  std::sort(times.begin(), times.end());
  run.median_ms = times[times.size() / 2];
  return run;
}

Run RunClickHouse(const bench::ClickHouseServer& server, const std::string& sql, int runs, const std::string& id) {
  Run run;
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    auto r = server.Post(fmt::format("/?default_format=TabSeparated&log_queries=1&query_id={}-{}", id, i), sql);
    if (!r || r->status != 200) throw std::runtime_error("clickhouse refused " + sql + ": " + (r ? r->body : "no answer"));
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    run.rows = Lines(r->body);
  }
  std::sort(times.begin(), times.end());
  run.median_ms = times[times.size() / 2];
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  size_t events = 2000000;
  int runs = 5;
  std::string only;  // run only the queries whose name holds this (to profile one)
  const bench::SideBySideOptions options =
      bench::ParseSideBySideOptions(argc, argv, [&](const std::string& k, const std::string& v) {
        if (k == "--events") events = std::stoull(v);
        else if (k == "--runs") runs = std::max(1, std::stoi(v));
        else if (k == "--only") only = v;
      });
  const size_t batch = options.batch;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const bool use_clickhouse = bench::UseClickHouse(options);
  testing::TempDir dir;
  std::printf("query_bench: %zu synthetic PostHog events (%u distinct ids), %u shards, median of %d runs\n", events,
              kDistinctIds, options.shards, runs);

  auto opened = store::Store::Open({.dir = dir.File("hedgerow"), .shards = options.shards, .merge_threads = 0}, nullptr);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<store::Store> store = std::move(opened).value();
  std::optional<bench::ClickHouseServer> server;
  if (use_clickhouse) {
    server.emplace(options.clickhouse, dir.File("clickhouse"));
    server->Query(bench::kClickHouseEventsDdl);
    server->Query("CREATE TABLE person_distinct_id2 (team_id Int64, distinct_id String, person_id UUID, "
                  "is_deleted UInt8, version Int64) ENGINE = ReplacingMergeTree(version) ORDER BY (team_id, distinct_id)");
  }
  // One text per row, given to both engines, so that they hold exactly the same rows.
  auto load_start = Clock::now();
  bench::EventGenerator gen(42, kDistinctIds);
  for (size_t done = 0; done < events; done += batch) {
    std::vector<std::string> rows;
    std::string body;
    for (size_t i = 0; i < std::min(batch, events - done); ++i) {
      rows.push_back(gen.Next());
      if (server) body += rows.back() + '\n';
    }
    Status s = Insert(*store->table("events"), std::move(rows), done);
    if (!s.ok()) {
      std::fprintf(stderr, "hedgerow insert: %s\n", s.ToString().c_str());
      return 1;
    }
    if (server) server->InsertJsonEachRow("events", body);
  }
  std::string pdi = PersonDistinctIds();
  Status s = Insert(*store->table("person_distinct_id2"), Lines(pdi), 0);
  if (s.ok()) s = store->MergeAll();
  if (!s.ok()) {
    std::fprintf(stderr, "hedgerow: %s\n", s.ToString().c_str());
    return 1;
  }
  if (server) {
    server->InsertJsonEachRow("person_distinct_id2", pdi);
    server->Query("OPTIMIZE TABLE events FINAL");
    server->Query("OPTIMIZE TABLE person_distinct_id2 FINAL");
  }
  std::printf("loaded and merged in %.1f s; hedgerow RSS %.0f MB\n",
              std::chrono::duration<double>(Clock::now() - load_start).count(),
              bench::StatusKb("/proc/self/status", "VmRSS:") / 1024.0);

  std::vector<BenchQuery> queries = Queries();
  std::erase_if(queries, [&](const BenchQuery& q) { return std::string_view(q.name).find(only) == std::string_view::npos; });
  std::vector<Run> ours, theirs;
  for (size_t q = 0; q < queries.size(); ++q) {
    ours.push_back(RunHedgerow(*store, queries[q].hedgerow, runs));
    if (server) {
      const std::string& sql = queries[q].clickhouse.empty() ? queries[q].hedgerow : queries[q].clickhouse;
      theirs.push_back(RunClickHouse(*server, sql, runs, fmt::format("qb{}", q)));
    }
  }
  // 18.16 writes query_log every flush interval; SYSTEM FLUSH LOGS forces it.
  std::vector<long> clickhouse_memory(queries.size(), -1);
  if (server) {
    server->Query("SYSTEM FLUSH LOGS");
    for (const std::string& line : Lines(server->Query(
             "SELECT query_id, max(memory_usage) FROM system.query_log WHERE type = 2 AND query_id LIKE 'qb%' "
             "GROUP BY query_id"))) {
      size_t tab = line.find('\t'), dash = line.find('-');
      if (tab == std::string::npos || dash == std::string::npos) continue;
      size_t q = std::stoul(line.substr(2, dash - 2));
      clickhouse_memory[q] = std::max(clickhouse_memory[q], std::stol(line.substr(tab + 1)));
    }
  }

  std::printf("\n%-34s %12s %12s %8s %8s %26s %14s\n", "query", "hedgerow ms", "clickhouse", "ratio", "rows",
              "hedgerow peak RSS (+grow)", "clickhouse mem");
  for (size_t q = 0; q < queries.size(); ++q) {
    const Run& o = ours[q];
    std::string ch_ms = server ? fmt::format("{:.1f}", theirs[q].median_ms) : "-";
    std::string ch_mem = server && clickhouse_memory[q] >= 0 ? fmt::format("{:.1f} MB", clickhouse_memory[q] / 1e6) : "-";
    if (o.unsupported) {
      std::printf("%-34s %12s %12s %8s %8s %26s %14s  unsupported: %s\n", queries[q].name, "-", ch_ms.c_str(), "-",
                  "-", "-", ch_mem.c_str(), o.unsupported->c_str());
      continue;
    }
    std::string ratio = server ? fmt::format("{:.2f}x", o.median_ms / theirs[q].median_ms) : "-";
    std::string same = !server ? "-" : o.rows == theirs[q].rows ? "equal" : "DIFFER";
    std::printf("%-34s %12.1f %12s %8s %8s %17.0f MB (+%3.0f) %14s\n", queries[q].name, o.median_ms, ch_ms.c_str(),
                ratio.c_str(), same.c_str(), o.peak_rss_kb / 1024.0, o.rss_growth_kb / 1024.0, ch_mem.c_str());
    if (server && o.rows != theirs[q].rows) {
      for (size_t i = 0; i < std::max(o.rows.size(), theirs[q].rows.size()) && i < 5; ++i) {
        std::printf("    hedgerow: %-40s clickhouse: %s\n", i < o.rows.size() ? o.rows[i].c_str() : "",
                    i < theirs[q].rows.size() ? theirs[q].rows[i].c_str() : "");
      }
    }
  }
  return 0;
}
