#!/usr/bin/env bash
# test.sh - one command from a fresh Debian 12 machine to a full test run:
# installs what is missing, then builds and runs every test three ways:
#   1. release build, warnings as errors: unit + integration tests (ctest)
#   2. ASan + UBSan build: the same suite
#   3. clang libFuzzer build: each fuzz target over its saved inputs, then
#      for RAIA_FUZZ_SECONDS (default 10) each
# Integration tests start their own redis-server, PostgreSQL, simulator and
# gateway on loopback ports and stop them when they end.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
raia_install_deps

jobs=$(nproc)
run_suite() { # BUILD_DIR CMAKE_ARGS...
  local dir=$1
  shift
  echo "== $dir: configure and build =="
  cmake -S . -B "$dir" -DRAIA_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" 2>&1 | grep -Ev '^\[ *[0-9]+%\]' || true
  cmake --build "$dir" -j"$jobs" >/dev/null  # fail here if the build failed
  echo "== $dir: tests =="
  (cd "$dir" && ctest --output-on-failure -j1 -LE fuzz)
}

run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug "-DRAIA_SANITIZE=address;undefined"

echo "== build-fuzz: libFuzzer targets =="
CC=clang cmake -S . -B build-fuzz -DRAIA_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$jobs" >/dev/null
(cd build-fuzz && ctest --output-on-failure -L fuzz)
echo "raia: all test suites passed"
