#!/usr/bin/env bash
# Benchmarks billing through the real omnid on 127.0.0.1, with a private
# PostgreSQL and the fake Stripe (bench/billing_bench.cpp):
#  1. verified and applied Stripe webhook events per second, duplicates
#     included (each must be a no-op);
#  2. meter events drained per second from the outbox to the fake Stripe;
#  3. how long a metered interaction waits on the outbox, while Stripe
#     takes 2 s per answer (it must not wait on Stripe at all).
#
#   scripts/bench_billing.sh [WEBHOOK_EVENTS] [DUPLICATES] [CLIENTS] [METER_EVENTS]
#   defaults: 2000 2 8 2000
#
# Builds omnid and omni_billing_bench in $BUILD_DIR (default ./build).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
ninja -C "$build" omnid omni_billing_bench >/dev/null
echo "machine: $(nproc) cores, $(uname -sr)"
uptime
timeout 900 "$build/bench/omni_billing_bench" "${1:-2000}" "${2:-2}" "${3:-8}" "${4:-2000}"
