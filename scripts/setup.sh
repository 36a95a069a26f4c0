#!/usr/bin/env bash
# One-command set-up on a fresh machine: Bun (from npm) when missing; on Linux, clang-16 for the MSL
# emulator that runs the Metal shaders in tests (apt, needs root); then `bun install`, which also
# builds the C engine. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v bun >/dev/null 2>&1; then
  echo "setup: installing bun from npm"
  npm install -g bun >/dev/null
fi

if [ "$(uname -s)" = "Linux" ] && ! command -v clang++-16 >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing clang-16 (MSL emulator)"
    (apt-get update -qq && apt-get install -y -qq clang-16 >/dev/null) \
      || echo "setup: warning: could not install clang-16; the Metal emulator tests will fail"
  else
    echo "setup: warning: clang++-16 not found; install it (apt-get install -y clang-16) for the Metal emulator tests"
  fi
fi

bun install --frozen-lockfile
