#!/usr/bin/env bash
# e2e_ussd_test.sh BUILD_DIR - the foundation path end to end, with real parts:
# redis-server, PostgreSQL, raia-smsc-sim and raia-gateway over SMPP/TCP on
# loopback. Several phones complete the community report at once (one
# refuses consent, one types an invalid number first); then the test checks
# the exact rows in PostgreSQL, a clean SIGTERM, and that no test phone
# number appears in any form in Redis, the database dump or the gateway log.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
# read by scripts/lib/stack.sh when it writes the gateway's config
export RAIA_LOG_LEVEL=debug
stack_test_begin "$1" e2e



check "schema migrated on start" grep -q "^applied 001" "$run/migrate.log"
"$build/cli/raia" db migrate --config "$RAIA_ADMIN_CONFIG" >"$run/migrate2.log" 2>&1
check "second migrate applies nothing" bash -c "! grep -q '^applied' '$run/migrate2.log'"

# Five phones at once. Inputs: consent, category, severity, details, and
# the area (region, district, ward) or 4 "prefer not to say".
# MONITOR shows every command a client sent (and, marked "lua", those the
# save script ran): it counts the gateway's round trips to Redis.
redis-cli -p "$RAIA_REDIS_PORT" monitor >"$run/redis-monitor.txt" & monitor=$!
wait_until 5 grep -q OK "$run/redis-monitor.txt"
ussd_phone +256700000001 1 1 4 "Borehole pump broken" 1 1 1 & p1=$!
ussd_phone +256700000002 1 2 7 5 "No nurse since June" 4 & p2=$!   # 7 is out of range: re-prompt
ussd_phone +256700000003 1 3 2 "Roof leaks in class 4" 2 1 2 & p3=$!
ussd_phone +256700000004 2 & p4=$!                                 # refuses consent
ussd_phone +256700000005 1 4 1 "Road to market flooded" 4 & p5=$!
for p in $p1 $p2 $p3 $p4 $p5; do
  check "phone $p finished its session" wait "$p"
done
check "re-prompt shown for an out-of-range number" \
  grep -q "1 to 5" "$run/phone+256700000002.txt"
kill "$monitor"
# 31 turns, 26 of them continuing a session: each is saved by the turns
# script, with the other turns the gateway made in the same pass of its event
# loop (the five phones often answer together), so at most 31 calls; each
# turn writes its session once (a SET, or a DEL at the end), and none needs
# a GET first (this gateway saved that session last). The writers' scripts
# (EVALs on the stream and its holds, storage/stream_holds.c) are not a turn's.
client_calls() {
  grep -v ' lua\]' "$run/redis-monitor.txt" | grep -v ':answers:held"' | grep -ci "\] \"$1\"" || true
}
saves=$(($(client_calls evalsha) + $(client_calls eval)))
session_writes=$(grep ' lua\]' "$run/redis-monitor.txt" | grep -cE '\] "(SET|DEL)" "[^"]*:s:' || true)
echo "  redis: $saves save calls, $session_writes session writes, $(client_calls get) GET for 31 turns"
check "at most one Redis round trip per turn (turns together share one), no load" \
  test "$saves" -ge 1 -a "$saves" -le 31 -a "$(client_calls get)" = 0
check "each turn's session written once" test "$session_writes" = 31

# GET /metrics, read by an independent parser (prometheus_client).
metrics() {
  curl -fsS "http://127.0.0.1:$RAIA_METRICS_PORT/metrics" >"$run/metrics.txt" &&
    /usr/bin/python3 "$src/tests/integration/lib/metrics_dump.py" "$run/metrics.txt" >"$run/metrics.samples"
}
sample() { grep -Fx "$1" "$run/metrics.samples"; }
check "/metrics parses as Prometheus text" metrics
check "metrics: 31 turns, each in the latency histogram" \
  bash -c "grep -Fxq 'raia_turns_total{} 31' '$run/metrics.samples' &&
           grep -Fxq 'raia_turn_latency_seconds_count{} 31' '$run/metrics.samples' &&
           grep -Fxq 'raia_turn_latency_seconds_bucket{le=\"+Inf\"} 31' '$run/metrics.samples'"
check "metrics: four completed sessions and one refusal" \
  bash -c "grep -Fxq 'raia_sessions_ended_total{outcome=\"completed\"} 4' '$run/metrics.samples' &&
           grep -Fxq 'raia_sessions_ended_total{outcome=\"refused\"} 1' '$run/metrics.samples'"
check "metrics: the bind is up" sample 'raia_smpp_bind_up{bind="operator-a",operator="operator-a"} 1'
check "metrics: every MO and every reply counted as a PDU" \
  bash -c "grep -Fxq 'raia_smpp_pdus_total{bind=\"operator-a\",command=\"deliver_sm\",direction=\"in\"} 31' '$run/metrics.samples' &&
           grep -Fxq 'raia_smpp_pdus_total{bind=\"operator-a\",command=\"deliver_sm_resp\",direction=\"out\"} 31' '$run/metrics.samples' &&
           grep -Fxq 'raia_smpp_pdus_total{bind=\"operator-a\",command=\"submit_sm\",direction=\"out\"} 31' '$run/metrics.samples'"
backlog_known() { metrics && grep -q '^raia_stream_backlog{state="lag"}' "$run/metrics.samples"; }
check "metrics: the stream backlog is reported" wait_until 15 backlog_known
# Each batch is one statement; a batch is read ahead only behind a full one
# (batch_max 1,000), which these few turns never fill.
writer_counts() {
  awk '$1 == "raia_writer_batches_total{}" { b = $2 }
       $1 == "raia_writer_entries_total{}" { e = $2 }
       $1 == "raia_writer_read_ahead_total{}" { r = $2 }
       END { exit !(b >= 1 && e >= b && r == 0) }' "$run/metrics.samples"
}
check "metrics: the writer's batches, none read ahead" writer_counts
check "metrics: another path is a JSON 404" bash -c \
  "curl -sS -o '$run/m404.json' -w '%{http_code}' http://127.0.0.1:$RAIA_METRICS_PORT/nope | grep -qx 404 &&
   grep -q '\"status\":404' '$run/m404.json'"
check "metrics: another method is a JSON 405" bash -c \
  "curl -sS -X POST -o '$run/m405.json' -w '%{http_code}' http://127.0.0.1:$RAIA_METRICS_PORT/metrics | grep -qx 405 &&
   grep -q '\"status\":405' '$run/m405.json'"

# The writer moves the stream into PostgreSQL asynchronously: wait, bounded.
wait_rows 16 4 || true

expected_answers() {
  cat <<ROWS
$(pseud +256700000001)|area|XR010101|Kichangani
$(pseud +256700000001)|category|water|Water point
$(pseud +256700000001)|details||Borehole pump broken
$(pseud +256700000001)|severity||4
$(pseud +256700000002)|area|refused|
$(pseud +256700000002)|category|clinic|Clinic
$(pseud +256700000002)|details||No nurse since June
$(pseud +256700000002)|severity||5
$(pseud +256700000003)|area|XR020102|Mkunazini
$(pseud +256700000003)|category|school|School
$(pseud +256700000003)|details||Roof leaks in class 4
$(pseud +256700000003)|severity||2
$(pseud +256700000005)|area|refused|
$(pseud +256700000005)|category|other|Other
$(pseud +256700000005)|details||Road to market flooded
$(pseud +256700000005)|severity||1
ROWS
}
check "answers in PostgreSQL are exactly the ones given" \
  diff <(expected_answers | sort) <(stored_answers)
check "four completed sessions, all fields recorded" test "$(sql "
  SELECT count(*) FROM sessions WHERE outcome = 'completed' AND flow_id = 'community-report'
     AND flow_version = 2 AND consent_version <> '' AND language = 'en' AND channel = 'ussd'
     AND operator = 'operator-a' AND started_at <= ended_at")" = 4
# What ran is the flow file followed by its areas file (flow_def_source).
ran=$( (cat "$src/config/flows/community-report.yaml"; printf '\n#--- areas: admin-areas.csv\n';
        cat "$src/config/flows/admin-areas.csv") | sha256sum | cut -d' ' -f1)
check "sessions record the exact definition that ran (flow file and areas)" test "$(sql "
  SELECT count(*) FROM sessions WHERE flow_checksum = '$ran'")" = 4
registered() {
  test "$(sql "SELECT count(*) FROM flows
               WHERE encode(sha256(convert_to(definition, 'UTF8')), 'hex') = flow_checksum")" = \
    "$(find "$src/config/flows" -maxdepth 1 -name '*.yaml' | wc -l)"
}
check "flows registry holds every shipped flow, byte for byte" wait_until 10 registered
check "refusal counted, refusing person not stored" test "$(sql "
  SELECT (SELECT count(*) FROM consent_refusals) || '/' ||
         (SELECT count(*) FROM sessions WHERE pseudonym = '$(pseud +256700000004)')")" = "1/0"
check "paradata: the re-prompted answer took 2 tries, every other typed answer 1" sql_is "
  SELECT string_agg(DISTINCT question_id || '=' || attempts, ',' ORDER BY question_id || '=' || attempts)
  FROM answers WHERE attempts > 1 OR question_id = 'category'" "category=1,severity=2"
check "each answer stored once" test "$(sql "SELECT count(*) - count(DISTINCT (session_id, question_id)) FROM answers")" = 0


# Least privilege: the gateway ran as raia_gw (role raia_gateway); a partner
# login reads the partner views only, without pseudonyms or free text.
psql -q "$RAIA_PG_SUPER" -c "CREATE ROLE analyst LOGIN IN ROLE raia_partner" >/dev/null
as_partner() { psql -X -tA -v ON_ERROR_STOP=1 "host=127.0.0.1 port=$RAIA_PG_PORT dbname=raia user=analyst" -c "$1" 2>&1; }
as_gateway() { psql -X -tA -v ON_ERROR_STOP=1 "$RAIA_GW_CONNINFO" -c "$1" 2>&1; }
export -f as_partner as_gateway
check "partner reads answers through its view" test "$(as_partner "SELECT count(*) FROM partner.answers")" = 16
check "partner reads the questionnaires" test "$(as_partner "
  SELECT count(*) FROM partner.flows WHERE flow_id = 'community-report'")" = 1
check "partner view withholds free text" test "$(as_partner "
  SELECT count(*) FROM partner.answers WHERE free_text_withheld AND value IS NULL")" = 4
check "partner view has day-precision dates only" test "$(as_partner "
  SELECT count(*) FROM partner.sessions WHERE started_on = current_date")" = 4
check "partner cannot see pseudonyms" bash -c "! as_partner 'SELECT pseudonym FROM partner.sessions' >/dev/null"
check "partner cannot read the tables" bash -c "as_partner 'SELECT 1 FROM sessions' | grep -q 'permission denied'"
check "partner cannot write" bash -c "as_partner \"DELETE FROM partner.answers\" | grep -qi 'permission denied\|cannot delete'"
check "gateway role cannot read partner views" bash -c "as_gateway 'SELECT 1 FROM partner.answers' | grep -q 'permission denied'"
check "gateway role cannot alter the schema" bash -c "as_gateway 'DROP TABLE answers' | grep -q 'must be owner'"

check "gateway stops cleanly on SIGTERM" raia_stack_stop_gateway

# Right to erasure: one person's sessions and answers go, the others stay.
"$build/cli/raia" forget --config "$RAIA_CONFIG" 0700000003 >"$run/forget.log" 2>&1
check "raia forget reports what it erased" grep -q "^erased: 1 sessions, 4 answers" "$run/forget.log"
check "forgotten person has no rows left" test "$(sql "
  SELECT count(*) FROM sessions WHERE pseudonym = '$(pseud +256700000003)'")" = 0
check "other people's answers untouched" test "$(sql "SELECT count(*) FROM answers")" = 12
check "erasure audited without the number or pseudonym" test "$(sql "
  SELECT count(*) FROM audit_log WHERE action = 'forget'
     AND detail::text NOT LIKE '%$(pseud +256700000003)%'")" = 1
# Everything at rest, now look for the numbers everywhere raia writes.
dump_at_rest
check "database dump is not empty" grep -q "COPY public.answers" "$run/pg-dump.sql"
no_number_at_rest +256700000001 +256700000002 +256700000003 +256700000004 +256700000005
finish
