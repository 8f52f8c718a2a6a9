#!/usr/bin/env bash
# smsc_window_test.sh BUILD_DIR - the gateway's window against a slow SMSC
# (raia-smsc-sim's SLOW, docs/simulators.md), with real Redis, PostgreSQL
# and raia-gateway on loopback, window cut to 3 in the config copy:
#   SLOW 700     eight sessions at once: submit_sm pile up behind late answers;
#                the record shows never more than 3 outstanding on the link,
#                the window did fill, and every session completes
#   SLOW + DROP  the link cut while submit_sm wait for their answers: the
#                gateway rebinds and sends them again; every session completes,
#                every answer is stored once
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" smsc-window
raia_stack_stop_gateway
sed -i 's|^    window: 10$|    window: 3\n    response_timeout_s: 10|' "$RAIA_CONFIG"
grep -q "window: 3" "$RAIA_CONFIG" || { echo "config edit failed" >&2; exit 1; }
raia_stack_start_gateway
sim_control_open

# Most submit_sm outstanding at once on one link (sent, not yet answered),
# read from the record: "conn max" lines.
outstanding() {
  python3 - "$RAIA_SIM_RECORD" <<'PY'
import json, sys
open_, most = {}, {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    c = r["conn"]
    s = open_.setdefault(c, set())
    if r["dir"] == "in" and r["cmd"] == "submit_sm":
        s.add(r["seq"])
    elif r["dir"] == "out" and r["cmd"] == "submit_sm_resp":
        s.discard(r["seq"])
    most[c] = max(most.get(c, 0), len(s))
for c in sorted(most):
    print(c, most[c])
PY
}
max_outstanding() { outstanding | awk '$2 > m { m = $2 } END { print m + 0 }'; }
# Submit_sm the sim holds back right now (SLOW), on any link.
held() { grep -c "op=fault .*fault=slow" "$run/smsc-sim.log" || true; }
bound_count() { grep -c "state=bound" "$RAIA_GATEWAY_LOG" || true; }
rebound_since() { [ "$(bound_count)" -gt "$1" ]; }
answers_of() { # MSISDN: "question=value" lines, sorted
  sql "SELECT a.question_id || '=' || coalesce(a.code, a.value) FROM answers a
       JOIN sessions s USING (session_id) WHERE s.pseudonym = '$(pseud "$1")' ORDER BY 1"
}
has_answers() { [ "$(answers_of "$1" | wc -l)" -ge 4 ]; }

# sessions FIRST LAST: phones 2567000000FIRST..LAST each report (consent,
# category 2, severity 3, details, area 4: prefer not to say), all at once;
# 0 if every one completed and its four answers are stored exactly once.
sessions() {
  local n pids=() rc=0
  for n in $(seq "$1" "$2"); do
    ussd_phone "+2567000000$n" 1 2 3 "Pump $n broken" 4 &
    pids+=($!)
  done
  for n in "${pids[@]}"; do wait "$n" || rc=1; done
  for n in $(seq "$1" "$2"); do
    grep -q '^\[end\]' "$run/phone+2567000000$n.txt" || { echo "  phone $n did not finish"; rc=1; }
    wait_until 20 has_answers "+2567000000$n" || true
    diff <(printf '%s\n' area=refused category=clinic details="Pump $n broken" severity=3) \
      <(answers_of "+2567000000$n") || rc=1
  done
  return $rc
}

echo "== SLOW: the window fills and holds"
ctl "SLOW 700"
check "sim armed SLOW" ctl_expect "^OK SLOW 700 all$"
check "eight sessions at once complete through a slow SMSC" sessions 51 58
outstanding | sed 's/^/  link /'
check "never more than window=3 submit_sm outstanding" test "$(max_outstanding)" -le 3
check "the window did fill" test "$(max_outstanding)" = 3
check "every submit_sm was answered" test \
  "$(grep -c '"dir":"in","cmd":"submit_sm"' "$RAIA_SIM_RECORD")" = \
  "$(grep -c '"dir":"out","cmd":"submit_sm_resp"' "$RAIA_SIM_RECORD")"

echo "== DROP with submit_sm outstanding"
ctl "SLOW 3000"
check "sim armed a slower SLOW" ctl_expect "^OK SLOW 3000 all$"
held_before=$(held)
for n in 61 62 63 64; do ctl "DIAL +2567000000$n *384*12#"; done
held_now() { [ "$(held)" -ge $((held_before + 3)) ]; }
check "three submit_sm held by the sim" wait_until 10 held_now
before=$(bound_count)
ctl "SLOW 0"
check "sim disarmed SLOW" ctl_expect "^OK SLOW 0 all$"
ctl "DROP"
check "sim dropped the link with submit_sm outstanding" ctl_expect "^OK DROP 1$"
check "the sim lost them with the link" grep -q "op=slow_lost" "$run/smsc-sim.log"
check "gateway rebound" wait_until 10 rebound_since "$before"
first_screens() { # the next four control lines, as the msisdns of consent screens, sorted
  local _
  for _ in 1 2 3 4; do { ctl_read 10; echo; } | sed -n 's/^SCREEN +\(2567000000[0-9]*\) cont Community Reports.*/\1/p'; done | sort
}
check "each of the four phones gets its first screen after the rebind" \
  diff <(printf '%s\n' 256700000061 256700000062 256700000063 256700000064) <(first_screens)
check "no first screen came twice" test -z "$(ctl_read 2)"
for n in 61 62 63 64; do ctl "HANGUP +2567000000$n"; done
check "sessions after the rebind complete, answers stored once" sessions 65 67
check "no answer stored twice" test "$(sql "SELECT count(*) - count(DISTINCT (session_id, question_id)) FROM answers")" = 0
check "never more than window=3 outstanding, before or after the DROP" test "$(max_outstanding)" -le 3
check "gateway stops cleanly" raia_stack_stop_gateway
check "no test phone number in the gateway log" bash -c "! grep -Eq '2567000000[56][0-9]' '$RAIA_GATEWAY_LOG'"
exec 3>&-
finish
