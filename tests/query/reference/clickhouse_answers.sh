#!/usr/bin/env bash
# Reference answers from the real engine: runs each query of a file (one a line) on Debian's
# clickhouse-server 18.16 (apt-get install clickhouse-server) and prints "query<TAB>answer"
# a line, the answer in TabSeparated with tabs and newlines escaped, or "error" when the
# server refuses the query. The test data files of tests/query/ are made with it, e.g.
#   tests/query/reference/clickhouse_answers.sh queries.txt > tests/query/testdata/types.tsv
# The server runs in a temporary directory on a free port and is stopped at the end.
set -euo pipefail
queries="$1"
server="${CLICKHOUSE_SERVER:-/usr/sbin/clickhouse-server}"
dir="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
mkdir -p "$dir/data/tmp"
cat > "$dir/config.xml" <<XML
<?xml version="1.0"?><yandex><logger><level>warning</level><console>1</console></logger>
<http_port>$port</http_port><listen_host>127.0.0.1</listen_host><path>$dir/data/</path>
<tmp_path>$dir/data/tmp/</tmp_path><users_config>/etc/clickhouse-server/users.xml</users_config>
<default_profile>default</default_profile><default_database>default</default_database>
<mark_cache_size>1073741824</mark_cache_size><timezone>UTC</timezone></yandex>
XML
"$server" --config-file="$dir/config.xml" > "$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/ping" > /dev/null && break
  sleep 0.1
done
while IFS= read -r query; do
  [ -z "$query" ] && continue
  if answer=$(curl -sf --data-binary "$query" "http://127.0.0.1:$port/?default_format=TabSeparated"); then
    printf '%s\t%s\n' "$query" "$(printf '%s' "$answer" | awk '{ gsub(/\t/, "\\t"); printf "%s%s", (NR > 1 ? "\\n" : ""), $0 }')"
  else
    printf '%s\terror\n' "$query"
  fi
done < "$queries"
