#!/usr/bin/env bash
# Booking benchmark: builds bench/booking_bench.cpp and runs it against a
# private PostgreSQL cluster in a temp dir (removed afterwards). It seeds a
# business with 1,000 appointments over the next 30 days and prints the
# time per 30-day availability query (p50/p95, with and without the
# database) and bookings per second with concurrent clients racing for
# overlapping slots, then checks the database holds no overlap.
#   scripts/bench_booking.sh                   durable cluster (fsync on)
#   scripts/bench_booking.sh --fast            fsync off
#   scripts/bench_booking.sh --url CONNINFO    an existing database instead
# Other flags: --queries N (300), --clients N (16), --attempts N per client (50).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" --target omni_booking_bench >/dev/null
exec "$root/build/bench/omni_booking_bench" "$@"
