#pragma once

// The rows the SQL tests (tests/query/sql/*.test) query: PostHog's tables for team 1 and a
// little of team 2, generated from a fixed seed so that hedgerow's store and the reference
// clickhouse-server 18.16 (tests/query/reference/sql_answers.sh) hold exactly the same rows.
//
// Team 1: ~3000 events over two weeks (2026-11-23 .. 2026-12-06, two partitions) from ~200
// distinct ids (unicode, quotes, backslashes, tabs in some), properties with nested objects,
// arrays, escaped strings, numbers as strings, JSON nulls, missing keys and a few malformed
// documents; some events inserted again later with a higher _timestamp (FINAL keeps one);
// persons with several versions each (inserted out of version order, some deleted at the
// latest), person_distinct_id2 rows re-pointed and deleted at higher versions, groups with
// versions, a few ingestion warnings. Team 2 shares distinct ids and person ids with team 1
// (so that a query leaking across teams shows) and is never loaded into ClickHouse.
//
// Timestamps are whole seconds: 18.16 has DateTime only, and its answers must match.

#include <cstdint>
#include <string>
#include <vector>

#include "hedgerow/common/status.h"

namespace hedgerow::store {
class Store;
}

namespace hedgerow::query::testing {

struct SqlDatasetRow {
  int64_t team_id = 1;
  std::string json;  // one JSONEachRow object of the table's columns
};

// One Table::Insert (one INSERT in ClickHouse): the inserts are kept apart so that
// duplicates of a ReplacingMergeTree key land in different parts, as they do in production.
struct SqlDatasetInsert {
  std::string table;
  std::vector<SqlDatasetRow> rows;
};

// The whole dataset, in insert order. Deterministic: the same rows on every call.
const std::vector<SqlDatasetInsert>& SqlDataset();

// Inserts every row (both teams) through each table's JsonRowDecoder and Table::Insert, as
// the store's consumers do. The store must not merge meanwhile (merge_threads = 0), so that
// queries without FINAL see the duplicates as ClickHouse with merges stopped does.
Status LoadSqlDataset(store::Store& store);

// Writes the team-1 rows as JSONEachRow files <dir>/NN_<table>.jsonl, one per insert, in
// insert order (what sql_answers.sh loads into ClickHouse, file after file).
Status WriteSqlDataset(const std::string& dir);

}  // namespace hedgerow::query::testing
