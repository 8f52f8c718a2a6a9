#!/usr/bin/env bash
# dashboard_test.sh BUILD_DIR - the partner dashboard in headless Chromium
# (Debian's chromium) against a real stack. Three phones report through the
# gateway; 135 more ended sessions of the community report are inserted as
# the gateway role over four days, by USSD and SMS, some stopping part-way
# (so the funnel has drop-offs), one category with 4 answers and 4 people
# who preferred not to give a place (so cells are suppressed). raia-api runs on a private loopback port; Chromium opens
# /dashboard#token=... and dashboard_check.py (stdlib only) reads the DOM it
# dumps: the numbers per day, the funnel and the category and area (region)
# breakdowns (and, for a WG-SS token, the breakdown by the derived variable
# disability) against
# counts it computes from PostgreSQL itself, suppressed cells shown as such
# with no number, and every chart drawn. The screenshot is kept in the run
# folder and copied to BUILD_DIR/test-artifacts/dashboard.png.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" dashboard
source "$src/tests/integration/lib/api_stack.sh"
check_py="$src/tests/integration/dashboard_check.py"

stack_test_cleanup() {
  stop_apis
  return 0
}

check "chromium is installed (scripts/lib/deps.sh)" command -v chromium

# --- data: three phones through the gateway, then seeded sessions ---
for n in 1 2 3; do
  ussd_phone +25670000030$n 1 1 STOP & phones="${phones:-} $!"
done
for p in $phones; do check "phone $p finished" wait "$p"; done
check "the phones' sessions ended in PostgreSQL" wait_until 20 sql_is \
  "SELECT count(*) FROM sessions WHERE outcome = 'stopped'" 3
check "community report registered" wait_until 10 sql_is \
  "SELECT count(*) > 0 FROM flows WHERE flow_id = 'community-report'" t
v=$(sql "SELECT max(flow_version) FROM flows WHERE flow_id = 'community-report'")

# seed "DAYS_AGO CHANNEL OUTCOME DEPTH CATEGORY N ...": N sessions that ended
# DAYS_AGO days ago (UTC noon) and answered the first DEPTH questions of
# category, severity, details, area (a ward, district or region by
# category, or "prefer not to say").
seed() {
  local values="" days ch outcome depth cat n
  while read -r days ch outcome depth cat n; do
    [ -n "$days" ] && values+="${values:+,}($days,'$ch','$outcome',$depth,'$cat',$n)"
  done <<<"$1"
  gw_sql "
    CREATE TEMP TABLE s AS
      SELECT md5('dash' || k) AS id, x.* FROM (
        SELECT c.*, row_number() OVER (ORDER BY days, ch, outcome, depth, cat, g) AS k
        FROM (VALUES $values) AS c(days, ch, outcome, depth, cat, n), generate_series(1, c.n) AS g) x;
    INSERT INTO sessions (session_id, pseudonym, flow_id, flow_version, consent_version, channel,
                          operator, language, started_at, ended_at, outcome, last_seen_at, ttl_s)
      SELECT id, encode(sha256(('dash' || k)::bytea), 'hex'), 'community-report', $v,
             'cr-consent-1', ch, 'operator-a', 'en',
             date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - days * interval '1 day' + interval '11 hours',
             date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - days * interval '1 day' + interval '12 hours',
             outcome, now(), 600 FROM s;
    INSERT INTO answers (stream_id, session_id, question_id, code, value, answered_at)
      SELECT 'dash-c-' || k, id, 'category', cat, initcap(cat), now() FROM s WHERE depth >= 1
      UNION ALL SELECT 'dash-s-' || k, id, 'severity', NULL, (1 + k % 5)::text, now() FROM s WHERE depth >= 2
      UNION ALL SELECT 'dash-d-' || k, id, 'details', NULL, 'tap broken', now() FROM s WHERE depth >= 3
      UNION ALL SELECT 'dash-a-' || k, id, 'area', CASE cat WHEN 'water' THEN 'XR010101'
               WHEN 'clinic' THEN 'XR0201' WHEN 'school' THEN 'XR03' ELSE 'refused' END,
             'Area', now() FROM s WHERE depth >= 4;"
}
seed "3 ussd completed 4 water 25
      3 ussd completed 4 clinic 12
      3 sms completed 4 water 4
      2 ussd abandoned 1 school 12
      2 sms completed 4 school 15
      2 sms stopped 2 clinic 11
      1 ussd timed_out 0 - 3
      1 ussd completed 4 clinic 20
      0 sms completed 4 other 4
      0 ussd abandoned 3 water 29"
check "138 ended sessions" sql_is \
  "SELECT count(*) FROM sessions WHERE outcome IS NOT NULL AND flow_version = $v" 138

# The WG-SS, whose derived variable `disability` (stored by the gateway as
# one more answer when a session completes) the page must offer as a
# breakdown: 35 completed sessions yesterday, 12 with walking 3 (disability
# 1), 23 with every domain 1 or 2 (disability 0).
check "WG-SS registered" wait_until 10 sql_is \
  "SELECT count(*) > 0 FROM flows WHERE flow_id = 'disability-wg-ss'" t
wv=$(sql "SELECT max(flow_version) FROM flows WHERE flow_id = 'disability-wg-ss'")
check "seed 35 WG-SS sessions" gw_sql "
  CREATE TEMP TABLE w AS
    SELECT md5('dashwg' || k) AS id, k, CASE WHEN k <= 12 THEN '3' ELSE '1' END AS walk,
           CASE WHEN k % 2 = 0 THEN '2' ELSE '1' END AS other,
           CASE WHEN k <= 12 THEN '1' ELSE '0' END AS dis FROM generate_series(1, 35) AS k;
  INSERT INTO sessions (session_id, pseudonym, flow_id, flow_version, consent_version, channel,
                        operator, language, started_at, ended_at, outcome, last_seen_at, ttl_s)
    SELECT id, encode(sha256(('dashwg' || k)::bytea), 'hex'), 'disability-wg-ss', $wv,
           'wg-consent-2', 'ussd', 'operator-a', 'en', now() - interval '1 day',
           now() - interval '1 day', 'completed', now(), 600 FROM w;
  INSERT INTO answers (stream_id, session_id, question_id, code, value, answered_at)
    SELECT 'dashwg-' || k || '-' || q, id, q, CASE q WHEN 'walking' THEN walk
           WHEN 'disability' THEN dis ELSE other END, '', now() - interval '1 day'
    FROM w, unnest(ARRAY['seeing', 'hearing', 'walking', 'remembering', 'self_care',
                         'communicating', 'disability']) AS q;"

# --- a partner and raia-api ---
check "partner d: community report" add_partner partner-d --flows community-report
check "partner w: the WG-SS only" add_partner partner-w --flows disability-wg-ss
tok=$(token_of partner-d) tok_w=$(token_of partner-w)
api_login
port=$(raia_free_port)
check "raia-api starts on loopback" start_api main "$port" 600
base="http://127.0.0.1:$port"
check "healthz 200 once tokens are loaded" wait_until 10 bash -c \
  "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $base/healthz)\" = 200 ]"

# --- the static files: no token, strict CSP; data calls still need one ---
http() { curl -sS -o "$run/$1.body" -D "$run/$1.hdr" -w '%{http_code}' "${@:3}" "$base$2"; }
check "GET /dashboard 200 without a token" test "$(http page /dashboard)" = 200
check "the page is HTML" grep -qi '^content-type: text/html' "$run/page.hdr"
check "the page has a Content-Security-Policy" grep -qi "^content-security-policy: default-src 'none'; script-src 'self'" "$run/page.hdr"
check "the chart library is served" test "$(http chart /dashboard/assets/chart.umd.js)" = 200
pinned=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['packages']['node_modules/chart.js']['version'])" \
  "$src/dashboard/package-lock.json")
check "it is the version pinned in package-lock.json ($pinned)" grep -q "Chart.js v$pinned" "$run/chart.body"
check "dashboard.js and .css are served" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $base/dashboard/assets/dashboard.js)\$(curl -s -o /dev/null -w '%{http_code}' $base/dashboard/assets/dashboard.css)\" = 200200 ]"
check "an unknown dashboard file is a JSON 404" test "$(http e-asset /dashboard/assets/nope.js)" = 404
check "a path outside the assets is a 404" test "$(http e-dots /dashboard/assets/..%2Fapi.c)" = 404
check "no query parameters on the page (400)" test "$(http e-query '/dashboard?token=x')" = 400
check "data calls without a token are refused (401)" test "$(http e-timeline /v1/flows/community-report/timeline)" = 401

# --- the page in headless Chromium ---
chromium_run() { # NAME URL [EXTRA ARGS]: DOM in $run/NAME.html, Chromium's log in NAME.log
  local name=$1 url=$2
  shift 2
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$run/chromium-$name" --enable-logging=stderr --v=0 \
    --window-size=1280,2000 --virtual-time-budget=30000 "$@" "$url" \
    >"$run/$name.html" 2>"$run/$name.log"
}
check "Chromium renders the dashboard" chromium_run dom "$base/dashboard#token=$tok" --dump-dom
check "Chromium takes a screenshot" chromium_run shot "$base/dashboard#token=$tok" \
  --screenshot="$run/dashboard.png"
mkdir -p "$build/test-artifacts"
check "screenshot kept as a test artifact" cp "$run/dashboard.png" "$build/test-artifacts/dashboard.png"
check "Chromium without a token: the form, no data" chromium_run notoken "$base/dashboard" --dump-dom
check "Chromium with a token for another flow: no community report" chromium_run other "$base/dashboard#token=$tok_w" --dump-dom
check "revoke partner w" bash -c "'$build/cli/raia' partners revoke --config '$RAIA_CONFIG' partner-w >>'$run/partners.log'"
refused() { [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "$base/v1/flows")" = 401 ]; }
check "the revocation reaches raia-api" wait_until 10 refused "$tok_w"
check "Chromium with the revoked token" chromium_run revoked "$base/dashboard#token=$tok_w" --dump-dom
browser_logs=("$run"/{dom,shot,notoken,other,revoked}.log)
check "no Content-Security-Policy violation in any page" bash -c "! grep -qi 'content security policy' ${browser_logs[*]}"
check "no script error in any page" bash -c "! grep -q 'Uncaught' ${browser_logs[*]}"

# --- what was drawn, against PostgreSQL ---
sql "SELECT (s.ended_at AT TIME ZONE 'UTC')::date, s.channel, count(*) FROM sessions s
     WHERE s.flow_id = 'community-report' AND s.flow_version = $v AND s.outcome IS NOT NULL
     GROUP BY 1, 2" >"$run/pg-days.txt"
sql "SELECT s.session_id, s.channel, s.outcome, coalesce(string_agg(a.question_id, ','), '')
     FROM sessions s LEFT JOIN answers a USING (session_id)
     WHERE s.flow_id = 'community-report' AND s.flow_version = $v AND s.outcome IS NOT NULL
     GROUP BY 1, 2, 3" >"$run/pg-sessions.txt"
sql "SELECT a.code, count(DISTINCT s.session_id) FROM sessions s JOIN answers a USING (session_id)
     WHERE s.flow_id = 'community-report' AND s.flow_version = $v AND s.outcome IS NOT NULL
       AND a.question_id = 'category' GROUP BY 1" >"$run/pg-category.txt"
sql "SELECT a.code FROM sessions s JOIN answers a USING (session_id)
     WHERE s.flow_id = 'community-report' AND s.flow_version = $v AND s.outcome IS NOT NULL
       AND a.question_id = 'area'" >"$run/pg-area.txt"
check "the DOM: numbers per day, funnel, breakdowns, suppression, charts drawn" \
  env TOKEN="$tok" AREAS="$src/config/flows/admin-areas.csv" python3 "$check_py" dom "$run/dom.html" "$run" community-report
check "the page without a token shows the form and no flow" python3 "$check_py" notoken "$run/notoken.html"
sql "SELECT a.code, count(DISTINCT s.session_id) FROM sessions s JOIN answers a USING (session_id)
     WHERE s.flow_id = 'disability-wg-ss' AND s.flow_version = $wv AND s.outcome IS NOT NULL
       AND a.question_id = 'disability' GROUP BY 1" >"$run/pg-disability.txt"
check "another flow's token: no community report, the WG-SS by disability (derived)" \
  python3 "$check_py" other "$run/other.html" "$run"
check "a revoked token: the page says so" python3 "$check_py" revoked "$run/revoked.html"
check "the screenshot shows the charts" python3 "$check_py" screenshot "$run/dashboard.png"
check "the token never reached raia-api's log" bash -c "! grep -q -- '$tok' '$run/api-main.log'"
check "every data call of the page was audited" sql_is \
  "SELECT string_agg(DISTINCT action, ',' ORDER BY action) FROM audit_log WHERE actor = 'partner-d'" \
  "api_funnel,api_tables,api_timeline"
check "raia-api logged no warning" bash -c "! grep -q 'level=warn' '$run/api-main.log'"
check "raia-api stops cleanly on SIGTERM" stop_apis
check "no sanitizer report from raia-api" bash -c "! grep -Eq 'Sanitizer|runtime error' '$run'/api-*.log"
echo "screenshot: $build/test-artifacts/dashboard.png"
finish
