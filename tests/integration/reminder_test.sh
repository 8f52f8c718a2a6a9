#!/usr/bin/env bash
# reminder_test.sh BUILD_DIR - one SMS reminder for a citizen who stopped
# answering (redis.sms_reminder_s, docs/flows.md "Sessions"), against the
# real stack. The reminder is the question they were asked, sent once per
# session, only after consent, never after the session ended; the number
# waits for it sealed (privacy.contact_key_file), never in the clear.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" reminder

(umask 077 && openssl rand -hex 32 >"$run/contact.key")
sed -i -e "s|^privacy:|privacy:\n  contact_key_file: $run/contact.key|" \
  -e "s|^  session_ttl_s: 600$|  session_ttl_s: 600\n  sms_reminder_s: 2|" "$RAIA_CONFIG"
grep -q "sms_reminder_s: 2" "$RAIA_CONFIG"
raia_stack_stop_gateway
raia_stack_start_gateway

sms() { # MSISDN INPUT...: texts to 15012, each after the previous reply
  local msisdn=$1 a args=()
  shift
  for a in "$@"; do args+=(--input "$a"); done
  "$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn "$msisdn" \
    --sms 15012 --timeout 20 "${args[@]}" >>"$run/phone$msisdn.txt" 2>&1 || true
}
sent() { # MSISDN TEXT: how many SMS with TEXT went to MSISDN
  grep '"dir":"in","cmd":"submit_sm"' "$RAIA_SIM_RECORD" | grep "\"destination_addr\":\"${1#+}\"" |
    grep -cF "$2" || true
}
is() { [ "$(sent "$1" "$2")" = "$3" ]; }
A=+256700000081 B=+256700000082 C=+256700000083

sms "$A" REPORT 1    # consents, then says nothing more
sms "$B" REPORT      # never consents
sms "$C" REPORT 1 1 3 "Pump broken" 4   # completes
check "A is reminded of the question it was asked" wait_until 15 is "$A" "Which service has a problem?" 2
sleep 4
check "once only" is "$A" "Which service has a problem?" 2
check "B, who never consented, is not reminded" is "$B" "Community Reports asks" 1
check "C, who completed, is not reminded" is "$C" "Which service has a problem?" 1
sms "$A" 2           # A answers after the reminder: the session goes on
check "A's session goes on after the reminder" is "$A" "How serious is it?" 1
sleep 4
check "a session gets no second reminder" is "$A" "How serious is it?" 1
check "the gateway logged one reminder sent" test "$(grep -c 'op=reminder .*sent=1' "$RAIA_GATEWAY_LOG")" = 1

# Nothing at rest holds a number: the reminder job keeps it sealed.
check "gateway stops cleanly" raia_stack_stop_gateway
dump_at_rest
no_number_at_rest "$A" "$B" "$C"
finish
