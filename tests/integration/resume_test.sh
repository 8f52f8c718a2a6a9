#!/usr/bin/env bash
# resume_test.sh BUILD_DIR - a USSD session the network cut off mid-flow:
# dialling the same code again offers "continue where you left off / start
# again" (redis.resume_window_s). Continuing picks up at the same question
# with every answer kept once; starting again closes the old session as
# timed_out (its answers kept) and opens a new one; a dial before consent,
# another flow, or a dial after the window simply starts afresh.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" resume

phone() { # MSISDN INPUT...: one WG-SS USSD dialogue; it may end cut off
  local msisdn=$1 a args=()
  shift
  for a in "$@"; do args+=(--input "$a"); done
  calls=$((${calls:-0} + 1))
  last="$run/$msisdn-$calls.txt"
  "$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn "$msisdn" \
    --dial '*384*13#' --timeout 20 "${args[@]}" >"$last" 2>&1 || true
}
of() { echo "(SELECT session_id FROM sessions WHERE pseudonym = '$(pseud "$1")')"; }
A=+256700000021 B=+256700000022 C=+256700000023 D=+256700000024

# A: English, consent, two answers, then the dialogue is cut off.
phone "$A" 1 1 1 2
check "A was cut off at the third question" grep -q "difficulty walking" "$last"
phone "$A" 1 1 1 1 1
cat "$last"
check "dialling again offers to continue" \
  grep -Pzq '< Your last call was cut off.\n< 1 Continue where you left off\n< 2 Start again' "$last"
check "continuing shows the question it stopped at" \
  bash -c "sed -n '/^> 1/,\$p' '$last' | sed -n 2p | grep -q 'difficulty walking'"
check "and the session completes" grep -q "Your answers were recorded" "$last"
check "A has one session, completed" wait_until 20 sql_is \
  "SELECT count(*) || ':' || min(outcome) FROM sessions WHERE pseudonym = '$(pseud "$A")'" "1:completed"
check "each of A's answers stored once, in order of the questions" sql_is \
  "SELECT string_agg(question_id || '=' || code, ',' ORDER BY answer_id) FROM answers
    WHERE session_id IN $(of "$A") AND question_id <> 'disability'" \
  "seeing=1,hearing=2,walking=1,remembering=1,self_care=1,communicating=1"

# B: cut off after one answer, then starts again.
phone "$B" 1 1 3
phone "$B" 2 1 1 1 1 1 1 1 1
cat "$last"
check "starting again shows the language menu" \
  bash -c "sed -n '/^> 2/,\$p' '$last' | sed -n 2p | grep -q 'English'"
check "B's old session is timed_out with its answer kept, the new one completed" \
  wait_until 20 sql_is "SELECT string_agg(outcome || ':' || (SELECT count(*) FROM answers a
     WHERE a.session_id = s.session_id AND question_id <> 'disability'), ',' ORDER BY started_at)
     FROM sessions s WHERE pseudonym = '$(pseud "$B")'" "timed_out:1,completed:6"

# C: cut off before consent: nothing to resume.
phone "$C" 1
phone "$C" 1 1 1 1 1 1 1 1
check "a dial before consent is not offered to continue" bash -c "! grep -q 'cut off' '$last'"
check "and starts afresh" grep -q "Your answers were recorded" "$last"

# D: after the resume window (set to 2 s here) the dial starts afresh.
raia_stack_stop_gateway
sed -i 's/^  session_ttl_s: 600$/  session_ttl_s: 600\n  resume_window_s: 2/' "$RAIA_CONFIG"
grep -q "resume_window_s: 2" "$RAIA_CONFIG"
raia_stack_start_gateway
phone "$D" 1 1 4
sleep 3
phone "$D" 1 1 1 1 1 1 1 1
check "after the window the dial starts afresh" bash -c "! grep -q 'cut off' '$last'"
check "no test number in the gateway log" \
  bash -c "! grep -E '25670000002[1-4]|070000002[1-4]' '$RAIA_GATEWAY_LOG'"
finish
