#!/usr/bin/env bash
# smsc_faults_test.sh BUILD_DIR - the gateway against an SMSC that
# misbehaves on command (raia-smsc-sim's fault commands, docs/simulators.md),
# with real redis-server, PostgreSQL and raia-gateway on loopback:
#   THROTTLE 3   submit_sm answered ESME_RTHROTTLED: the gateway backs off, resends, loses nothing
#   NORESP 1     a submit_sm never answered: the gateway times out, rebinds, resends
#   DROP         the link cut mid-session: the session goes on, a new one completes
#   REDELIVER    after a DROP the SMSC sends the last MO again: answered, not processed twice
#   REPLAY       malformed PDUs: the right error answers, and the gateway still serves
# response_timeout_s is cut to 2 s in the config copy (the gateway reads it at start).
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
RAIA_LOG_LEVEL=debug
stack_test_begin "$1" smsc-faults
raia_stack_stop_gateway
sed -i 's|^    window: 10$|    window: 10\n    response_timeout_s: 2|' "$RAIA_CONFIG"
grep -q "response_timeout_s: 2" "$RAIA_CONFIG" || { echo "config edit failed" >&2; exit 1; }
raia_stack_start_gateway

# The test's own control connection to the sim, for fault commands and for
# phones played by hand.
sim_control_open

bound_count() { grep -c "state=bound" "$RAIA_GATEWAY_LOG" || true; }
rebound_since() { [ "$(bound_count)" -gt "$1" ]; }
wait_rebind() { wait_until 10 rebound_since "$1"; } # BOUND_BEFORE: one more bind in the log
answers_of() { # MSISDN: "question=value" lines, sorted
  sql "SELECT a.question_id || '=' || coalesce(a.code, a.value) FROM answers a
       JOIN sessions s USING (session_id) WHERE s.pseudonym = '$(pseud "$1")' ORDER BY 1"
}
has_answers() { [ "$(answers_of "$1" | wc -l)" -ge "$2" ]; }
wait_answers() { wait_until 10 has_answers "$1" "$2"; } # MSISDN N
export -f answers_of sql pseud
export RAIA_PG_CONNINFO

echo "== THROTTLE 3"
ctl "THROTTLE 3"
check "sim armed THROTTLE" ctl_expect "^OK THROTTLE 3$"
check "session completes through three throttled submits" ussd_phone +256700000041 1 2 3 "Pump broken again" 4
check "gateway saw three throttles" test "$(grep -c "event=throttled status=0x58" "$RAIA_GATEWAY_LOG")" = 3
check "sim throttled three submit_sm" test "$(grep -c '"cmd":"submit_sm_resp","seq":[0-9]*,"status":88' "$RAIA_SIM_RECORD")" = 3
wait_answers +256700000041 4 || true
check "answers of the throttled session, each once" \
  diff <(printf '%s\n' area=refused category=clinic details="Pump broken again" severity=3) <(answers_of +256700000041)

echo "== NORESP 1"
before=$(bound_count)
ctl "NORESP 1"
check "sim armed NORESP" ctl_expect "^OK NORESP 1$"
check "session completes after an unanswered submit" ussd_phone +256700000042 1 3 2 "Roof of class 2 leaks" 4
check "gateway timed the submit out" grep -q "event=response_timeout" "$RAIA_GATEWAY_LOG"
check "gateway rebound after the timeout" wait_rebind "$before"
wait_answers +256700000042 4 || true
check "answers of the NORESP session, each once" \
  diff <(printf '%s\n' area=refused category=school details="Roof of class 2 leaks" severity=2) <(answers_of +256700000042)

echo "== DROP mid-session"
ctl "DIAL +256700000043 *384*12#"
check "consent screen" ctl_expect "^SCREEN \+256700000043 cont Community Reports"
ctl "REPLY +256700000043 1"
check "category screen" ctl_expect "^SCREEN \+256700000043 cont Which service"
before=$(bound_count)
ctl "DROP"
check "sim dropped the gateway's link" ctl_expect "^OK DROP 1$"
check "gateway rebound after the DROP" wait_rebind "$before"
ctl "REPLY +256700000043 4"
check "session goes on after the rebind (or ends cleanly)" \
  ctl_expect "^SCREEN \+256700000043 (cont How serious|end )"
ctl "HANGUP +256700000043"
check "a new session after the rebind completes" ussd_phone +256700000044 1 4 5 "Bridge washed away" 4

echo "== REDELIVER after DROP"
ctl "DIAL +256700000045 *384*12#"
check "consent screen" ctl_expect "^SCREEN \+256700000045 cont Community Reports"
ctl "REPLY +256700000045 1"
check "category screen" ctl_expect "^SCREEN \+256700000045 cont Which service"
before=$(bound_count)
dups_before=$(grep -c "op=mo operator=operator-a duplicate=1" "$RAIA_GATEWAY_LOG" || true)
ctl "DROP"
check "sim dropped the link" ctl_expect "^OK DROP 1$"
check "gateway rebound" wait_rebind "$before"
ctl "REDELIVER +256700000045"
check "sim redelivered the last MO" ctl_expect "^OK REDELIVER$"
check "no screen for the redelivered MO" test -z "$(ctl_read 2)"
check "gateway logged the redelivery as a duplicate" \
  test "$(grep -c "op=mo operator=operator-a duplicate=1" "$RAIA_GATEWAY_LOG")" -gt "${dups_before:-0}"
check "redelivered deliver_sm acknowledged ROK" bash -c "tail -n 3 '$RAIA_SIM_RECORD' | grep -q '\"dir\":\"in\",\"cmd\":\"deliver_sm_resp\",\"seq\":[0-9]*,\"status\":0'"
ctl "REPLY +256700000045 2"
check "transcript advanced once: the next screen is severity" ctl_expect "^SCREEN \+256700000045 cont How serious"
ctl "REPLY +256700000045 3"
check "details screen" ctl_expect "^SCREEN \+256700000045 cont Describe"
ctl "REPLY +256700000045 Market road flooded"
check "region screen" ctl_expect "^SCREEN \+256700000045 cont Where is the problem"
ctl "REPLY +256700000045 4"
check "end screen" ctl_expect "^SCREEN \+256700000045 end Thank you"
wait_answers +256700000045 4 || true
check "answers of the redelivery session, each once" \
  diff <(printf '%s\n' area=refused category=clinic details="Market road flooded" severity=3) <(answers_of +256700000045)

# Within 30 s of a rebind, a phone that gives the same answer twice in a row
# (consent 1, then category 1) sends two identical deliver_sm: the second is
# a new answer, not a redelivery (both came after the rebind).
echo "== identical answers shortly after a rebind"
phone46() { # a shorter wait: the failure mode is a screen that never comes
  "$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn +256700000046 \
    --dial '*384*12#' --timeout 5 --input 1 --input 1 --input 4 --input "Tap dry" --input 4 \
    >"$run/phone+256700000046.txt" 2>&1
}
check "two identical answers in a row after a rebind both count" phone46

echo "== REPLAY malformed PDUs"
before=$(bound_count)
ctl "REPLAY $src/tests/assets/smsc_replay/malformed.hex"
check "sim loaded 4 PDUs" ctl_expect "^OK REPLAY 4$"
replies=""
for i in 1 2 3 4 5; do
  line=$(ctl_read 10)
  echo "  sim: $line"
  replies+="$line"$'\n'
  [[ $line == REPLAY* ]] && break
done
check "unknown command_id: generic_nack ESME_RINVCMDID" grep -q "^PDU generic_nack 0x03 1879048193$" <<<"$replies"
check "truncated deliver_sm: deliver_sm_resp with an error status" \
  grep -Eq "^PDU deliver_sm_resp 0x(0[1-9a-f]|[1-9a-f][0-9a-f]) 1879048194$" <<<"$replies"
check "deliver_sm with a bad TLV length: deliver_sm_resp with an error status" \
  grep -Eq "^PDU deliver_sm_resp 0x(0[1-9a-f]|[1-9a-f][0-9a-f]) 1879048195$" <<<"$replies"
check "bad command_length: generic_nack ESME_RINVCMDLEN" grep -q "^PDU generic_nack 0x02 1879048196$" <<<"$replies"
check "gateway still running" kill -0 "$RAIA_GATEWAY_PID"
check "gateway rebound after closing the broken link" wait_rebind "$before"
check "a session after the replay completes" ussd_phone +256700000047 1 2 3 "Nurse absent" 4

check "no answer stored twice" test "$(sql "SELECT count(*) - count(DISTINCT (session_id, question_id)) FROM answers")" = 0
check "gateway stops cleanly on SIGTERM" raia_stack_stop_gateway
for n in 41 42 43 44 45 46 47; do
  check "no 2567000000$n in the gateway log" bash -c "! grep -q '7000000$n' '$RAIA_GATEWAY_LOG'"
done
exec 3>&-
finish
