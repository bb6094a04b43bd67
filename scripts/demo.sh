#!/usr/bin/env bash
# The first README command: installs what is missing, builds, starts the
# embedded database, applies the demo business and its knowledge, then runs
# omnid in the foreground. Safe to run again: --sync removes only demo
# documents that left config/demo-kb, never what you ingested yourself, and
# names each one it removes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" --target omni omnid
omni="$root/build/cmd/omni"
cd "$root"
"$omni" db up
"$omni" business apply -f config/demo-salon.yaml
"$omni" ingest -b demo-salon config/demo-kb --sync
listen=$("$omni" -o json config show | sed -n 's/.*"listen": *"\([^"]*\)".*/\1/p' | head -n 1)
echo "omni demo: open http://${listen:-127.0.0.1:8080}/chat/demo-salon to talk to the demo salon (Ctrl-C stops omnid)"
exec "$root/build/daemon/omnid"
