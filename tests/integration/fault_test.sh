#!/usr/bin/env bash
# fault_test.sh BUILD_DIR - DESIGN rule 2 under faults, with real servers and
# phones playing the community report over SMPP while something breaks:
#   1. kill -9 of the gateway mid-load, then a restart;
#   2. PostgreSQL stopped for RAIA_FAULT_PG_DOWN_S (default 30) seconds;
#   3. Redis shut down and restarted (append-only file on);
#   4. Redis out of memory (maxmemory with noeviction).
# After each, every answer a phone saw acknowledged (the flow's next screen
# came back) must be in PostgreSQL, and no answer may be there twice. Each
# step prints the counts it compared.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" fault

# load NAME FIRST SECONDS WORKERS: WORKERS phones in parallel, each playing
# whole sessions one after another for SECONDS (at most 500 each), every
# session from a new number FIRST+... Transcripts go to $run/NAME/.
load() {
  local name=$1 first=$2 secs=$3 workers=$4 w
  mkdir -p "$run/$name"
  load_pids=()
  for w in $(seq 0 $((workers - 1))); do
    (
      local end=$((SECONDS + secs)) k=0 n msisdn
      while [ $SECONDS -lt $end ] && [ $k -lt 500 ]; do
        n=$((first + w * 1000 + k))
        msisdn=+2567$(printf '%08d' "$n")
        "$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn "$msisdn" \
          --dial '*384*12#' --timeout 5 --input 1 --input $((n % 4 + 1)) \
          --input $((n % 5 + 1)) --input "fault report $n" --input 4 \
          >"$run/$name/phone-$msisdn.txt" 2>&1 || true
        k=$((k + 1))
      done
    ) &
    load_pids+=($!)
  done
}

load_wait() { wait "${load_pids[@]}"; }

stream_empty() { [ "$(redis-cli -p "$RAIA_REDIS_PORT" XLEN raia:answers)" = 0 ]; }
drained() { wait_until 30 stream_empty; } # the writer deletes what it committed

# compare NAME: acknowledged answers of NAME's phones ⊆ rows in PostgreSQL.
compare() {
  local name=$1 dir=$run/$1
  python3 "$src/tests/integration/lib/acknowledged.py" "$RAIA_KEY_FILE" community-report \
    "$dir"/phone-*.txt | sort >"$dir/acknowledged.txt"
  stored_answers >"$dir/stored.txt"
  comm -23 "$dir/acknowledged.txt" "$dir/stored.txt" >"$dir/lost.txt"
  local sessions completed acked lost
  sessions=$(ls "$dir" | grep -c '^phone-')
  completed=$(grep -l '^\[end\]' "$dir"/phone-*.txt | xargs grep -l 'Your report was recorded' | wc -l)
  acked=$(wc -l <"$dir/acknowledged.txt")
  lost=$(wc -l <"$dir/lost.txt")
  echo "     $name: $sessions sessions, $completed completed, $acked answers acknowledged," \
       "$lost of them missing in PostgreSQL"
  check "$name: load ran" test "$acked" -gt 0
  check "$name: every acknowledged answer is in PostgreSQL" test "$lost" = 0
  check "$name: no answer stored twice" test "$(sql "
    SELECT count(*) - count(DISTINCT (session_id, question_id)) FROM answers")" = 0
}

echo "== 1. kill -9 of the gateway under load =="
load kill 100000 6 8
sleep 2
kill -KILL "$RAIA_GATEWAY_PID"
wait "$RAIA_GATEWAY_PID" 2>/dev/null || true
check "gateway restarts after kill -9" raia_stack_start_gateway
load_wait
check "kill: stream drained" drained
compare kill

echo "== 2. PostgreSQL down for ${RAIA_FAULT_PG_DOWN_S:-30} s under load =="
load pg 200000 $((${RAIA_FAULT_PG_DOWN_S:-30} + 4)) 4
sleep 2
raia_pg_ctl stop
sleep "${RAIA_FAULT_PG_DOWN_S:-30}"
backlog=$(redis-cli -p "$RAIA_REDIS_PORT" XLEN raia:answers)
raia_pg_ctl start
load_wait
echo "     backlog in Redis when PostgreSQL came back: $backlog entries"
check "pg: the backlog waited in Redis" test "$backlog" -gt 0
check "pg: no citizen saw an error (every session completed)" test \
  "$(grep -L 'Your report was recorded' "$run"/pg/phone-*.txt | wc -l)" = 0
check "pg: stream drained after the outage" drained
compare pg
check "pg: exactly the acknowledged answers, no more" \
  diff "$run/pg/acknowledged.txt" <(grep -F -f <(cut -d'|' -f1 "$run/pg/acknowledged.txt" | sort -u) \
                                      "$run/pg/stored.txt")

echo "== 3. Redis restarted under load =="
load redis 300000 6 4
sleep 2
redis-cli -p "$RAIA_REDIS_PORT" shutdown >/dev/null 2>&1 || true # SHUTDOWN fsyncs the AOF
sleep 1
raia_redis_start
load_wait
check "redis: stream drained after the restart" drained
compare redis
check "redis: sessions started after the restart complete" \
  test "$(grep -l 'Your report was recorded' "$run"/redis/phone-*.txt | wc -l)" -gt 0

echo "== 4. Redis out of memory (maxmemory reached, noeviction) =="
redis-cli -p "$RAIA_REDIS_PORT" CONFIG SET maxmemory-policy noeviction >/dev/null
redis-cli -p "$RAIA_REDIS_PORT" CONFIG SET maxmemory 1 >/dev/null
mkdir -p "$run/oom"
"$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn +256799000001 \
  --dial '*384*12#' --timeout 10 --input 1 >"$run/oom/phone-+256799000001.txt" 2>&1 || true
check "oom: the citizen is told politely that nothing was saved" \
  grep -q "your answer was not saved" "$run/oom/phone-+256799000001.txt"
redis-cli -p "$RAIA_REDIS_PORT" CONFIG SET maxmemory 0 >/dev/null
"$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn +256799000002 \
  --dial '*384*12#' --timeout 10 --input 1 --input 2 --input 3 --input "after oom" --input 4 \
  >"$run/oom/phone-+256799000002.txt" 2>&1 || true
check "oom: once memory is back, sessions complete" \
  grep -q "Your report was recorded" "$run/oom/phone-+256799000002.txt"
check "oom: stream drained" drained
compare oom

check "gateway stops cleanly on SIGTERM" raia_stack_stop_gateway
finish
