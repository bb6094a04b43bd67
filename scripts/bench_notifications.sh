#!/usr/bin/env bash
# Notifications benchmark: builds bench/notify_bench.cpp and runs it on a
# throwaway PostgreSQL database. Prints booking latency with its
# notification jobs, the enqueue step alone (what it adds at most), and
# notifications per second through the queue, recorded only and over SMTP
# to a local aiosmtpd sink (python3-aiosmtpd), and webhook deliveries per
# second (signed POSTs to a receiver on 127.0.0.1) with the booking latency
# of a business whose endpoint subscribes to appointment.created.
#   scripts/bench_notifications.sh [--bookings N (500)] [--workers W (4)]
# For booking throughput under contention before and after notifications,
# run scripts/bench_booking.sh on both commits.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" --target omni_notify_bench >/dev/null
exec "$root/build/bench/omni_notify_bench" "$@"
