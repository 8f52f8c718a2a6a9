#!/usr/bin/env bash
# broadcast_test.sh BUILD_DIR - results fed back to exactly the people who
# asked for them (docs/broadcast.md), against the real stack.
#
# A test SMS flow (tests/assets/flows/results-sms.yaml) asks, after consent,
# "Would you like an SMS with the results?" (contact: true). Seven phones:
#   61, 62  yes                     -> get the results
#   63      no                      -> nothing
#   64      yes, then STOP          -> nothing (the writer drops the contact)
#   65      yes, then `raia forget` -> nothing (erased before the broadcast)
#   66      yes, STOP after the broadcast was queued -> nothing (the tombstone
#           the STOP left in Redis is checked when the job is taken)
#   67      yes, `raia forget` after the broadcast was queued -> nothing (its
#           queued job is deleted)
# Afterwards 62 answers "no" in a new session and 61 withdraws in the "my
# data" menu: each removes their contact.
# Between queueing and sending, the gateway runs on a receive-only bind, so
# the outbox cannot send and the late STOP and erasure come first for sure.
# The simulator's record (the network, which sees numbers) must show the
# message to 61 and 62 only; the audit log has the broadcast; and no number
# appears in Redis, in a pg_dump or in the gateway log, in any form.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" broadcast

mkdir -p "$run/flows"
cp "$src/tests/assets/flows/results-sms.yaml" "$run/flows/"
(umask 077 && openssl rand -hex 32 >"$run/contact.key")
sed -i -e "s|dir: $src/config/flows|dir: $run/flows|" \
  -e "s|^privacy:|privacy:\n  contact_key_file: $run/contact.key|" "$RAIA_CONFIG"
printf 'broadcast:\n  per_second: 20\n' >>"$RAIA_CONFIG"
# The same gateway on a receive-only bind: it takes MO, and sends nothing.
sed -e "s|^  - name: operator-a|  - name: operator-a\n    bind: receiver|" "$RAIA_CONFIG" >"$run/raia-rx.yaml"

restart_gateway() { # CONFIG
  raia_stack_stop_gateway
  RAIA_CONFIG=$1 raia_stack_start_gateway
}

loose=$(mktemp "$run/loose.XXXXXX")
openssl rand -hex 32 >"$loose"
chmod 640 "$loose"
sed "s|contact_key_file: .*|contact_key_file: $loose|" "$RAIA_CONFIG" >"$run/raia-loose.yaml"
check "gateway stops" raia_stack_stop_gateway
check "the gateway refuses a contact key others can read" bash -c \
  "! '$build/gateway/raia-gateway' --config '$run/raia-loose.yaml' 2>'$run/loose.log' &&
   grep -q 'privacy.contact_key_file .*chmod 600' '$run/loose.log'"
check "gateway starts with the test flow and the contact key" raia_stack_start_gateway
check "the outbox started" wait_log "op=start per_second=20"

sms_phone() { # MSISDN INPUT...
  local msisdn=$1 args=()
  shift
  for a in "$@"; do args+=(--input "$a"); done
  "$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn "$msisdn" \
    --sms 15077 --timeout 20 "${args[@]}" >"$run/phone$msisdn.txt" 2>&1
}
# Inputs: keyword, consent, hear back (1 yes, 2 no), water.
sms_phone +256700000061 RESULTS 1 1 1 & p1=$!
sms_phone +256700000062 RESULTS 1 1 2 & p2=$!
sms_phone +256700000063 RESULTS 1 2 1 & p3=$!
sms_phone +256700000064 RESULTS 1 1 STOP & p4=$!
sms_phone +256700000065 RESULTS 1 1 1 & p5=$!
sms_phone +256700000066 RESULTS 1 1 & p6=$!
sms_phone +256700000067 RESULTS 1 1 2 & p7=$!
for p in $p1 $p2 $p3 $p4 $p5 $p6 $p7; do check "phone (pid $p) finished" wait "$p"; done
check "61 completed" grep -q "^< Thank you for taking part" "$run/phone+256700000061.txt"
check "64 stopped" grep -q "^< You stopped the poll" "$run/phone+256700000064.txt"

contacts_are() { sql_is "SELECT count(*) FROM contacts WHERE flow_id = 'results-sms' AND sealed IS NOT NULL" "$1"; }
# 61, 62, 65, 66, 67 said yes and kept it; 63 said no; 64's STOP removed theirs.
check "five contacts kept, sealed" wait_until 20 contacts_are 5
check "64's STOP is an opt-out" wait_until 20 sql_is \
  "SELECT count(*) FROM opt_outs WHERE pseudonym = '$(pseud +256700000064)' AND lifted_at IS NULL" 1
check "who is kept: 61 62 65 66 67" test "$(sql "SELECT pseudonym FROM contacts WHERE sealed IS NOT NULL ORDER BY 1" | tr '\n' ' ')" = \
  "$(for n in 61 62 65 66 67; do pseud +2567000000$n; done | sort | tr '\n' ' ')"
check "every contact is sealed v1" sql_is "SELECT count(*) FROM contacts WHERE sealed LIKE 'v1:%'" 5
check "63's no and 64's STOP keep no number" sql_is \
  "SELECT count(*) FROM contacts WHERE sealed IS NULL AND pseudonym IN ('$(pseud +256700000063)', '$(pseud +256700000064)')" 2

"$build/cli/raia" forget --config "$RAIA_CONFIG" +256700000065 >"$run/forget65.log" 2>&1
check "raia forget 65 deletes their contact" contacts_are 4
check "forget is audited with the contact count" sql_is \
  "SELECT detail->>'contacts' FROM audit_log WHERE action = 'forget' ORDER BY audit_id DESC LIMIT 1" 1

check "gateway restarts on a receive-only bind (the outbox holds)" restart_gateway "$run/raia-rx.yaml"

message='Results of the water poll: 6 in 10 households had enough safe water. Thank you! Reply STOP to opt out.'
printf '%s\n' "$message" >"$run/message.txt"
printf '%0500d\n' 0 >"$run/too-long.txt"
: >"$run/empty.txt"
printf '\xff\xfe\n' >"$run/not-utf8.txt"
for bad in too-long empty not-utf8; do
  check "a bad message is refused: $bad" bash -c \
    "! '$build/cli/raia' broadcast --config '$RAIA_CONFIG' --flow results-sms --message '$run/$bad.txt' 2>>'$run/bad.log'"
done
check "too long names the limit" grep -q "more than 3 SMS parts" "$run/bad.log"
"$build/cli/raia" broadcast --config "$RAIA_CONFIG" --flow results-sms --message "$run/message.txt" \
  --dry-run >"$run/dry.txt"
check "dry run counts four recipients" grep -q "^results-sms: 4 recipients" "$run/dry.txt"
check "dry run queues and records nothing" sql_is "SELECT count(*) FROM broadcasts" 0
"$build/cli/raia" broadcast --config "$RAIA_CONFIG" --flow results-sms --message "$run/message.txt" \
  >"$run/broadcast.txt"
check "broadcast queued four messages" grep -q "^broadcast [0-9]*: 4 messages queued" "$run/broadcast.txt"
check "four jobs in the outbox" test "$(redis-cli -p "$RAIA_REDIS_PORT" xlen raia:outbox)" = 4
check "broadcast recorded with the text and its SHA-256" sql_is \
  "SELECT recipients, message_sha256 = sha256(convert_to(message, 'UTF8')), message = '$message'
     FROM broadcasts" "4|t|t"
check "broadcast audited, counts only" sql_is \
  "SELECT detail->>'recipients', detail->>'flow' FROM audit_log WHERE action = 'broadcast'" "4|results-sms"

# 66 says STOP in their open session while the job waits; 67 is erased.
sim_control_open
ctl "SMS +256700000066 15077 STOP"
check "66's STOP left a tombstone in Redis" wait_until 20 bash -c \
  "redis-cli -p '$RAIA_REDIS_PORT' zscore raia:nocontact '$(pseud +256700000066)/results-sms' | grep -q '[0-9]'"
"$build/cli/raia" forget --config "$RAIA_CONFIG" 0700000067 >"$run/forget67.log" 2>&1
check "forget 67 removed their queued job" test "$(redis-cli -p "$RAIA_REDIS_PORT" xlen raia:outbox)" = 3
check "and audited it" sql_is \
  "SELECT detail->>'outbox_entries' FROM audit_log WHERE action = 'forget' ORDER BY audit_id DESC LIMIT 1" 1

check "gateway restarts on its transceiver bind" restart_gateway "$RAIA_CONFIG"
check "66's job was dropped unsent" wait_log "op=skip pseud=$(pseud +256700000066 | cut -c1-12) flow=results-sms"
results_to() { grep '"dir":"in","cmd":"submit_sm"' "$RAIA_SIM_RECORD" | grep -F "Results of the water poll" |
  grep -o '"destination_addr":"[0-9]*"' | sort; }
two_sent() { [ "$(results_to | wc -l)" = 2 ]; }
check "two results SMS reached the network" wait_until 20 two_sent
check "the outbox is empty" wait_until 20 test "$(redis-cli -p "$RAIA_REDIS_PORT" xlen raia:outbox)" = 0
outbox_metrics() {
  curl -fsS "http://127.0.0.1:$RAIA_METRICS_PORT/metrics" |
    grep -c '^raia_broadcast_messages_total{result="\(sent\)"} 2$\|^raia_broadcast_messages_total{result="skipped"} 1$' |
    grep -qx 2
}
check "/metrics counts two sent and one skipped" wait_until 20 outbox_metrics
check "they went to 61 and 62, nobody else" test "$(results_to | tr '\n' ' ')" = \
  '"destination_addr":"256700000061" "destination_addr":"256700000062" '
check "with the whole message, from the flow's short code" test "$(grep '"dir":"in","cmd":"submit_sm"' \
  "$RAIA_SIM_RECORD" | grep -F "\"text\":\"$message\"" | grep -c '"source_addr":"15077"')" = 2
check "the gateway logged two sends" test "$(grep -c 'op=send pseud=.* flow=results-sms broadcast=1 parts=1' "$RAIA_GATEWAY_LOG")" = 2
check "66's STOP reached PostgreSQL and removed their contact" wait_until 20 contacts_are 2

# A "no" after a "yes" (a new session) removes the contact too.
sms_phone +256700000062 RESULTS 1 2 1
check "62 answered no this time: contact gone" wait_until 20 contacts_are 1
# A late copy of 62's older "yes" (as a writer that crashed before its ack
# would replay it) must not bring a number back.
late=$(redis-cli -p "$RAIA_REDIS_PORT" xadd raia:answers '*' e \
  "{\"v\":1,\"kind\":\"contact\",\"at\":1000,\"pseudonym\":\"$(pseud +256700000062)\",\"flow\":\"results-sms\",\"operator\":\"operator-a\",\"sealed\":\"v1:AAAA\"}")
check "the writer took the late copy" wait_until 20 bash -c \
  "[ -z \"\$(redis-cli -p '$RAIA_REDIS_PORT' xrange raia:answers '$late' '$late')\" ]"
check "and kept 62 without a number" sql_is \
  "SELECT count(*) FROM contacts WHERE pseudonym = '$(pseud +256700000062)' AND sealed IS NULL" 1

# 61 withdraws from the flow in the "my data" USSD menu: the contact goes too.
"$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn +256700000061 \
  --dial '*384*99#' --timeout 20 --input 1 --input 1 >"$run/my-data61.txt" 2>&1
check "61 withdrew in the my data menu" grep -q "Withdraw from Results feedback test poll" "$run/my-data61.txt"
check "the withdrawal left a tombstone" wait_until 20 bash -c \
  "redis-cli -p '$RAIA_REDIS_PORT' zscore raia:nocontact '$(pseud +256700000061)/results-sms' | grep -q '[0-9]'"
check "and removed the last contact" wait_until 20 contacts_are 0

check "gateway stops cleanly on SIGTERM" raia_stack_stop_gateway
check "its outbox sent two, skipped one, failed none" grep -q "op=stop sent=2 failed=0 skipped=1" "$RAIA_GATEWAY_LOG"
dump_at_rest
check "database dump holds the contacts table" grep -q "COPY public.contacts" "$run/pg-dump.sql"
no_number_at_rest +256700000061 +256700000062 +256700000063 +256700000064 +256700000065 \
  +256700000066 +256700000067
finish
