#!/usr/bin/env bash
# my_data_test.sh BUILD_DIR - a citizen's "my data" USSD menu (*384*99#)
# against the real stack: it lists the flows that hold the caller's
# answers, withdraws from one after a confirmation (its answers erased, an
# opt-out opened, audited), erases everything after a confirmation, leaves
# another person's answers alone, says so when nothing is kept, and answers
# politely when PostgreSQL is away.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" my_data

phone() { # MSISDN CODE INPUT...: one USSD session; transcript in $run/MSISDN-N.txt
  local msisdn=$1 code=$2 a args=()
  shift 2
  for a in "$@"; do args+=(--input "$a"); done
  calls=$((${calls:-0} + 1))
  "$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn "$msisdn" \
    --dial "$code" --timeout 20 "${args[@]}" >"$run/$msisdn-$calls.txt" 2>&1
  last="$run/$msisdn-$calls.txt"
}
A=+256700000011 B=+256700000012 C=+256700000013
sessions_of() { sql "SELECT count(*) FROM sessions WHERE pseudonym = '$(pseud "$1")' $2"; }

# A answers two flows, B one; the writer stores them.
phone "$A" '*384*12#' 1 1 3 "Tap dry for a week" 4
phone "$A" '*384*13#' 1 1 1 2 1 1 1 1
phone "$B" '*384*12#' 1 2 2 "Clinic closed" 1 1 1
check "three completed sessions stored" wait_until 20 sql_is \
  "SELECT count(*) FROM sessions WHERE outcome = 'completed'" 3

phone "$A" '*384*99#' 1 1
cat "$last"
check "the menu lists both flows, the most recent first" \
  grep -Pzq '< Your answers are kept for:\n< 1 Washington Group[^\n]*\n< 2 Community service report\n< 9 Erase all my answers\n< 0 Exit' "$last"
check "withdrawing asks for confirmation" grep -q "Withdraw from Washington Group" "$last"
check "and confirms it was done" grep -q "Done. Your answers to Washington Group" "$last"
check "the withdrawn flow's session is erased, the other kept" wait_until 20 sql_is \
  "SELECT string_agg(flow_id, ',') FROM sessions WHERE pseudonym = '$(pseud "$A")'" community-report
check "no answer of the withdrawn flow is left" sql_is \
  "SELECT count(*) FROM answers a JOIN sessions s USING (session_id) WHERE s.flow_id = 'disability-wg-ss'" 0
check "withdrawal is an opt-out from that flow" sql_is \
  "SELECT count(*) FROM opt_outs WHERE pseudonym = '$(pseud "$A")' AND flow_id = 'disability-wg-ss' AND lifted_at IS NULL" 1
check "withdrawal audited with what it erased" sql_is \
  "SELECT action || ':' || (detail->>'flow') || ':' || (detail->>'sessions') || ':' || (detail->>'answers') FROM audit_log WHERE actor = 'citizen'" \
  "withdraw:disability-wg-ss:1:7"  # six domains and the derived disability identifier

phone "$A" '*384*99#' 7 1 2
check "a number not on the list shows the list again" grep -q "Please choose a number from the list" "$last"
check "declining a confirmation changes nothing" grep -q "Nothing was changed" "$last"
phone "$A" '*384*99#' 9 1
cat "$last"
check "erasing everything asks first, then confirms" \
  grep -q "Done. All your answers will be erased" "$last"
check "nothing of A is left" wait_until 20 sql_is \
  "SELECT count(*) FROM sessions WHERE pseudonym = '$(pseud "$A")'" 0
check "B's answers are untouched" sql_is "$(printf "SELECT count(*) FROM sessions WHERE pseudonym = '%s'" "$(pseud "$B")")" 1
check "both erasures audited" sql_is "SELECT count(*) FROM audit_log WHERE actor = 'citizen'" 2

phone "$C" '*384*99#'
check "a caller with nothing stored is told so" grep -q "No answers from this phone are kept here" "$last"
check "the menu leaves no session state behind" \
  test "$(redis-cli -p "$RAIA_REDIS_PORT" --scan --pattern 'raia:s:*' | wc -l)" = 0

raia_pg_ctl stop
phone "$B" '*384*99#'
check "with PostgreSQL away the menu says to try later" grep -q "cannot be shown right now" "$last"
raia_pg_ctl start

check "no test number in the gateway log" \
  bash -c "! grep -E '25670000001[123]|070000001[123]' '$RAIA_GATEWAY_LOG'"
finish
