#!/usr/bin/env bash
# Analytics benchmark: builds bench/analytics_bench.cpp and omni, then runs
# it against a private PostgreSQL cluster in a temp dir (removed afterwards).
# It seeds one business with 100,000 conversations and 1,000,000 messages
# over a year (generate_series), and prints p50/p95 of the 30-day summary
# and of a 90-day daily trend (in process and through the omni CLI), and
# the time and peak RSS of exporting 90 days and the whole year of
# conversations as CSV. Goal: summary p50 under 50 ms.
#   scripts/bench_analytics.sh                 a private cluster
#   scripts/bench_analytics.sh --url CONNINFO  an existing database instead
# Other flags: --runs N (50).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" --target omni_analytics_bench omni >/dev/null
echo "machine: $(nproc) cores, $(uname -sr); $(uptime)"
exec "$root/build/bench/omni_analytics_bench" --omni "$root/build/cmd/omni" "$@"
