#!/usr/bin/env bash
# Benchmarks the operator console through two real omnid processes on one
# private PostgreSQL database (bench/console_bench.cpp):
#  1. the delay from a visitor's message on omnid A to the operator's inbox
#     event on omnid B (LISTEN/NOTIFY across processes): p50, p90, p99;
#  2. the console's page weight on first load, as sent and gzipped.
#
#   scripts/bench_console.sh [MESSAGES]     default 300
#
# Builds omnid and omni_console_bench in $BUILD_DIR (default ./build).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
ninja -C "$build" omnid omni_console_bench >/dev/null
echo "machine: $(nproc) cores, $(uname -sr)"
uptime
timeout 600 "$build/bench/omni_console_bench" "${1:-300}"
