# shellcheck shell=bash
# check.sh - what the shell integration tests share:
#   check DESCRIPTION COMMAND...   run COMMAND, print ok/FAIL, count failures in $fail
#   sql QUERY                      one query as the database owner, unaligned, '|' separated
#   pseud MSISDN                   the pseudonym the gateway stores for an E.164 number
#   finish                         print the failure count; status 0 only if none
#   ussd_phone MSISDN INPUT...     a USSD session on raia-phone; wait_rows ANSWERS ENDED
#   wait_until SECONDS COMMAND...  retry COMMAND until it succeeds; sql_is QUERY VALUE
#   sim_control_open, ctl, ctl_read, ctl_expect   drive the simulator's control port by hand
#   wait_log REGEX                 until the gateway log has a matching line
#   stored_answers                 every answer as pseudonym|question|code|value, sorted
#   dump_at_rest                   every Redis key and value (and its AOF) in $run/redis-dump.txt,
#                                  the database in $run/pg-dump.sql
#   no_number_at_rest MSISDN...    checks that no form of each number is in those dumps or the
#                                  gateway log, and (control) that the simulator saw it
fail=0

check() {
  local what=$1
  shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=$((fail + 1)); fi
}

sql() { psql -X -tA -F'|' "$RAIA_PG_CONNINFO" -c "$1"; }

pseud() {
  printf 'community-report%s' "$1" | openssl dgst -sha256 -hmac "$(cat "$RAIA_KEY_FILE")" \
    | awk '{print $2}'
}

finish() {
  echo "$fail failed"
  [ "$fail" -eq 0 ]
}

# Every answer in PostgreSQL as pseudonym|question|code|value, sorted.
stored_answers() {
  sql "SELECT s.pseudonym, a.question_id, coalesce(a.code, ''), coalesce(a.value, '')
       FROM answers a JOIN sessions s USING (session_id)" | sort
}

# ussd_phone MSISDN INPUT...: one community-report session on raia-phone,
# transcript in $run/phoneMSISDN.txt.
ussd_phone() {
  local msisdn=$1 a args=()
  shift
  for a in "$@"; do args+=(--input "$a"); done
  "$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn "$msisdn" \
    --dial '*384*12#' --timeout 20 "${args[@]}" >"$run/phone$msisdn.txt" 2>&1
}

# wait_until SECONDS COMMAND...: until COMMAND succeeds, tried every 0.1 s.
wait_until() {
  local tries=$(($1 * 10)) i
  shift
  for i in $(seq 1 "$tries"); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# sql_is QUERY VALUE: the query's one value is VALUE.
sql_is() { [ "$(sql "$1")" = "$2" ]; }

# wait_rows ANSWERS ENDED: until PostgreSQL holds that many answers and ended
# sessions (the writer is asynchronous); 20 s at most.
rows_are() {
  sql_is "SELECT count(*) FROM answers" "$1" &&
    sql_is "SELECT count(*) FROM sessions WHERE outcome IS NOT NULL" "$2"
}
wait_rows() { wait_until 20 rows_are "$1" "$2"; }

# sim_control_open: the test's own connection to the simulator's control port
# (fd 3), then ctl LINE sends a command, ctl_read SECONDS returns the next
# line (or "" after SECONDS), ctl_expect REGEX checks the next line (10 s).
sim_control_open() { exec 3<>"/dev/tcp/127.0.0.1/$RAIA_SIM_CONTROL"; }
ctl() { printf '%s\n' "$1" >&3; }
ctl_read() { local line=""; IFS= read -r -t "$1" line <&3 || true; printf '%s' "${line%$'\r'}"; }
ctl_expect() { local got; got=$(ctl_read 10); echo "  sim: $got"; [[ $got =~ $1 ]]; }

dump_at_rest() {
  redis-cli -p "$RAIA_REDIS_PORT" --scan | while read -r key; do
    echo "KEY $key"
    case $(redis-cli -p "$RAIA_REDIS_PORT" type "$key") in
      string) redis-cli -p "$RAIA_REDIS_PORT" get "$key" ;;
      stream) redis-cli -p "$RAIA_REDIS_PORT" xrange "$key" - + ;;
      hash) redis-cli -p "$RAIA_REDIS_PORT" hgetall "$key" ;;
      list) redis-cli -p "$RAIA_REDIS_PORT" lrange "$key" 0 -1 ;;
      set) redis-cli -p "$RAIA_REDIS_PORT" smembers "$key" ;;
      zset) redis-cli -p "$RAIA_REDIS_PORT" zrange "$key" 0 -1 withscores ;;
    esac
  done >"$run/redis-dump.txt"
  cat "$RAIA_SERVERS_DIR"/redis/appendonlydir/* >>"$run/redis-dump.txt" 2>/dev/null || true
  pg_dump -h 127.0.0.1 -p "$RAIA_PG_PORT" -U postgres raia >"$run/pg-dump.sql"
}

# no_number_at_rest +256700000061 ...: international, national and subscriber forms.
no_number_at_rest() {
  local msisdn digits form f
  for msisdn in "$@"; do
    digits=${msisdn#+}
    for form in "$digits" "0${digits:3}" "${digits:3}"; do
      check "sim saw $form (control)" grep -q "${form: -9}" "$RAIA_SIM_RECORD"
      for f in "$run/redis-dump.txt" "$run/pg-dump.sql" "$RAIA_GATEWAY_LOG"; do
        check "no $form in $(basename "$f")" bash -c "! grep -q '$form' '$f'"
      done
    done
  done
}

# wait_log REGEX: until the gateway log has a matching line (10 s at most).
wait_log() { wait_until 10 grep -Eq "$1" "$RAIA_GATEWAY_LOG"; }
