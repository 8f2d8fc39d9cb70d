#!/usr/bin/env bash
# Regenerates the expected rows of tests/query/sql/*.test from clickhouse-server 18.16
# (apt-get install clickhouse-server), over the same team-1 rows the SQL tests load:
#   tests/query/reference/sql_answers.sh [BUILD_DIR]     (default: build)
# 1. starts a throwaway server (clickhouse_server.sh);
# 2. creates PostHog's tables with the store's names and column types (DateTime for
#    DateTime64: 18.16 has no DateTime64; the dataset's times are whole seconds), the
#    replacing ones as ReplacingMergeTree with the same ORDER BY keys, and stops merges so
#    that duplicates stay visible without FINAL, as in the test's store;
# 3. has the test binary write the dataset (sql_dataset.h, team 1 only) as JSONEachRow,
#    one file per insert, and inserts them in order;
# 4. has the test binary rewrite each .test file's expected rows with the server's answers
#    (blocks marked `-- hand` and blocks expecting an error keep theirs; `-- reference: SQL`
#    asks the server that spelling instead). Review the diff before committing it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
build="${1:-$root/build}"
binary="$build/tests/hedgerow_query_test"
source "$(dirname "$0")/clickhouse_server.sh"
mkdir -p "$dir/rows"
run() { curl -sSf --data-binary "$1" "http://127.0.0.1:$port/" || { echo "clickhouse refused: $1" >&2; exit 1; }; }

run "CREATE TABLE events (uuid UUID, event String, properties String, timestamp DateTime, team_id Int64,
  distinct_id String, elements_chain String, created_at DateTime, person_id UUID, person_properties String,
  person_created_at DateTime, person_mode String, \`\$group_0\` String, \`\$group_1\` String, \`\$group_2\` String,
  \`\$group_3\` String, \`\$group_4\` String, _timestamp DateTime, _offset UInt64)
  ENGINE = ReplacingMergeTree(_timestamp) PARTITION BY toYYYYMM(timestamp)
  ORDER BY (team_id, toDate(timestamp), event, cityHash64(distinct_id), cityHash64(toString(uuid)))"
run "CREATE TABLE person (id UUID, created_at DateTime, team_id Int64, properties String, is_identified UInt8,
  is_deleted UInt8, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY (team_id, id)"
run "CREATE TABLE person_distinct_id2 (team_id Int64, distinct_id String, person_id UUID, is_deleted UInt8,
  version Int64) ENGINE = ReplacingMergeTree(version) ORDER BY (team_id, distinct_id)"
run "CREATE TABLE groups (group_type_index UInt8, group_key String, created_at DateTime, team_id Int64,
  group_properties String, version Int64) ENGINE = ReplacingMergeTree(version)
  ORDER BY (team_id, group_type_index, group_key)"
run "CREATE TABLE ingestion_warnings (team_id Int64, source String, type String, details String, timestamp DateTime)
  ENGINE = MergeTree PARTITION BY toYYYYMM(timestamp) ORDER BY (team_id, type, timestamp)"
run "CREATE TABLE dead_letter_queue (team_id Int64, raw_payload String, error_location String, error String,
  error_timestamp DateTime) ENGINE = MergeTree PARTITION BY toYYYYMM(error_timestamp) ORDER BY (team_id, error_timestamp)"
run "SYSTEM STOP MERGES"

HEDGEROW_SQL_DATASET_DIR="$dir/rows" "$binary" "[.sql_dataset]" > /dev/null
for file in "$dir"/rows/*.jsonl; do
  name="$(basename "$file" .jsonl)"
  table="${name#*_}"
  curl -sSf --data-binary @"$file" "http://127.0.0.1:$port/?query=INSERT%20INTO%20$table%20FORMAT%20JSONEachRow" \
    || { echo "clickhouse refused the rows of $file" >&2; exit 1; }
done
HEDGEROW_CLICKHOUSE_PORT="$port" "$binary" "[.sql_regenerate]"
