#!/usr/bin/env bash
# One-command set-up on a fresh machine: Bun (from npm) when missing; on Linux, clang-16 for the MSL
# emulator that runs the Metal shaders in tests and, on x86_64, an AArch64 cross compiler and qemu for
# the NEON kernel tests (apt, needs root); then `bun install`, which also builds the C engine. Safe to
# run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v bun >/dev/null 2>&1; then
  echo "setup: installing bun from npm"
  npm install -g bun >/dev/null
fi

# apt_install WHAT PACKAGE...: installs the packages a group of tests needs, warning on failure
apt_install() {
  local what=$1; shift
  echo "setup: installing $* ($what)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
    || echo "setup: warning: could not install $*; the $what tests will fail"
}

if [ "$(uname -s)" = "Linux" ]; then
  msl=0 neon=0
  command -v clang++-16 >/dev/null 2>&1 || msl=1
  # NEON kernel tests on x86_64 (tests/native/neon.test.ts): cross compiler, arm64 libc, qemu
  if [ "$(uname -m)" = "x86_64" ] && { ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 \
      || ! command -v qemu-aarch64 >/dev/null 2>&1 || [ ! -e /usr/aarch64-linux-gnu/lib/crt1.o ]; }; then
    neon=1
  fi
  if [ $msl = 1 ] || [ $neon = 1 ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq || echo "setup: warning: apt-get update failed"
      [ $msl = 0 ] || apt_install "Metal emulator" clang-16
      [ $neon = 0 ] || apt_install "NEON" gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
    else
      [ $msl = 0 ] || echo "setup: warning: clang++-16 not found; install it (apt-get install -y clang-16) for the Metal emulator tests"
      [ $neon = 0 ] || echo "setup: warning: aarch64 cross tools missing; install them (apt-get install -y gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user) for the NEON tests"
    fi
  fi
fi

bun install --frozen-lockfile
