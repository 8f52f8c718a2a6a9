#!/usr/bin/env bash
# sms_latin1_test.sh BUILD_DIR - an operator that asks for Latin-1
# (`sms_charset: latin1` on its smsc entry, docs/operators.md), with real
# Redis, PostgreSQL, raia-smsc-sim and raia-gateway on loopback. A phone
# texts WG to 15012 (the Washington Group flow in English, Kiswahili and
# French), picks French, and gets the French consent. From the simulator's
# record: every MT SMS left with data_coding 3; 'Français' (its ç has no GSM
# 7-bit form, so without the key it would be UCS-2) and 'effacé après' are
# Latin-1 octets (0xE7, 0xE9, 0xE8); an SMS longer than 140 characters went
# as concatenated parts of 6 + 134 octets. The phone read every text whole.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" sms-latin1
raia_stack_stop_gateway
sed -i 's|^    window: 10$|    window: 10\n    sms_charset: latin1|' "$RAIA_CONFIG"
grep -q "sms_charset: latin1" "$RAIA_CONFIG" || { echo "config edit failed" >&2; exit 1; }
raia_stack_start_gateway

phone() {
  "$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn +256700000091 \
    --sms 15012 --timeout 20 --input WG --input 3 >"$run/phone.txt" 2>&1
}
check "the phone got the language menu and the French consent" phone
sed 's/^/  /' "$run/phone.txt"
check "the language menu, whole" grep -q "Français" "$run/phone.txt"
check "the French consent, whole" grep -q "effacé après 2 ans" "$run/phone.txt"

# The MT SMS to the phone, as "data_coding esm_class sm_hex" lines.
mt() {
  python3 - "$RAIA_SIM_RECORD" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["dir"] == "in" and r["cmd"] == "submit_sm" and r["destination_addr"] == "256700000091":
        print(r["data_coding"], r["esm_class"], r["sm_hex"])
PY
}
mt | sed 's/^/  mt: /'
# The text octets of every MT part, UDH cut off, joined.
octets() { mt | while read -r _ esm hex; do
  if [ "$esm" = 64 ]; then echo "${hex:$(( (16#${hex:0:2} + 1) * 2 ))}"; else echo "$hex"; fi
done | tr -d '\n'; }
check "every MT SMS left as Latin-1 (data_coding 3)" test "$(mt | cut -d' ' -f1 | sort -u)" = 3
hex() { printf "%b" "$1" | od -An -tx1 | tr -d ' \n'; }
check "'Français' as Latin-1 octets (ç = 0xE7)" grep -q "$(hex 'Fran\xe7ais')" <(octets)
check "'effacé après' as Latin-1 octets (é = 0xE9, è = 0xE8)" \
  grep -q "$(hex 'effac\xe9 apr\xe8s')" <(octets)
check "a text over 140 characters went in parts, the first 6 + 134 octets" \
  test "$(mt | awk '$2 == 64 && length($3) == 2 * 140 { n++ } END { print n + 0 }')" -ge 1
check "gateway stops cleanly" raia_stack_stop_gateway
check "no test phone number in the gateway log" bash -c "! grep -q '700000091' '$RAIA_GATEWAY_LOG'"
finish
