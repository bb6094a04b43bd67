#!/usr/bin/env bash
# The second README command: installs what is missing, builds everything and
# runs every test suite through ctest. Safe to run again. `.ci/run` calls it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --test
# Node packages of the test suites (the openai and stripe clients, standardwebhooks, the OpenAPI validator,
# playwright-core), from their lock files; reinstalled only when a lock file changed.
for dir in "$root"/tests/http/openai_compat "$root"/tests/http/stripe_webhook "$root"/tests/http/webhook_receiver \
  "$root"/tests/http/openapi "$root"/tests/browser; do
  if [[ -f "$dir/package-lock.json" ]] &&
     [[ ! -f "$dir/node_modules/.package-lock.json" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure "$@"
