#!/usr/bin/env bash
# demo.sh - one command from a fresh Debian 12 machine to a finished USSD report:
# installs what is missing, builds, starts throwaway Redis and PostgreSQL, the
# SMSC simulator and the gateway, plays a scripted session through the phone
# simulator, prints the transcript and the rows that landed in PostgreSQL,
# then stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
source scripts/lib/servers.sh
source scripts/lib/stack.sh

raia_install_deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

trap 'raia_stack_stop >/dev/null 2>&1 || true' EXIT
raia_stack_start build .run/demo

echo "== USSD session: +256700000001 dials *384*12# =="
build/simulators/raia-phone --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn +256700000001 \
  --dial '*384*12#' --input 1 --input 1 --input 9 --input 4 \
  --input "Borehole pump at Kasese market broken since Monday" \
  --input 1 --input 2 --input 1  # region, district, ward

echo
echo "== Rows in PostgreSQL (the writer moves them from the Redis stream) =="
for i in $(seq 1 50); do
  n=$(psql -tA "$RAIA_PG_CONNINFO" -c "SELECT count(*) FROM sessions WHERE outcome IS NOT NULL")
  [ "$n" -ge 1 ] && break
  sleep 0.2
done
psql "$RAIA_PG_CONNINFO" -c \
  "SELECT left(pseudonym, 16) || '…' AS pseudonym, flow_id, flow_version, consent_version,
          channel, operator, outcome FROM sessions ORDER BY started_at"
psql "$RAIA_PG_CONNINFO" -c \
  "SELECT question_id, code, value, answered_at FROM answers ORDER BY answer_id"
echo "Logs and config of this run: .run/demo/"
