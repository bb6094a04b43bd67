#!/usr/bin/env bash
# Configures and builds omni into build/ (Release, -O2, no debug info).
# Extra arguments go to cmake --build (e.g. a target name).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
export CCACHE_NOHASHDIR=1 CCACHE_BASEDIR="$root"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" "$@"
