#!/usr/bin/env bash
# Reference answers from the real engine: runs each query of a file (one a line) on Debian's
# clickhouse-server 18.16 (apt-get install clickhouse-server) and prints "query<TAB>answer"
# a line, the answer in TabSeparated with tabs and newlines escaped, or "error" when the
# server refuses the query. The test data files of tests/query/ are made with it, e.g.
#   tests/query/reference/clickhouse_answers.sh queries.txt > tests/query/testdata/types.tsv
# The server (clickhouse_server.sh) runs in a temporary directory and is stopped at the end.
set -euo pipefail
queries="$1"
source "$(dirname "$0")/clickhouse_server.sh"
while IFS= read -r query; do
  [ -z "$query" ] && continue
  if answer=$(curl -sf --data-binary "$query" "http://127.0.0.1:$port/?default_format=TabSeparated"); then
    printf '%s\t%s\n' "$query" "$(printf '%s' "$answer" | awk '{ gsub(/\t/, "\\t"); printf "%s%s", (NR > 1 ? "\\n" : ""), $0 }')"
  else
    printf '%s\terror\n' "$query"
  fi
done < "$queries"
