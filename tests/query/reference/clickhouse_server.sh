# Sourced (not run) by clickhouse_answers.sh and sql_answers.sh: starts a throwaway
# clickhouse-server 18.16 ($CLICKHOUSE_SERVER, default Debian's /usr/sbin/clickhouse-server)
# in a temporary directory on a random port, waits until it answers, and stops it and removes
# the directory when the sourcing script exits. Sets $dir (the temporary directory, where the
# caller may keep files of its own) and $port (the server's HTTP port on 127.0.0.1).
server="${CLICKHOUSE_SERVER:-/usr/sbin/clickhouse-server}"
dir="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
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
