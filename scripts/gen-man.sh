#!/usr/bin/env bash
# Regenerates man/man1/omni.1 from the command tree (the cli test fails when it is stale).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" --target omni
"$root/build/cmd/omni" --man-page >"$root/man/man1/omni.1"
