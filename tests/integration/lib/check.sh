# shellcheck shell=bash
# check.sh - what the shell integration tests share:
#   check DESCRIPTION COMMAND...   run COMMAND, print ok/FAIL, count failures in $fail
#   sql QUERY                      one query as the database owner, unaligned, '|' separated
#   pseud MSISDN                   the pseudonym the gateway stores for an E.164 number
#   finish                         print the failure count; status 0 only if none
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
