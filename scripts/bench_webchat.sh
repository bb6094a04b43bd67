#!/usr/bin/env bash
# Benchmarks omnid's public chat API on 127.0.0.1 (loopback only) against a
# private PostgreSQL cluster and the fake model (tests/tools/fake_openai):
#
#  1. Chat turns per second through omnid (the fake model answering at
#     once), against the limit: pgbench replaying the SQL of one turn,
#     captured from the cluster's statement log (each of the turn's
#     transactions replayed with ROLLBACK instead of COMMIT, and each
#     statement it runs on its own in a transaction that rolls back, so
#     that replays do not collide on unique keys), in the same run, each
#     statement prepared once per pgbench client as omnid prepares its
#     own. Ratio printed.
#  2. Concurrent streaming conversations with the fake model taking 2 s per
#     answer: all must complete. omnid's peak RSS (VmHWM) and CPU seconds.
#  3. Time to first token: through omnid against straight from the fake
#     model; the difference is what omnid adds (auth, its database steps
#     before the model call, prompt building, relaying).
#
#   scripts/bench_webchat.sh [TURNS] [CONVERSATIONS]    (defaults 2000 2000)
#
# Builds omnid, omni and fake_openai in $BUILD_DIR (default build-bench).
# Needs node (bench/webchat_load.mjs), pgbench, curl and python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
turns="${1:-2000}"
conversations="${2:-2000}"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build" omnid omni fake_openai >/dev/null
# Each streaming conversation holds a client socket and an upstream one.
ulimit -n "$(ulimit -Hn)"

pgbin="$(pg_config --bindir)"
work="$(mktemp -d /tmp/omni-webchat-bench-XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -f "$work/data/postmaster.pid" ]; then
    kill -INT "$(head -1 "$work/data/postmaster.pid")" 2>/dev/null || true
    sleep 1
  fi
  rm -rf "$work"
}
trap cleanup EXIT

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$work"

# wait_for FILE TEXT: up to 30 s for TEXT to appear in FILE.
wait_for() {
  for _ in $(seq 300); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1" >&2
  cat "$1" >&2
  return 1
}

echo "machine: $(nproc) cores, $(uname -sr); node $(node --version)"

# The cluster: fsync off like the tests, pg_stat_statements, CSV statement log.
as_postgres "$pgbin/initdb" -D "$work/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
  --no-instructions >/dev/null
cat >>"$work/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$work'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_preload_libraries = 'pg_stat_statements'
logging_collector = on
log_destination = 'csvlog'
log_directory = 'log'
CONF
as_postgres "$pgbin/postgres" -D "$work/data" >"$work/postgres.out" 2>&1 &
for _ in $(seq 100); do "$pgbin/pg_isready" -q -h "$work" && break; sleep 0.1; done
psql_do() { "$pgbin/psql" -q -X -v ON_ERROR_STOP=1 -h "$work" -U postgres -d omni -At -c "$1"; }
"$pgbin/createdb" -h "$work" -U postgres omni
psql_do "CREATE EXTENSION pg_stat_statements"
url="postgresql:///omni?host=$work&user=postgres"

# start_fake DELAY_MS [PORT]: the fake model; sets fake_port.
start_fake() {
  "$build/tests/fake_openai" --port "${2:-0}" --threads 2 --pieces 8 --first-byte-delay-ms "$1" \
    --text "Sure, we have openings on Friday at 10:00 and 14:30. Shall I book one for you?" \
    --max-seconds 1200 >"$work/fake.out" 2>&1 &
  fake_pid=$!
  pids+=("$fake_pid")
  wait_for "$work/fake.out" "listening on"
  fake_port="$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/fake.out" | grep -o '[0-9]*$')"
}

# start_omnid: omnid on the fake model; sets omnid_pid and port.
start_omnid() {
  cat >"$work/omni.yaml" <<YAML
database:
  url: "$url"
  pool_size: 8
server:
  listen: 127.0.0.1:0
  io_threads: 2
  db_threads: 4
  visitor_rate_per_min: 0
  ip_rate_per_min: 0
  read_timeout_ms: 60000
  write_timeout_ms: 60000
llm:
  base_url: http://127.0.0.1:$fake_port/v1
  api_key: bench-key
  models: [fake-model]
  max_retries: 0
plans:
  free:
    interactions_per_month: -1
    conversations_per_month: -1
logging:
  level: warn
YAML
  "$build/daemon/omnid" --config "$work/omni.yaml" >"$work/omnid.out" 2>"$work/omnid.err" &
  omnid_pid=$!
  pids+=("$omnid_pid")
  wait_for "$work/omnid.out" "listening on"
  port="$(grep -o 'http://127.0.0.1:[0-9]*' "$work/omnid.out" | head -1 | grep -o '[0-9]*$')"
}

cpu_seconds() {  # utime + stime of a process, in seconds
  awk -v tck="$(getconf CLK_TCK)" '{print ($14 + $15) / tck}' "/proc/$1/stat"
}

start_fake 0
start_omnid
OMNI_CONFIG="$work/omni.yaml" "$build/cmd/omni" business apply -f "$root/config/demo-salon.yaml" >/dev/null

echo
echo "== 1. chat turns per second (fake model answering at once)"
node "$root/bench/webchat_load.mjs" turns "$port" demo-salon 100 8 >/dev/null  # warm-up

# Capture the SQL of exactly one turn.
token="$(curl -s -X POST "http://127.0.0.1:$port/v1/chat/demo-salon/session" -d '{}' |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
psql_do "ALTER SYSTEM SET log_statement = 'all'"
psql_do "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
curl -s -X POST "http://127.0.0.1:$port/v1/chat/demo-salon/messages" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"message":"Do you have time for a haircut on Friday?"}' >/dev/null
sleep 0.5
psql_do "ALTER SYSTEM SET log_statement = 'none'"
psql_do "SELECT pg_reload_conf()" >/dev/null
sleep 0.3
/usr/bin/python3 - "$work" >"$work/turn.sql" <<'PY'
import csv, glob, re, sys
work = sys.argv[1]
rows = []
for path in sorted(glob.glob(work + "/data/log/*.csv")):
    with open(path, newline="") as f:
        rows.extend(csv.reader(f))
started = False
in_transaction = False
counts = {"statements": 0, "transactions": 0, "alone": 0}
out = []
for row in rows:
    message, detail = row[13], row[14]
    if "log_statement" in message or "pg_reload_conf" in message:
        continue
    m = re.match(r"(?:statement|execute [^:]*): (.*)", message, re.S)
    if not m:
        continue
    sql = m.group(1).strip()
    if sql.startswith(("LISTEN", "SELECT 1", "ALTER SYSTEM")) or "pg_stat_statements" in sql:
        continue
    params = {}
    if detail.startswith("parameters: "):
        for name, value in re.findall(r"\$(\d+) = (NULL|'(?:[^']|'')*')", detail[len("parameters: "):]):
            params[name] = value
    sql = re.sub(r"\$(\d+)", lambda p: params.get(p.group(1), p.group(0)), sql)
    if sql.upper() == "COMMIT":
        sql = "ROLLBACK"
    # The turn's metering event is unique by its key, which the real turn
    # committed: each replay meters under a fresh key instead.
    if "INSERT INTO usage_events" in sql:
        sql = re.sub(r"(idempotency_key, conversation_id\) VALUES \('[^']*', '[^']*', '[^']*'::timestamptz, )'[^']*'",
                     r"\1gen_random_uuid()::text", sql)
    sql = " ".join(sql.split())
    upper = sql.upper()
    if upper == "BEGIN":
        in_transaction = True
    elif upper == "ROLLBACK":
        in_transaction = False
    elif not in_transaction:
        # A statement omni runs on its own (autocommitted) is replayed so
        # too, but one that writes is wrapped in a transaction that rolls
        # back.
        counts["alone"] += 1
        out.extend([sql + ";"] if upper.startswith("SELECT") else ["BEGIN;", sql + ";", "ROLLBACK;"])
        continue
    else:
        counts["statements"] += 1
    if upper == "BEGIN":
        counts["transactions"] += 1
    out.append(sql + ";")
print("\n".join(out))
with open(work + "/turn.counts", "w") as f:
    f.write("%(statements)d statements in %(transactions)d transactions and %(alone)d on their own\n" % counts)
PY
echo "one turn issues $(cat "$work/turn.counts") (script: turn.sql)"

psql_do "SELECT pg_stat_statements_reset()" >/dev/null
before_cpu="$(cpu_seconds "$omnid_pid")"
result="$(node "$root/bench/webchat_load.mjs" turns "$port" demo-salon "$turns" 16)"
after_cpu="$(cpu_seconds "$omnid_pid")"
echo "omnid: $result"
omnid_tps="$(echo "$result" | /usr/bin/python3 -c 'import json,sys; print("%.1f" % json.load(sys.stdin)["turns_per_s"])')"
echo "omnid CPU: $(echo "$after_cpu - $before_cpu" | bc) s for $turns turns"
calls="$(psql_do "SELECT sum(calls) FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'")"
echo "pg_stat_statements: $calls statement calls during the run ($(echo "scale=1; $calls / $turns" | bc) per turn)"

pgbench_out="$("$pgbin/pgbench" -n -M prepared -h "$work" -U postgres -f "$work/turn.sql" -c 8 -j 2 -T 10 omni 2>&1 || true)"
if ! echo "$pgbench_out" | grep -q 'tps = '; then
  echo "pgbench failed:" >&2
  echo "$pgbench_out" | tail -5 >&2
  cp "$work/turn.sql" /tmp/webchat-turn.sql
  exit 1
fi
pgbench_tps="$(echo "$pgbench_out" | grep -o 'tps = [0-9.]*' | head -1 | grep -o '[0-9.]*$')"
failed_tx="$(echo "$pgbench_out" | grep -o 'number of failed transactions: [0-9]*' | grep -o '[0-9]*$' || echo 0)"
echo "pgbench (same SQL per turn, 8 clients, 10 s): $pgbench_tps turns/s, failed transactions: ${failed_tx:-0}"
echo "ratio omnid / pgbench: $(echo "scale=3; $omnid_tps / $pgbench_tps" | bc)"

echo
echo "== 3. time to first token, fake model answering at once"
node "$root/bench/webchat_load.mjs" ttft "$port" demo-salon "$fake_port" 200

echo "relay: the delay between the model writing its first token and the client reading it through omnid"
kill "$omnid_pid"
wait "$omnid_pid" 2>/dev/null || true
model_port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
saved_fake_port="$fake_port"
fake_port="$model_port"
start_omnid
node "$root/bench/webchat_load.mjs" relay "$port" demo-salon "$model_port" 200
fake_port="$saved_fake_port"

echo
echo "== 2. $conversations concurrent streaming conversations, fake model taking 2 s"
kill "$omnid_pid" "$fake_pid"
wait "$omnid_pid" "$fake_pid" 2>/dev/null || true
start_fake 2000
start_omnid
before_cpu="$(cpu_seconds "$omnid_pid")"
result="$(node "$root/bench/webchat_load.mjs" streams "$port" demo-salon "$conversations")"
after_cpu="$(cpu_seconds "$omnid_pid")"
echo "$result"
echo "omnid peak RSS: $(grep VmHWM "/proc/$omnid_pid/status" | awk '{print $2, $3}'), threads: $(grep Threads "/proc/$omnid_pid/status" | awk '{print $2}')"
echo "omnid CPU: $(echo "$after_cpu - $before_cpu" | bc) s for $conversations conversations (sessions included)"
completed="$(echo "$result" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["completed"])')"
if [ "$completed" != "$conversations" ]; then
  echo "FAILED: only $completed of $conversations conversations completed" >&2
  exit 1
fi
