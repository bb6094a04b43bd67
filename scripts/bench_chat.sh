#!/usr/bin/env bash
# Benchmarks omni's own time per chat turn (database, retrieval, prompt
# building, tool execution, result handling), with the fake model server
# on 127.0.0.1 answering at once, and the prompt size of a typical turn in
# tokens (js-tiktoken from npm, bench/tokens; needs node and npm).
# Target: under 5 ms at p99 on 2 cores, excluding the model.
#
#   scripts/bench_chat.sh [TURNS] [TOOL_EVERY]
#
# Every TOOL_EVERY-th model call (default 4) asks for a tool: 4 makes about
# one turn in three a tool turn, 2 makes every turn one, 0 none.
#
# Builds omni_chat_bench (bench/chat_bench.cpp) in $BUILD_DIR (default build-bench) and runs it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build" omni_chat_bench >/dev/null
echo "machine: $(nproc) cores, $(uname -sr)"
uptime
timeout 600 "$build/bench/omni_chat_bench" "${1:-400}" "${2:-4}" "$build/typical_request.json"

# The typical request's prompt tokens, by OpenAI's BPE encodings.
tokens="$root/bench/tokens"
if [[ ! -f "$tokens/node_modules/.package-lock.json" || "$tokens/package-lock.json" -nt "$tokens/node_modules/.package-lock.json" ]]; then
  (cd "$tokens" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "typical request's prompt tokens: $(node "$tokens/count.mjs" "$build/typical_request.json")"
