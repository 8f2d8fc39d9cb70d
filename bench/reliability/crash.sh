#!/usr/bin/env bash
# Long mode of the whole-process crash test (tests/reliability/crash_test.cc): KILLS (default
# 30) SIGKILLs of a real server under load, then the same input without kills; prints the
# test's summary line (kills, batches acknowledged and sent again, events found).
#   bench/reliability/crash.sh [KILLS]
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake --build build -j2 --target hedgerow hedgerow_reliability_test > /dev/null
HEDGEROW_CRASH_KILLS=${1:-30} ./build/tests/hedgerow_reliability_test "kill -9*" 2>&1 | grep -v '^ts=' | grep -E -A3 'warning:|FAILED|passed|failed'
