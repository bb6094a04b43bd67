#!/usr/bin/env bash
# The second README command: installs what is missing, builds everything and
# runs every test suite through ctest. Safe to run again. `.ci/run` calls it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --test
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure "$@"
