#!/usr/bin/env bash
# perl_smsc_test.sh BUILD_DIR - raia against an SMPP stack it did not write:
# Debian's libnet-smpp-perl plays the SMSC (tests/integration/perl_smsc.pl)
# and completes one report over USSD and one over SMS; the answers must land
# in PostgreSQL and the gateway must unbind cleanly on SIGTERM.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_cleanup() { kill "${perl_pid:-}" 2>/dev/null; }
stack_test_begin "$1" perlsmsc
check "stops the gateway bound to raia's own simulator" raia_stack_stop_gateway

perl_port=$(raia_free_port)
perl "$src/tests/integration/perl_smsc.pl" "$perl_port" >"$run/perl.txt" 2>"$run/perl.err" &
perl_pid=$!
# Not raia_wait_port: the script takes the first connection as the gateway's.
wait_until 10 grep -qs '^LISTENING' "$run/perl.txt" || true
sed -i "s|port: $RAIA_SMSC_PORT|port: $perl_port|" "$RAIA_CONFIG"
check "gateway binds to the Net::SMPP SMSC" raia_stack_start_gateway
done_or_gone() { grep -q '^DONE' "$run/perl.txt" || ! kill -0 "$perl_pid" 2>/dev/null; }
wait_until 20 done_or_gone || true
cat "$run/perl.txt"
check "both sessions reached their end screens" grep -q '^DONE' "$run/perl.txt"
check "USSD continues with op 2 and echoes its_session_info" \
  grep -q '^USSD 2 1280 Which service has a problem' "$run/perl.txt"
check "USSD ends with op 17 and the end bit" grep -q '^USSD 17 1281 Thank you' "$run/perl.txt"
check "SMS flow started by keyword" grep -q '^SMS Community Reports asks' "$run/perl.txt"
wait_until 10 sql_is "SELECT count(*) FROM answers" 8 || true
check "USSD answers in PostgreSQL" test "$(sql "
  SELECT string_agg(coalesce(a.code, a.value), ',' ORDER BY a.answer_id)
  FROM answers a JOIN sessions s USING (session_id)
  WHERE s.pseudonym = '$(pseud +256700000077)' AND s.channel = 'ussd'")" = "clinic,5,Clinic closed on Fridays,refused"
check "SMS answers in PostgreSQL" test "$(sql "
  SELECT string_agg(coalesce(a.code, a.value), ',' ORDER BY a.answer_id)
  FROM answers a JOIN sessions s USING (session_id)
  WHERE s.pseudonym = '$(pseud +256700000078)' AND s.channel = 'sms'")" = "school,2,Roof leaking,XR010202"
check "the delivery receipt was read" grep -qi 'op=receipt .*state=delivered final=1' "$RAIA_GATEWAY_LOG"
receipt_stored() { [ "$(sql "SELECT count(*) FROM message_receipts")" -ge 1 ]; }
wait_until 10 receipt_stored || true
check "the receipt's final state is in PostgreSQL" test "$(sql "
  SELECT count(*) FROM message_receipts
  WHERE operator = 'operator-a' AND state = 'delivered' AND final AND message_id ~ '^[0-9]+$'")" -ge 1
check "gateway unbinds on SIGTERM" raia_stack_stop_gateway
wait "$perl_pid" 2>/dev/null || true
check "the Net::SMPP SMSC saw the unbind" grep -q '^UNBOUND' "$run/perl.txt"
check "no test number in the gateway log" bash -c "! grep -q '70000007' '$RAIA_GATEWAY_LOG'"
finish
