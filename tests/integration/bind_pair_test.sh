#!/usr/bin/env bash
# bind_pair_test.sh BUILD_DIR - one operator reached through a transmitter +
# receiver pair instead of a transceiver: MO arrive on the receiver, replies
# leave through the transmitter of the same operator, the bind carries the
# configured system_type, TON/NPI and address_range (accepted by the SMSC),
# and the answers land under the operator's name.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" bindpair
check "stops the transceiver gateway" raia_stack_stop_gateway

# The same config with the smsc list replaced by a pair.
{
  cat <<YAML
smsc:
  - name: operator-a-tx
    operator: operator-a
    bind: transmitter
    host: 127.0.0.1
    port: $RAIA_SMSC_PORT
    system_id: raia
    password: secret
    system_type: RAIA
    addr_ton: 1
    addr_npi: 1
    address_range: "^256"
  - name: operator-a-rx
    operator: operator-a
    bind: receiver
    host: 127.0.0.1
    port: $RAIA_SMSC_PORT
    system_id: raia
    password: secret
YAML
  sed -n '/^redis:/,$p' "$RAIA_CONFIG"
} >"$run/pair.yaml"
mv "$run/pair.yaml" "$RAIA_CONFIG"
check "gateway binds the pair" raia_stack_start_gateway
binds_up() { [ "$(grep -c 'state=bound' "$RAIA_GATEWAY_LOG")" -ge 3 ]; }
check "both binds are up" wait_until 5 binds_up
check "the SMSC saw a bind_transmitter and a bind_receiver" bash -c "
  grep -q '\"cmd\":\"bind_transmitter\"' '$RAIA_SIM_RECORD' &&
  grep -q '\"cmd\":\"bind_receiver\"' '$RAIA_SIM_RECORD'"

"$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn +256700000042 \
  --dial '*384*12#' --timeout 20 --input 1 --input 3 --input 2 --input "Pair test" --input 4 \
  >"$run/phone.txt" 2>&1
check "the session completes over the pair" grep -q '^\[end\]' "$run/phone.txt"
wait_until 10 sql_is "SELECT count(*) FROM sessions WHERE outcome = 'completed'" 1 || true
check "answers stored under the operator's name" test "$(sql "
  SELECT count(*) FROM answers a JOIN sessions s USING (session_id)
  WHERE s.operator = 'operator-a' AND s.pseudonym = '$(pseud +256700000042)'")" = 4
# The simulator refuses (0x04, logged) a submit_sm on a receiver bind.
check "every reply left through the transmitter" bash -c "
  ! grep -q 'op=submit .*status=0x04' '$RAIA_RUN_DIR/smsc-sim.log'"
check "gateway stops cleanly" raia_stack_stop_gateway
finish
