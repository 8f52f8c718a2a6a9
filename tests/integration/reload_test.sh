#!/usr/bin/env bash
# reload_test.sh BUILD_DIR - SIGHUP reloads the flows folder: a folder with a
# broken file is refused with file:line in the log and the running flows stay
# live; a new version of a flow takes new sessions while a session in flight
# finishes on the version it began with; both versions land in the registry.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" reload

# Run on a private copy of the flows folder, which the test edits.
raia_stack_stop_gateway
mkdir "$run/flows"
cp "$src"/config/flows/*.yaml "$src"/config/flows/*.csv "$run/flows/"
shipped=$(ls "$src"/config/flows/*.yaml | wc -l)
sed -i "s|^  dir: .*|  dir: $run/flows|" "$RAIA_CONFIG"
raia_stack_start_gateway
check "version 2 is in the flows registry" wait_log "op=flows_registered n=$shipped"
sim_control_open

ctl "DIAL +256700000061 *384*12#"
check "a session starts on version 2" ctl_expect "^SCREEN \+256700000061 cont Community Reports"
ctl "REPLY +256700000061 1"
check "consent given" ctl_expect "^SCREEN \+256700000061 cont Which service"

printf 'id: broken\nversion: one\n' >"$run/flows/broken.yaml"
kill -HUP "$RAIA_GATEWAY_PID"
check "a broken folder is refused" wait_log "op=reload status=refused kept=$shipped"
check "the refusal names file, line and column" \
  grep -q "op=reload err=\".*/broken.yaml:2:10: version: 'one' is not a whole number" "$RAIA_GATEWAY_LOG"
rm "$run/flows/broken.yaml"

sed -i -e 's/^version: 2$/version: 3/' \
  -e 's/^end: "Thank you\. Your report was recorded\./end: "Asante! Your report was recorded./' \
  "$run/flows/community-report.yaml"
kill -HUP "$RAIA_GATEWAY_PID"
check "version 3 is loaded" wait_log "op=reload status=ok flows=$shipped"

ctl "REPLY +256700000061 2"
check "the session in flight goes on" ctl_expect "^SCREEN \+256700000061 cont How serious"
ctl "REPLY +256700000061 3"
ctl_expect "^SCREEN \+256700000061 cont Describe" >/dev/null
ctl "REPLY +256700000061 Started before the reload"
ctl_expect "^SCREEN \+256700000061 cont Where is the problem" >/dev/null
ctl "REPLY +256700000061 4"
check "and ends on version 2" ctl_expect "^SCREEN \+256700000061 end Thank you\. Your report"
check "a new session runs version 3" ussd_phone +256700000062 1 1 1 "After the reload" 4
check "with version 3's end screen" grep -q "Asante!" "$run/phone+256700000062.txt"

wait_rows 8 2 || true
check "sessions recorded under the version each ran" test "$(sql "
  SELECT string_agg(flow_version::text, ',' ORDER BY flow_version) FROM sessions")" = "2,3"
wait_until 10 sql_is "SELECT count(*) FROM flows WHERE flow_id = 'community-report'" 2 || true
check "both versions in the flows registry" \
  test "$(sql "SELECT count(*) FROM flows WHERE flow_id = 'community-report'")" = 2
check "gateway stops cleanly" raia_stack_stop_gateway
finish
