#!/usr/bin/env bash
# Long mode of the fuzzers: every libFuzzer target for SECONDS (default 600) each, one after
# the other, from the seed corpus plus what earlier runs found (kept in build-sanitize). Prints
# one line per target: executions, coverage, and any finding (the crash file stays in
# build-sanitize/findings). Exit 1 if any target found something.
#   bench/reliability/fuzz.sh [SECONDS]
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
# The build `make test-sanitize` uses (clang, ASan, UBSan, libFuzzer's instrumentation).
{ CC=clang CXX=clang++ cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEDGEROW_FUZZ=ON &&
  cmake --build build-sanitize -j2 --target fuzzers; } > /dev/null || { echo "fuzz.sh: the fuzzers did not build" >&2; exit 1; }
mkdir -p build-sanitize/findings
status=0
for binary in build-sanitize/tests/reliability/fuzz/fuzz_*; do
  name=${binary##*/fuzz_}
  corpus=build-sanitize/tests/reliability/fuzz/corpus/$name
  mkdir -p "$corpus"
  out=$("$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix=build-sanitize/findings/"$name"- "$corpus" tests/reliability/fuzz/corpus/"$name" 2>&1)
  rc=$?
  runs=$(grep -oP 'stat::number_of_executed_units:\s*\K[0-9]+' <<<"$out")
  cov=$(grep -oP 'cov: \K[0-9]+' <<<"$out" | tail -1)
  if [ $rc -eq 0 ]; then
    echo "$name: ${runs:-?} executions in ${seconds} s, coverage ${cov:-?} edges, no finding"
  else
    echo "$name: FINDING after ${runs:-?} executions (exit $rc):"
    grep -E 'ERROR|SUMMARY|Test unit written' <<<"$out" | head -5
    status=1
  fi
done
exit $status
