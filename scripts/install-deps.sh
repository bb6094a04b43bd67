#!/usr/bin/env bash
# Installs the Debian 12 packages omni needs, only those missing, without
# prompting. Safe to run any number of times; uses sudo when not root.
#   scripts/install-deps.sh          build and run dependencies
#   scripts/install-deps.sh --test   plus what the tests and benchmarks need
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache ca-certificates tzdata openssl
  libcli11-dev libboost-dev libpqxx-dev libpq-dev libyaml-cpp-dev nlohmann-json3-dev
  libspdlog-dev catch2 libssl-dev libhowardhinnant-date-dev
  libstemmer-dev libgumbo-dev libpoppler-cpp-dev libcurl4-openssl-dev libsodium-dev libphonenumber-dev
  postgresql-15 postgresql-client-15
)
test_packages=(python3 python3-icalendar python3-xapian python3-aiosmtpd chromium)

if [[ "${1:-}" == "--test" ]]; then
  packages+=("${test_packages[@]}")
  # A Node.js from elsewhere (NodeSource bundles npm) conflicts with Debian's
  # npm package; any working node and npm will do.
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    packages+=(nodejs npm)
  fi
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: these packages are missing and sudo is not available: ${missing[*]}" >&2
    echo "hint: ask an administrator to run: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
