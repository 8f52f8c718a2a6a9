#!/usr/bin/env bash
# Runs one libFuzzer target: every saved input in ASSETS once (regressions),
# then a bounded run seeded from ASSETS. RAIA_FUZZ_SECONDS (default 10) caps it.
set -euo pipefail
target=$1 assets=$2 corpus=$3
mkdir -p "$corpus"
if compgen -G "$assets/*" >/dev/null; then
  "$target" -runs=0 "$assets"
fi
"$target" -max_total_time="${RAIA_FUZZ_SECONDS:-10}" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$corpus" "$assets" 2>&1 | tail -n 15
