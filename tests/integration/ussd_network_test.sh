#!/usr/bin/env bash
# ussd_network_test.sh BUILD_DIR - USSD as an operator's network spreads and
# ends it, with real Redis, PostgreSQL and raia-gateway on loopback:
#   SWITCH  one operator with two transceiver binds; the sim moves a
#           session's continuation to the other bind (same its_session_info,
#           same msisdn). The session goes on there (it lives in Redis, not
#           in a bind), the reply leaves through that bind, and the answers
#           are stored once, under the operator.
#   ABORT   the network ends a session mid-way (its_session_info end bit):
#           the gateway answers the deliver_sm, sends no screen, stores no
#           completed session; the citizen's next dial is served.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" ussd-network
check "stops the one-bind gateway" raia_stack_stop_gateway
{
  cat <<YAML
smsc:
  - name: operator-a-1
    operator: operator-a
    host: 127.0.0.1
    port: $RAIA_SMSC_PORT
    system_id: raia
    password: secret
  - name: operator-a-2
    operator: operator-a
    host: 127.0.0.1
    port: $RAIA_SMSC_PORT
    system_id: raia
    password: secret
YAML
  sed -n '/^redis:/,$p' "$RAIA_CONFIG"
} >"$run/two.yaml"
mv "$run/two.yaml" "$RAIA_CONFIG"
check "gateway binds twice" raia_stack_start_gateway
binds_up() { [ "$(grep -c 'state=bound' "$RAIA_GATEWAY_LOG")" -ge 3 ]; }
check "both transceiver binds are up" wait_until 5 binds_up
sim_control_open

# conn_of DIR CMD ADDR_FIELD MSISDN: the connection of the last such PDU in the record.
conn_of() {
  grep "\"dir\":\"$1\",\"cmd\":\"$2\"" "$RAIA_SIM_RECORD" | grep "\"$3\":\"$4\"" | tail -n 1 |
    sed -n 's/.*"conn":\([0-9]*\).*/\1/p'
}
its_of() { # the its_session_info of the last deliver_sm from MSISDN
  grep '"dir":"out","cmd":"deliver_sm"' "$RAIA_SIM_RECORD" | grep "\"source_addr\":\"$1\"" |
    tail -n 1 | sed -n 's/.*"its_session_info":\([0-9]*\).*/\1/p'
}
answers_of() {
  sql "SELECT a.question_id || '=' || coalesce(a.code, a.value) FROM answers a
       JOIN sessions s USING (session_id) WHERE s.pseudonym = '$(pseud "$1")' ORDER BY 1"
}
has_answers() { [ "$(answers_of "$1" | wc -l)" -ge "$2" ]; }

echo "== SWITCH: the continuation on the other bind"
ctl "DIAL +256700000081 *384*12#"
check "consent screen" ctl_expect "^SCREEN \+256700000081 cont Community Reports"
first=$(conn_of out deliver_sm source_addr 256700000081)
its=$(its_of 256700000081)
ctl "REPLY +256700000081 1"
check "category screen" ctl_expect "^SCREEN \+256700000081 cont Which service"
ctl "SWITCH +256700000081"
got=$(ctl_read 10)
echo "  sim: $got"
check "sim switched the phone to another bind" [ -n "$got" ] && [[ $got =~ ^OK\ SWITCH\ \+256700000081\ conn=([0-9]+)$ ]]
other=${BASH_REMATCH[1]:-0}
check "the other bind is not the first ($first -> $other)" test "$other" != "$first"
ctl "REPLY +256700000081 2"
check "the session goes on: severity screen" ctl_expect "^SCREEN \+256700000081 cont How serious"
check "the continuation went on the other bind" test "$(conn_of out deliver_sm source_addr 256700000081)" = "$other"
check "with the session's its_session_info" test "$(its_of 256700000081)" = "$its"
check "the reply left through that bind" test "$(conn_of in submit_sm destination_addr 256700000081)" = "$other"
ctl "REPLY +256700000081 3"
check "details screen" ctl_expect "^SCREEN \+256700000081 cont Describe"
ctl "REPLY +256700000081 Spring polluted"
check "region screen" ctl_expect "^SCREEN \+256700000081 cont Where is the problem"
ctl "REPLY +256700000081 4"
check "end screen" ctl_expect "^SCREEN \+256700000081 end Thank you"
check "both binds carried the session" test "$(grep '"dir":"in","cmd":"submit_sm"' "$RAIA_SIM_RECORD" |
  grep '"destination_addr":"256700000081"' | sed -n 's/.*"conn":\([0-9]*\).*/\1/p' | sort -u | wc -l)" = 2
wait_until 20 has_answers +256700000081 4 || true
check "answers stored once" diff <(printf '%s\n' area=refused category=clinic details="Spring polluted" severity=3) \
  <(answers_of +256700000081)
check "one session, under the operator" test "$(sql "SELECT count(*) || ' ' || min(operator) FROM sessions
  WHERE pseudonym = '$(pseud +256700000081)'")" = "1 operator-a"

echo "== ABORT: the network ends the session"
ctl "DIAL +256700000082 *384*12#"
check "consent screen" ctl_expect "^SCREEN \+256700000082 cont Community Reports"
ctl "REPLY +256700000082 1"
check "category screen" ctl_expect "^SCREEN \+256700000082 cont Which service"
submits_before=$(grep '"dir":"in","cmd":"submit_sm"' "$RAIA_SIM_RECORD" | grep -c '"destination_addr":"256700000082"')
ctl "ABORT +256700000082"
check "sim sent the network's end" ctl_expect "^OK ABORT \+256700000082 op=18$"
abort_line=$(grep '"dir":"out","cmd":"deliver_sm"' "$RAIA_SIM_RECORD" | grep '"source_addr":"256700000082"' | tail -n 1)
check "the abort carries the end bit" test $(( $(sed -n 's/.*"its_session_info":\([0-9]*\).*/\1/p' <<<"$abort_line") & 1 )) = 1
abort_seq=$(sed -n 's/.*"seq":\([0-9]*\).*/\1/p' <<<"$abort_line")
acked() { grep -q "\"dir\":\"in\",\"cmd\":\"deliver_sm_resp\",\"seq\":$abort_seq,\"status\":0," "$RAIA_SIM_RECORD"; }
check "gateway answered the abort ROK" wait_until 10 acked
check "no screen after the abort" test -z "$(ctl_read 2)"
check "no submit_sm after the abort" test "$(grep '"dir":"in","cmd":"submit_sm"' "$RAIA_SIM_RECORD" |
  grep -c '"destination_addr":"256700000082"')" = "$submits_before"
check "no completed session for the aborted dialogue" sql_is "SELECT count(*) FROM sessions
  WHERE pseudonym = '$(pseud +256700000082)' AND outcome = 'completed'" 0
ctl "DIAL +256700000082 *384*12#"
# Starting over or resuming where the network cut it is session.c's policy;
# here it matters that the citizen is served again.
check "the next dial gets a screen" ctl_expect "^SCREEN \+256700000082 cont "
ctl "HANGUP +256700000082"

check "gateway stops cleanly" raia_stack_stop_gateway
check "no test phone number in the gateway log" bash -c "! grep -Eq '70000008[12]' '$RAIA_GATEWAY_LOG'"
exec 3>&-
finish
