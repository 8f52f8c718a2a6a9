#!/usr/bin/env bash
# e2e_sms_test.sh BUILD_DIR - the community report by SMS end to end, with
# real parts: redis-server, PostgreSQL, raia-smsc-sim and raia-gateway over
# SMPP/TCP on loopback. One phone texts REPORT to 15012 and answers each SMS.
# A second phone sends its details as a long UCS-2 SMS whose
# parts arrive in reverse order (SMSREV). The test checks the exact answers
# in PostgreSQL, that the gateway logged a final delivered receipt for its
# SMS, and that no test phone number appears in the gateway log.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
RAIA_LOG_LEVEL=debug
stack_test_begin "$1" e2e-sms

sms_phone() { # MSISDN [--reverse] INPUT...
  local msisdn=$1 extra=()
  shift
  if [ "$1" = --reverse ]; then extra=(--reverse); shift; fi
  local args=()
  for a in "$@"; do args+=(--input "$a"); done
  "$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn "$msisdn" \
    --sms 15012 --timeout 20 "${extra[@]}" "${args[@]}" >"$run/phone$msisdn.txt" 2>&1
}

# 98 characters, UCS-2 (ŋ and Ethiopic have no GSM form): 2 parts of 67 units.
long_details='Bomba la maji kijijini limevunjika tangu wiki mbili; ŋombe wanakunywa maji machafu. የውሃ ቧንቧ ተሰብሯል።'

# Inputs: keyword, consent, category, severity, details, area (region,
# district, ward; or 4 "prefer not to say").
sms_phone +256700000031 REPORT 1 2 3 "Clinic closed on Mondays" 3 1 2 & p1=$!
sms_phone +256700000032 --reverse REPORT 1 1 5 "$long_details" 4 & p2=$!
check "phone 1 finished its SMS session" wait "$p1"
check "phone 2 finished its SMS session" wait "$p2"
check "phone 1 got the end message" grep -q "^< Thank you. Your report was recorded" "$run/phone+256700000031.txt"
check "phone 2 got the end message" grep -q "^< Thank you. Your report was recorded" "$run/phone+256700000032.txt"
# Each MT fits one SMS: the flow loader caps SMS screens at 160 GSM
# characters, so the gateway's MT split (and the sim's reassembly of it) is
# not reached by this flow.
check "phone 1 saw the whole consent text" grep -q "Send STOP to quit" "$run/phone+256700000031.txt"
check "the long MO went as two UCS-2 deliver_sm parts (esm_class 0x40)" test "$(grep -c \
  '"cmd":"deliver_sm".*"source_addr":"256700000032".*"data_coding":8,"esm_class":64' "$RAIA_SIM_RECORD")" = 2
check "the sim sent them last part first" grep -q "op=sms_mo msisdn=256700000032 to=15012 parts=2 reverse=1" "$run/smsc-sim.log"

wait_rows 8 2 || true

expected_answers() {
  cat <<ROWS
$(pseud +256700000031)|area|XR030102|Mchangani
$(pseud +256700000031)|category|clinic|Clinic
$(pseud +256700000031)|details||Clinic closed on Mondays
$(pseud +256700000031)|severity||3
$(pseud +256700000032)|area|refused|
$(pseud +256700000032)|category|water|Water point
$(pseud +256700000032)|details||$long_details
$(pseud +256700000032)|severity||5
ROWS
}
check "answers in PostgreSQL are exactly the ones given (long UCS-2 one reassembled)" \
  diff <(expected_answers | sort) <(stored_answers)
check "two completed SMS sessions" test "$(sql "
  SELECT count(*) FROM sessions WHERE outcome = 'completed' AND flow_id = 'community-report'
     AND channel = 'sms' AND operator = 'operator-a'")" = 2

# Every MT SMS asked for a receipt; the sim sent DELIVRD ones; the gateway
# logs each final one (its state name is upper case: state=DELIVERED).
check "gateway logged final delivered receipts" wait_until 5 \
  grep -qi "op=receipt operator=operator-a message_id=[0-9]* state=delivered final=1" "$RAIA_GATEWAY_LOG"
check "no unparsed receipt" bash -c "! grep -q 'op=receipt.*err=unparsed' '$RAIA_GATEWAY_LOG'"
check "sim sent receipts (esm_class 4) for the SMS" grep -q '"cmd":"deliver_sm".*"text":"id:[0-9]* sub:001 dlvrd:001' "$RAIA_SIM_RECORD"

check "gateway stops cleanly on SIGTERM" raia_stack_stop_gateway
for n in 31 32; do
  for form in "2567000000$n" "07000000$n" "7000000$n"; do
    check "sim saw $form (control)" grep -q "${form: -9}" "$RAIA_SIM_RECORD"
    check "no $form in the gateway log" bash -c "! grep -q '$form' '$RAIA_GATEWAY_LOG'"
  done
done
finish
