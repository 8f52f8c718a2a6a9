#!/usr/bin/env bash
# api_test.sh BUILD_DIR - raia-api against a real stack. Three phones start
# the community report through the gateway and stop after the category;
# 254 more ended sessions with known answers are inserted as the gateway
# role, so the safe table by category x severity can be computed by hand.
# raia-api runs as a login in the raia_api role on a private loopback port;
# curl makes the requests and api_check.py (stdlib only) reads the bodies:
# every status code (200, 400, 401, 403, 404, 405, 429), paging by cursor
# while rows arrive and while a transaction that ends a session is still
# open (nothing missed, nothing repeated), suppressed cells as computed by
# hand, per-token respondent ids, the stable-pseudonym scope, audit rows
# for every pull, the OpenAPI document against what is served, and no
# phone number or pseudonym anywhere it must not be.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" api
source "$src/tests/integration/lib/api_stack.sh"
check_py="$src/tests/integration/api_check.py"
raia=$build/cli/raia

stack_test_cleanup() {
  [ -n "${holder_pid:-}" ] && kill "$holder_pid" 2>/dev/null
  stop_apis
  return 0
}

# --- data: three phones through the gateway, then seeded sessions ---
for n in 1 2 3; do
  ussd_phone +25670000020$n 1 1 STOP & phones="${phones:-} $!"
done
for p in $phones; do check "phone $p finished" wait "$p"; done
check "the phones' sessions ended in PostgreSQL" wait_until 20 sql_is \
  "SELECT count(*) FROM sessions WHERE outcome = 'stopped'" 3
registered() { sql_is "SELECT count(DISTINCT flow_id) FROM flows WHERE flow_id IN ('community-report', 'disability-wg-ss')" 2; }
check "flows registry holds both flows" wait_until 10 registered
v=$(sql "SELECT max(flow_version) FROM flows WHERE flow_id = 'community-report'")
check "phones ran the highest registered version" sql_is \
  "SELECT count(*) FROM sessions WHERE flow_version = $v" 3

# seed TAG CELLS [OUTCOME]: one session per count in CELLS ("cat:sev:n ..."),
# each with its category and severity answer; OUTCOME NULL leaves it running.
seed() {
  local tag=$1 cells=$2 outcome=${3:-"'completed'"} values="" c
  for c in $cells; do
    IFS=: read -r cat sev n <<<"$c"
    values+="${values:+,}('$cat',$sev,$n)"
  done
  gw_sql "
    CREATE TEMP TABLE s AS
      SELECT md5('$tag' || k) AS id, cat, sev, k FROM (
        SELECT cat, sev, row_number() OVER (ORDER BY cat, sev, g) AS k
        FROM (VALUES $values) AS c(cat, sev, n), generate_series(1, c.n) AS g) x;
    INSERT INTO sessions (session_id, pseudonym, flow_id, flow_version, consent_version, channel,
                          operator, language, started_at, ended_at, outcome, last_seen_at, ttl_s)
      SELECT id, encode(sha256(('$tag' || k)::bytea), 'hex'), 'community-report', $v,
             'cr-consent-1', 'ussd', 'operator-a', 'en', now() - interval '1 hour',
             CASE WHEN $outcome IS NULL THEN NULL ELSE now() END, $outcome, now(), 600 FROM s;
    INSERT INTO answers (stream_id, session_id, question_id, code, value, answered_at)
      SELECT '$tag-c-' || k, id, 'category', cat, initcap(cat), now() FROM s
      UNION ALL SELECT '$tag-s-' || k, id, 'severity', NULL, sev::text, now() FROM s;"
}
#          s1  s2  s3  s4  s5
# water    12  15   3  20  11
# clinic   14   0  25  30  16
# school   18  11  40  13  22
# other     0   4   0   0   0
seed seed "water:1:12 water:2:15 water:3:3 water:4:20 water:5:11
           clinic:1:14 clinic:3:25 clinic:4:30 clinic:5:16
           school:1:18 school:2:11 school:3:40 school:4:13 school:5:22 other:2:4"
check "257 ended sessions" sql_is "SELECT count(*) FROM sessions WHERE outcome IS NOT NULL AND flow_version = $v" 257

# --- partners ---
check "partner a: community report (and a flow not registered)" add_partner partner-a --flows community-report,ghost-flow
check "partner c: community report" add_partner partner-c --flows community-report
check "partner s: stable pseudonyms" add_partner partner-s --flows community-report --scope stable-pseudonym
check "partner b: the WG-SS only" add_partner partner-b --flows disability-wg-ss
check "partner r: to be revoked" add_partner partner-r --flows community-report
check "the name cannot be taken twice (exit 1)" bash -c "! '$raia' partners add --config '$RAIA_CONFIG' partner-a --flows community-report 2>/dev/null"
check "bad scope is usage (exit 2)" test "$(set +e; "$raia" partners add --config "$RAIA_CONFIG" x --flows a --scope all 2>/dev/null; echo $?)" = 2
check "revoke partner r" bash -c "'$raia' partners revoke --config '$RAIA_CONFIG' partner-r >>'$run/partners.log'"
check "revoking again fails" bash -c "! '$raia' partners revoke --config '$RAIA_CONFIG' partner-r 2>/dev/null"
tok_a=$(token_of partner-a) tok_b=$(token_of partner-b) tok_c=$(token_of partner-c)
tok_s=$(token_of partner-s) tok_r=$(token_of partner-r)
key_of() { sql "SELECT encode(respondent_key, 'hex') FROM partner_tokens WHERE name = '$1'"; }
KEY_A=$(key_of partner-a) KEY_C=$(key_of partner-c) KEY_S=$(key_of partner-s)
export KEY_A KEY_C KEY_S
check "tokens are raia_ + 43 base64url characters" bash -c "[[ '$tok_a' =~ ^raia_[A-Za-z0-9_-]{43}$ ]]"
check "only the SHA-256 is stored" sql_is "SELECT count(*) FROM partner_tokens
  WHERE token_sha256 = sha256('$tok_a'::bytea) AND encode(token_sha256, 'hex') <> '$tok_a'" 1
check "no token text in the database" sql_is "SELECT count(*) FROM partner_tokens
  WHERE position('$tok_a' IN name || array_to_string(flows, ',') || scope) > 0" 0
"$raia" partners list --config "$RAIA_CONFIG" >"$run/partners-list.out"
check "list shows partner r revoked, no token" bash -c "grep -E '^partner-r .* [0-9]{4}-' '$run/partners-list.out' | grep -vq -- ' -$' && ! grep -q '$tok_a' '$run/partners-list.out'"
check "audit: five adds and one revoke, no token" sql_is "SELECT count(*) FILTER (WHERE action = 'partner_add') || '/' ||
  count(*) FILTER (WHERE action = 'partner_revoke') || '/' || count(*) FILTER (WHERE detail::text LIKE '%raia\_%')
  FROM audit_log WHERE action LIKE 'partner%'" "5/1/0"

# --- raia-api, as a login in the raia_api role ---
api_login
port=$(raia_free_port)
check "raia-api starts on loopback" start_api main "$port" 100000
base="http://127.0.0.1:$port"

# get NAME TOKEN PATH [CURL ARGS]: body in $run/NAME.body, headers in NAME.hdr; prints the status.
get() {
  local name=$1 tok=$2 path=$3 auth=()
  shift 3
  [ -n "$tok" ] && auth=(-H "Authorization: Bearer $tok")
  curl -sS -o "$run/$name.body" -D "$run/$name.hdr" -w '%{http_code}' "${auth[@]}" "$@" "$base$path"
}
is() { [ "$(get "$@")" = "${expect}" ]; }
status() { expect=$1; shift; is "$@"; }

check "healthz 200 once tokens are loaded" wait_until 10 status 200 health "" /healthz
check "openapi.json 200 without a token" status 200 openapi "" /v1/openapi.json
check "flows 200" status 200 flows "$tok_a" /v1/flows
check "flow metadata 200" status 200 flow "$tok_a" /v1/flows/community-report
check "flow metadata by version 200" status 200 flow-v "$tok_a" "/v1/flows/community-report?version=$v"
check "table by category x severity 200" status 200 table2 "$tok_a" "/v1/flows/community-report/tables?by=category,severity"
check "same table asked the other way round 200" status 200 table2t "$tok_a" "/v1/flows/community-report/tables?by=severity,category"
check "table by category 200" status 200 table1 "$tok_a" "/v1/flows/community-report/tables?by=category"
check "timeline 200" status 200 timeline "$tok_a" /v1/flows/community-report/timeline
check "funnel 200" status 200 funnel "$tok_a" "/v1/flows/community-report/funnel?version=$v"
check "csv page 200" status 200 csv "$tok_a" "/v1/flows/community-report/responses?format=csv&limit=500"
check "stable-pseudonym page 200" status 200 stable "$tok_s" "/v1/flows/community-report/responses?limit=500"
check "partner c page 200" status 200 other "$tok_c" "/v1/flows/community-report/responses?limit=500"
check "HEAD 200" status 200 head "$tok_a" /v1/flows -I

check "400 limit=0" status 400 e-limit0 "$tok_a" "/v1/flows/community-report/responses?limit=0"
check "400 limit above page_max" status 400 e-limit "$tok_a" "/v1/flows/community-report/responses?limit=501"
check "400 format=xml" status 400 e-format "$tok_a" "/v1/flows/community-report/responses?format=xml"
check "400 forged cursor" status 400 e-cursor "$tok_a" "/v1/flows/community-report/responses?cursor=YWJj"
check "400 unknown parameter" status 400 e-param "$tok_a" "/v1/flows/community-report/responses?since=2024-01-01"
check "400 parameter twice" status 400 e-twice "$tok_a" "/v1/flows/community-report/responses?limit=1&limit=2"
check "400 version=0" status 400 e-version "$tok_a" "/v1/flows/community-report?version=0"
check "400 table without by" status 400 e-noby "$tok_a" "/v1/flows/community-report/tables"
check "400 table by free text" status 400 e-text "$tok_a" "/v1/flows/community-report/tables?by=details"
check "400 table by unknown question" status 400 e-unknown "$tok_a" "/v1/flows/community-report/tables?by=nope"
check "401 no token" status 401 e-none "" /v1/flows
check "401 wrong token" status 401 e-wrong "raia_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" /v1/flows
check "401 revoked token" status 401 e-revoked "$tok_r" /v1/flows
check "401 not Bearer" status 401 e-basic "" /v1/flows -u "a:b"
check "403 token for WG-SS reading the community report" status 403 e-scope "$tok_b" /v1/flows/community-report/responses
check "403 for its metadata too" status 403 e-scope2 "$tok_b" /v1/flows/community-report
check "403 for its tables too" status 403 e-scope3 "$tok_b" "/v1/flows/community-report/tables?by=category"
check "403 for its timeline too" status 403 e-scope4 "$tok_b" /v1/flows/community-report/timeline
check "401 funnel without a token" status 401 e-funnel-none "" /v1/flows/community-report/funnel
check "400 timeline with an unknown parameter" status 400 e-timeline-by "$tok_a" "/v1/flows/community-report/timeline?by=category"
check "404 unknown path" status 404 e-path "$tok_a" /v2/flows
check "404 flow in scope but not registered" status 404 e-ghost "$tok_a" /v1/flows/ghost-flow
check "404 unknown version" status 404 e-ver "$tok_a" "/v1/flows/community-report?version=99"
check "404 bad flow id" status 404 e-id "$tok_a" "/v1/flows/Bad%20Id"
check "405 POST" status 405 e-post "$tok_a" /v1/flows -X POST
big=$(head -c 9000 /dev/zero | tr '\0' a)
check "a request head over max_request_bytes is refused" bash -c "code=\$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Pad: $big' '$base/healthz'); [ \"\$code\" = 000 ] || [ \"\$code\" -ge 400 ]"
slow_client() { # sends half a request and waits: raia-api must hang up (timeout_s 2)
  exec 5<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET /healthz HTTP/1.1\r\n' >&5
  timeout 20 cat <&5 >/dev/null
  local rc=$?
  exec 5<&-
  [ "$rc" -ne 124 ]
}
check "a client that stops sending is disconnected" slow_client
check "405 DELETE" status 405 e-delete "$tok_a" /v1/flows/community-report -X DELETE

# 429: a second instance allows one request a minute per token.
port2=$(raia_free_port)
check "rate-limited raia-api starts" start_api slow "$port2" 1
slow() { local b=$base; base="http://127.0.0.1:$port2"; get "$@"; base=$b; }
check "slow: healthz" wait_until 10 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port2/healthz)\" = 200 ]"
check "slow: first request 200" test "$(slow r-first "$tok_a" /v1/flows)" = 200
check "slow: second request 429" test "$(slow e-429 "$tok_a" /v1/flows)" = 429
check "slow: another token is not limited by the first" test "$(slow r-other "$tok_c" /v1/flows)" = 200

# --- paging: rows arrive between pages; a transaction holding an ended session stays open ---
pages=0
page() { # CURSOR -> saves page N, sets cursor
  local c=$1 q="limit=50"
  [ -n "$c" ] && q+="&cursor=$c"
  pages=$((pages + 1))
  [ "$(get "page$pages" "$tok_a" "/v1/flows/community-report/responses?$q")" = 200 ] || return 1
  cursor=$(awk 'tolower($1) == "next-cursor:" {print $2}' "$run/page$pages.hdr" | tr -d '\r')
  [ -n "$cursor" ]
}
cursor=""
check "page 1" page ""
seed late1 "school:3:5"                          # 5 ended sessions arrive
# A location answer at district level goes out as its region (the coarsest level).
if sql "SELECT definition FROM flows WHERE flow_id = 'community-report' AND flow_version = $v" | grep -q 'type: location'; then
  gw_sql "INSERT INTO answers (stream_id, session_id, question_id, code, value, answered_at)
          VALUES ('late1-a-1', md5('late1' || 1), 'area', 'XR0101', 'Bondeni', now())"
  AREA_SESSION=$(sql "SELECT md5('late1' || 1)")
  export AREA_SESSION
fi
seed run1 "water:1:2" NULL                       # 2 still running: not served
mkfifo "$run/holder.in"
psql -X -q "$RAIA_GW_CONNINFO" -v ON_ERROR_STOP=1 <"$run/holder.in" >"$run/holder.out" 2>&1 & holder_pid=$!
exec 4>"$run/holder.in"
echo "SET application_name = 'api_test_holder'; BEGIN;
  UPDATE sessions SET outcome = 'completed', ended_at = now() WHERE session_id = md5('run1' || 1);" >&4
held() { [ "$(psql -X -tA "$RAIA_PG_SUPER" -c "SELECT count(*) FROM pg_stat_activity
  WHERE application_name = 'api_test_holder' AND backend_xid IS NOT NULL")" = 1 ]; }
check "a transaction ending a session is open" wait_until 10 held
seed late2 "clinic:4:3"                          # committed after the open one began
while page "$cursor" && [ "$(wc -l <"$run/page$pages.body")" -gt 0 ]; do :; done
served_before=$pages
check "the open transaction's session was not served, nor what committed after it began" \
  python3 "$check_py" not-served "$run" "$pages" "$(sql "SELECT md5('late2' || 1)")" "$(sql "SELECT md5('run1' || 1)")"
echo "COMMIT;" >&4
exec 4>&-
wait "$holder_pid"; holder_pid=
gw_sql "UPDATE sessions SET outcome = 'abandoned', ended_at = now() WHERE session_id = md5('run1' || 2)"
while page "$cursor" && [ "$(wc -l <"$run/page$pages.body")" -gt 0 ]; do :; done
check "pages after the commit brought the rest" test "$pages" -gt "$((served_before + 1))"
ids="$run/ended-sessions.txt"
sql "SELECT session_id FROM sessions WHERE outcome IS NOT NULL AND flow_version = $v" >"$ids"
check "every ended session once over all pages ($(wc -l <"$ids"))" python3 "$check_py" pages "$run" "$pages" "$ids"

# A location question is tabulated by region: late1's district answer counts for XR01.
if [ -n "${AREA_SESSION:-}" ]; then
  check "table by area (a location) 200" status 200 table-area "$tok_a" "/v1/flows/community-report/tables?by=area"
fi

# --- bodies against hand-computed expectations and the OpenAPI document ---
pseudonyms="$run/pseudonyms.txt"
sql "SELECT pseudonym FROM sessions" >"$pseudonyms"
for n in 1 2 3; do pseud +25670000020$n; done >"$run/phone-pseudonyms.txt"
check "bodies, tables, ids, scope, OpenAPI" python3 "$check_py" bodies "$run" "$pages" "$pseudonyms" "$run/phone-pseudonyms.txt" "$ids"
for n in 1 2 3; do
  for form in "25670000020$n" "070000020$n" "70000020$n"; do
    check "no $form in any response" bash -c "! grep -rq '$form' '$run'/*.body"
  done
done

# --- audit ---
check "one audit row per pull, rows counted" python3 "$check_py" audit "$run" "$pages" \
  "$(sql "SELECT actor || '|' || action || '|' || (detail->>'rows') FROM audit_log WHERE action LIKE 'api%' ORDER BY audit_id" | tr '\n' ' ')"
check "no failed pull was audited" sql_is "SELECT count(*) FROM audit_log WHERE actor = 'partner-b'" 0

# --- a derived variable: the WG-SS disability identifier, tabulated ---
# One phone answers the WG-SS through the gateway (walking: a lot of
# difficulty), which stores disability = 1 when the session completes; 70
# more ended sessions are inserted as the gateway stores them (six domains,
# then disability: 1 when seeing or walking is 3 or 4), one still running.
"$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn +256700000210 \
  --dial '*384*13#' --timeout 20 --input 1 --input 1 --input 1 --input 1 --input 3 --input 1 \
  --input 1 --input 1 >"$run/phone-wg.txt" 2>&1
wv=$(sql "SELECT max(flow_version) FROM flows WHERE flow_id = 'disability-wg-ss'")
check "the phone's WG-SS session completed with disability 1" wait_until 20 sql_is \
  "SELECT string_agg(a.code, ',') FROM sessions s JOIN answers a USING (session_id)
   WHERE s.flow_id = 'disability-wg-ss' AND s.outcome = 'completed' AND a.question_id = 'disability'" 1
wg_seed() { # TAG "SEEING:WALKING:N:DISABILITY ..." [OUTCOME]
  local tag=$1 values="" c outcome=${3:-"'completed'"}
  for c in $2; do
    IFS=: read -r see walk n dis <<<"$c"
    values+="${values:+,}('$see','$walk',$n,'$dis')"
  done
  gw_sql "
    CREATE TEMP TABLE w AS
      SELECT md5('$tag' || k) AS id, see, walk, dis, k FROM (
        SELECT see, walk, dis, row_number() OVER (ORDER BY see, walk, g) AS k
        FROM (VALUES $values) AS c(see, walk, n, dis), generate_series(1, c.n) AS g) x;
    INSERT INTO sessions (session_id, pseudonym, flow_id, flow_version, consent_version, channel,
                          operator, language, started_at, ended_at, outcome, last_seen_at, ttl_s)
      SELECT id, encode(sha256(('$tag' || k)::bytea), 'hex'), 'disability-wg-ss', $wv,
             'wg-consent-2', 'ussd', 'operator-a', 'en', now() - interval '1 hour',
             CASE WHEN $outcome IS NULL THEN NULL ELSE now() END, $outcome, now(), 600 FROM w;
    INSERT INTO answers (stream_id, session_id, question_id, code, value, answered_at)
      SELECT '$tag-' || k || '-' || q, id, q, CASE q WHEN 'seeing' THEN see WHEN 'walking' THEN walk
             WHEN 'disability' THEN dis ELSE '1' END, '', now()
      FROM w, unnest(ARRAY['seeing', 'hearing', 'walking', 'remembering', 'self_care',
                           'communicating', 'disability']) AS q
      WHERE q <> 'disability' OR $outcome = 'completed';"
}
check "seed 70 ended WG-SS sessions" wg_seed wg "1:1:20:0 2:1:12:0 1:3:11:1 3:1:4:1 1:4:13:1 2:2:10:0"
check "and one still running" wg_seed wgrun "1:1:1:" NULL
sql "SELECT max(CASE WHEN a.question_id = 'walking' THEN a.code END),
            coalesce(max(CASE WHEN a.question_id = 'disability' THEN a.code END), '')
     FROM sessions s JOIN answers a USING (session_id)
     WHERE s.flow_id = 'disability-wg-ss' AND s.flow_version = $wv AND s.outcome IS NOT NULL
     GROUP BY s.session_id" >"$run/wg-expected.txt"
check "WG-SS metadata 200" status 200 wg-flow "$tok_b" /v1/flows/disability-wg-ss
check "table by disability 200" status 200 wg-t1 "$tok_b" "/v1/flows/disability-wg-ss/tables?by=disability"
check "table by disability x walking 200" status 200 wg-t2 "$tok_b" "/v1/flows/disability-wg-ss/tables?by=disability,walking"
check "the same the other way round 200" status 200 wg-t2t "$tok_b" "/v1/flows/disability-wg-ss/tables?by=walking,disability"
check "WG-SS responses (JSON Lines) 200" status 200 wg-rows "$tok_b" "/v1/flows/disability-wg-ss/responses?limit=500"
check "WG-SS responses (CSV) 200" status 200 wg-csv "$tok_b" "/v1/flows/disability-wg-ss/responses?format=csv&limit=500"
check "400 table by an unknown variable" status 400 wg-e-unknown "$tok_b" "/v1/flows/disability-wg-ss/tables?by=disabled"
check "403 a community-report token tabulating disability" status 403 wg-e-scope "$tok_a" "/v1/flows/disability-wg-ss/tables?by=disability"
check "disability: metadata, tables against PostgreSQL, responses, OpenAPI" \
  python3 "$check_py" derived "$run" 0 "$run/wg-expected.txt"
check "the WG-SS pulls were audited for partner b" sql_is \
  "SELECT string_agg(action || ':' || (detail->>'rows'), ',' ORDER BY audit_id) FROM audit_log WHERE actor = 'partner-b'" \
  "api_tables:3,api_tables:15,api_tables:15,api_responses:71,api_responses:71"
# --- GET /metrics: every request above, by route and status (an independent parser reads it) ---
check "a query on /metrics is a JSON 400 naming it" bash -c \
  "curl -sS -o '$run/metrics-query.body' -w '%{http_code}' 'http://127.0.0.1:$port/metrics?cursor=v' | grep -qx 400 && grep -q '\"query\"' '$run/metrics-query.body'"
curl -fsS "http://127.0.0.1:$port/metrics" >"$run/api-metrics.txt"
/usr/bin/python3 "$src/tests/integration/lib/metrics_dump.py" "$run/api-metrics.txt" >"$run/api-metrics.samples"
metric() { awk -v k="$1" '$1 == k {print $2}' "$run/api-metrics.samples"; }
check "api metrics parse and count 401s on the flows list" test "$(metric 'raia_api_requests_total{route="flows",status="401"}')" -ge 1
check "api metrics count 403s on responses" test "$(metric 'raia_api_requests_total{route="responses",status="403"}')" -ge 1
check "api metrics count 200s on tables" test "$(metric 'raia_api_requests_total{route="tables",status="200"}')" -ge 1
check "api metrics count unknown paths" test "$(metric 'raia_api_requests_total{route="none",status="404"}')" -ge 1
check "raia-api logged no warning" bash -c "! grep -q 'level=warn' '$run/api-main.log'"
check "both raia-api stop cleanly on SIGTERM" stop_apis
check "no sanitizer report from raia-api" bash -c "! grep -Eq 'Sanitizer|runtime error' '$run'/api-*.log"
finish
