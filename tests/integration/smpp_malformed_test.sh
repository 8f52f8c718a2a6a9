#!/usr/bin/env bash
# smpp_malformed_test.sh BUILD_DIR - the whole malformed-PDU corpus
# (tests/assets/smpp_malformed/, documented there and in docs/smpp.md) sent
# by raia-smsc-sim's REPLAY to a bound gateway with real Redis and
# PostgreSQL behind it. For every PDU: the exact answer (command and status,
# same sequence number) from the simulator's record, or no answer at all for
# a response. Then: the link stayed up through the corpus, sent twice; the
# gateway logged each kind of error once (rate-limited) and no phone number;
# Redis and PostgreSQL hold what they held before; the two framing errors
# close the link, which is rebound; an ordinary USSD session completes.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" smpp-malformed
sim_control_open
assets="$src/tests/assets/smpp_malformed"

# What Redis and PostgreSQL hold: every key with its type and size, and the
# row counts of the tables the gateway writes.
redis_state() {
  local k
  # answers:held is the writers' own bookkeeping (docs/storage.md), set and
  # cleared around every read whatever the traffic: not what was stored.
  redis-cli -p "$RAIA_REDIS_PORT" --scan | grep -v ':answers:held$' | sort | while read -r k; do
    case $(redis-cli -p "$RAIA_REDIS_PORT" type "$k") in
      stream) echo "$k stream $(redis-cli -p "$RAIA_REDIS_PORT" xlen "$k")" ;;
      hash) echo "$k hash $(redis-cli -p "$RAIA_REDIS_PORT" hlen "$k")" ;;
      *) echo "$k other" ;;
    esac
  done
}
pg_state() {
  local t
  for t in sessions answers consents message_receipts; do
    if [ "$(sql "SELECT to_regclass('public.$t') IS NOT NULL")" = t ]; then
      echo "$t $(sql "SELECT count(*) FROM $t")"
    fi
  done
}
bound_count() { grep -c "state=bound" "$RAIA_GATEWAY_LOG" || true; }
rebound_since() { [ "$(bound_count)" -gt "$1" ]; }

# The corpus as "seq command status log" lines ("seq none - log" for no
# answer), from each '# expect:' line and the PDU line after it (seq in
# decimal).
expectations() { # FILE
  local hex rest
  awk '/^# expect: / { want = substr($0, 11); sub(/^none /, "none - ", want); next }
       /^[0-9a-fA-F]/ && want != "" {
         line = $0; gsub(/[ \t]/, "", line)
         print substr(line, 25, 8), want; want = "" }' "$1" |
    while read -r hex rest; do echo "$((16#$hex)) $rest"; done
}

# "in" record lines the gateway sent with sequence number SEQ.
answers_to() { grep -E "\"dir\":\"in\",\"cmd\":\"[a-z_]+\",\"seq\":$1,\"status\":[0-9]+" "$RAIA_SIM_RECORD" || true; }
answered() { [ "$(answers_to "$1" | wc -l)" -ge "$2" ]; } # SEQ TIMES

# ctl_until REGEX: the next control line matching REGEX, skipping the PDU
# and REPLAY lines the sim writes for every answer.
ctl_until() {
  local got
  while got=$(ctl_read 10) && [ -n "$got" ]; do
    [[ $got =~ $1 ]] && { echo "  sim: $got"; return 0; }
  done
  return 1
}

# replay FILE ROUND: REPLAY it on the control port and wait until the
# gateway answered, for the ROUND-th time, every PDU that must be answered.
replay() {
  local file=$1 round=$2 n seq want rest
  n=$(grep -c '^[0-9a-fA-F]' "$file")
  ctl "REPLAY $file"
  check "sim loaded $(basename "$file") ($n PDUs)" ctl_until "^OK REPLAY $n$"
  while read -r seq want rest; do
    [ "$want" = none ] && continue
    wait_until 10 answered "$seq" "$round" || echo "  no answer to $seq"
  done < <(expectations "$file")
}

# check_answers FILE: each PDU got exactly the expected answer, or none.
check_answers() {
  local file=$1 seq want status rest got cmd st
  while read -r seq want status rest; do
    got=$(answers_to "$seq")
    if [ "$want" = none ]; then
      check "seq $seq: no answer ($rest)" test -z "$got"
      continue
    fi
    cmd=$(sed -n 's/.*"cmd":"\([a-z_]*\)".*/\1/p' <<<"$got" | sort -u)
    st=$(sed -n 's/.*"status":\([0-9]*\).*/\1/p' <<<"$got" | sort -u)
    check "seq $seq: $want $status (got $(printf '%s 0x%02x' "$cmd" "${st:-0}"))" \
      test "$cmd $st" = "$want $((status))"
  done < <(expectations "$file")
}

# check_logged FILE: every LOG regex of the file matches exactly one line.
check_logged() {
  local re
  while read -r re; do
    [ "$re" = - ] && continue
    check "logged once: $re" test "$(grep -Ec "$re" "$RAIA_GATEWAY_LOG")" = 1
  done < <(expectations "$1" | cut -d' ' -f4- | sort -u)
}

redis_before=$(redis_state)
pg_before=$(pg_state)
bound_before=$(bound_count)

echo "== the corpus, twice"
replay "$assets/corpus.hex" 1
check_answers "$assets/corpus.hex"
replay "$assets/corpus.hex" 2
check "the link stayed up through the corpus, twice" test "$(bound_count)" = "$bound_before"
check "every answer came twice (once per replay)" test "$(expectations "$assets/corpus.hex" |
  awk '$2 != "none"' | while read -r seq _; do answers_to "$seq" | wc -l; done | sort -u)" = 2
check_logged "$assets/corpus.hex"

echo "== framing lost: bad command_length"
for f in framing_short framing_huge; do
  before=$(bound_count)
  replay "$assets/$f.hex" 1
  check_answers "$assets/$f.hex"
  check "$f: the link was closed, then rebound" wait_until 10 rebound_since "$before"
  check_logged "$assets/$f.hex"
done

echo "== nothing stored, the gateway still serves"
check "Redis holds what it held" diff <(echo "$redis_before") <(redis_state)
check "PostgreSQL holds what it held" diff <(echo "$pg_before") <(pg_state)
check "gateway still running" kill -0 "$RAIA_GATEWAY_PID"
check "an ordinary USSD session completes" ussd_phone +256700000071 1 2 3 "Well dry" 4
check "its answers are stored" wait_until 20 sql_is "SELECT count(*) FROM answers a JOIN sessions s
  USING (session_id) WHERE s.pseudonym = '$(pseud +256700000071)'" 4
check "no phone number of the corpus in the gateway log" bash -c "! grep -q '256799' '$RAIA_GATEWAY_LOG'"
check "no phone number of the session in the gateway log" bash -c "! grep -q '700000071' '$RAIA_GATEWAY_LOG'"
check "gateway stops cleanly" raia_stack_stop_gateway
exec 3>&-
finish
