#!/usr/bin/env bash
# export_test.sh BUILD_DIR - `raia export` against a real stack: six phones
# play the community report (one refuses consent, one sends STOP at the
# severity question), then the CLI exports the data as CSV, JSON Lines (with
# free text), the long layout and a Frictionless Data Package, running as
# the gateway role. An independent checker (Python stdlib only) reads the
# files: one row per consented session, the codes each person gave, no
# pseudonym or phone number anywhere, dates without a time, a Table Schema
# whose fields match the CSV and whose constraints hold for every cell, a
# codebook that lists every question with its text; and one audit_log row
# per export. Then a seeded survey (sex, age, a decimal, free text; rows
# written straight into PostgreSQL) is exported as SPSS .sav, Stata .dta,
# CSV and a data package, and export_stat_check.py reads them with PSPP,
# pandas and xml.etree: values, labels and missing codes against
# PostgreSQL, age bands, the DDI Codebook, the package metadata. The
# k-anonymity refusal, bad privacy options and an interrupted export
# (restarted cleanly) are checked here. --location exports the community
# report's area at district level (csv, long, data package, sav, dta), a
# seeded two-level flow shows the k refusal at the finer level and an
# answer kept at its coarser level, and export_location_check.py reads
# them. Last, six phones answer the WG-SS,
# whose derived variable `disability` must be a column of every format.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" export

# Inputs: consent, category, severity, details, area (region, district, ward).
ussd_phone +256700000101 1 1 4 "Borehole pump broken" 1 1 1 & p1=$!
ussd_phone +256700000102 1 2 5 "No nurse since June" 1 1 2 & p2=$!
ussd_phone +256700000103 1 3 2 "Roof leaks in class 4" 1 2 1 & p3=$!
ussd_phone +256700000104 2 & p4=$!                                         # refuses consent
ussd_phone +256700000105 1 4 1 'Road to "market", flooded' 1 1 1 & p5=$! # CSV quoting
ussd_phone +256700000106 1 1 STOP & p6=$!                          # stops at severity
for p in $p1 $p2 $p3 $p4 $p5 $p6; do
  check "phone $p finished its session" wait "$p"
done
check "answers and ended sessions reached PostgreSQL" wait_rows 17 5

raia=$build/cli/raia
registered() { test "$(sql "SELECT count(*) FROM flows WHERE flow_id = 'community-report'")" = 1; }
check "flows registry holds the community report" wait_until 10 registered
out=$run/out
mkdir "$out"
# Five sessions cannot be 5-anonymous on the area (a key variable): --k 1
# switches the check off for these; the refusal is checked below.
export_ok() { "$raia" export --config "$RAIA_CONFIG" --flow community-report --k 1 "$@" >>"$run/export.log" 2>&1; }
check "export csv (wide, no free text)" export_ok --format csv --out "$out/csv"
check "export jsonl with free text" export_ok --format jsonl --free-text --out "$out/jsonl"
check "export long csv" export_ok --format csv --long --out "$out/long"
check "export datapackage, version given" export_ok --format datapackage --version 2 --out "$out/dp"
check "export since tomorrow" export_ok --since "$(date -u -d tomorrow +%F)" --out "$out/later"
runs=5

status() { set +e; "$@" >>"$run/export.log" 2>&1; echo $?; set -e; }
check "unknown flow: exit 1" test "$(status "$raia" export --config "$RAIA_CONFIG" --flow nope --out "$out/x")" = 1
check "unknown version: exit 1" test "$(status "$raia" export --config "$RAIA_CONFIG" --flow community-report --version 9 --out "$out/x")" = 1
check "bad format: usage, exit 2" test "$(status "$raia" export --config "$RAIA_CONFIG" --flow community-report --format xls --out "$out/x")" = 2
check "bad date: usage, exit 2" test "$(status "$raia" export --config "$RAIA_CONFIG" --flow community-report --since 2024-02-30 --out "$out/x")" = 2
check "missing --out: usage, exit 2" test "$(status "$raia" export --config "$RAIA_CONFIG" --flow community-report)" = 2
check "default k = 5 on the area: refused, exit 1" test "$(status "$raia" export --config "$RAIA_CONFIG" --flow community-report --out "$out/x")" = 1
check "failed exports wrote nothing" test ! -e "$out/x"

check "one audit row per export, counts only" test "$(sql "
  SELECT count(*) || '/' || sum((detail->>'rows')::int) FROM audit_log WHERE action = 'export'
     AND detail->>'flow' = 'community-report' AND detail ? 'free_text' AND detail ? 'format'")" = "$runs/28"
check "audit records the free-text export" test "$(sql "
  SELECT count(*) FROM audit_log WHERE action = 'export' AND (detail->>'free_text')::bool")" = 1

# No pseudonym and no phone number in any form in any exported file.
check "five exports on disk (control)" test "$(find "$out" -name 'codebook.json' | wc -l)" = 5
for n in 01 02 03 04 05 06; do
  p=$(pseud +2567000001$n)
  check "no pseudonym of phone $n in the exports" bash -c "! grep -rq '$p' '$out'"
  for form in "2567000001$n" "07000001$n" "7000001$n"; do
    check "no $form in the exports" bash -c "! grep -rq '$form' '$out'"
  done
done
check "no part files left" bash -c "! find '$out' -name '*.part' | grep -q ."
for d in csv jsonl long dp later; do
  check "codebook.ddi.xml of $d is well-formed XML" python3 -c \
    "import sys, xml.etree.ElementTree as E; sys.exit(E.parse(sys.argv[1]).getroot().tag != '{ddi:codebook:2_5}codeBook')" \
    "$out/$d/codebook.ddi.xml"
done

sql "SELECT definition FROM flows WHERE flow_id = 'community-report'" >"$run/registry.txt"
check "independent checks of the files" python3 - "$out" "$src/config/flows/community-report.yaml" \
  "$(sql "SELECT flow_checksum FROM flows WHERE flow_id = 'community-report'")" "$run/registry.txt" <<'PY'
import csv, json, os, re, sys
out, flow_file, registry_sum = sys.argv[1], sys.argv[2], sys.argv[3]
registry_def = open(sys.argv[4], encoding="utf-8").read()
fails = 0
def ok(what, cond):
    global fails
    print(("ok   " if cond else "FAIL ") + "  " + what)
    fails += 0 if cond else 1
def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
day = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# What the phones sent: details -> (category, severity, outcome).
given = {"Borehole pump broken": ("water", "4"), "No nurse since June": ("clinic", "5"),
         "Roof leaks in class 4": ("school", "2"), 'Road to "market", flooded': ("other", "1")}
expected = sorted([c + (o,) for c, o in zip(given.values(), ["completed"] * 4)] + [("water", "", "stopped")])

wide = rows(os.path.join(out, "csv/responses.csv"))
ok("csv: one row per consented session (5)", len(wide) == 5)
ok("csv: header", list(wide[0].keys()) == ["response", "respondent", "flow_version", "language",
   "channel", "operator", "started_on", "outcome", "category", "severity", "area"])
ok("csv: areas coarsened to the region", sorted(r["area"] for r in wide) == ["", "XR01", "XR01", "XR01", "XR01"])
cb_csv = json.load(open(os.path.join(out, "csv/codebook.json"), encoding="utf-8"))
ok("csv: area codes are known codes", cb_csv["fieldwork"]["codes_not_in_flow"] == 0)
ok("csv: codes per session", sorted((r["category"], r["severity"], r["outcome"]) for r in wide) == expected)
ok("csv: respondents distinct, not pseudonyms",
   len({r["respondent"] for r in wide}) == 5 and all(re.fullmatch(r"[0-9a-f]{16}", r["respondent"]) for r in wide))
ok("csv: dates are days", all(day.match(r["started_on"]) for r in wide))
ok("csv: session fields", all(r["flow_version"] == "2" and r["language"] == "en" and r["channel"] == "ussd"
   and r["operator"] == "operator-a" for r in wide))
ok("csv: codebook.json written", os.path.exists(os.path.join(out, "csv/codebook.json")))

js = [json.loads(l) for l in open(os.path.join(out, "jsonl/responses.jsonl"), encoding="utf-8")]
ok("jsonl: five objects", len(js) == 5)
by_text = {o["details"]: o for o in js if o["details"] is not None}
ok("jsonl: each person's codes match their report",
   set(by_text) == set(given) and all((by_text[t]["category"], str(by_text[t]["severity"])) == given[t] for t in given))
stopped = [o for o in js if o["details"] is None]
ok("jsonl: the STOP session has its category only",
   len(stopped) == 1 and stopped[0]["category"] == "water" and stopped[0]["severity"] is None
   and stopped[0]["outcome"] == "stopped")
ok("jsonl: numbers are numbers", all(isinstance(o["severity"], int) for o in by_text.values()))
ok("jsonl: other export's ids differ", not ({o["respondent"] for o in js} & {r["respondent"] for r in wide}))

long = rows(os.path.join(out, "long/answers.csv"))
ok("long: one row per non-free-text answer (13)", len(long) == 13)
ok("long: no free text", all(r["question"] in ("category", "severity", "area") for r in long))
ok("long: areas are regions, named", {(r["code"], r["value"]) for r in long if r["question"] == "area"} == {("XR01", "Ziwani")})
ok("long: one respondent per response",
   all(len({r["respondent"] for r in long if r["response"] == k}) == 1 for k in {r["response"] for r in long}))
ok("long: dates are days", all(day.match(r["answered_on"]) for r in long))

dp = json.load(open(os.path.join(out, "dp/datapackage.json"), encoding="utf-8"))
res = dp["resources"][0]
data = rows(os.path.join(out, "dp", res["path"]))
with open(os.path.join(out, "dp", res["path"]), newline="", encoding="utf-8") as f:
    header = next(csv.reader(f))
fields = res["schema"]["fields"]
ok("datapackage: name, title, created", all(dp.get(k) for k in ("name", "title", "created")))
ok("datapackage: field names match the CSV header", [f["name"] for f in fields] == header)
ok("datapackage: every field has a type and a description", all(f.get("type") and f.get("description") for f in fields))
ok("datapackage: missingValues", res["schema"]["missingValues"] == [""])
def cell_ok(f, v):
    if v == "":
        return True
    c, t = f.get("constraints", {}), f["type"]
    try:
        x = int(v) if t == "integer" else float(v) if t == "number" else v
    except ValueError:
        return False
    if t == "date" and not day.match(v): return False
    if "enum" in c and v not in c["enum"]: return False
    if "pattern" in c and not re.fullmatch(c["pattern"], v): return False
    if "minimum" in c and x < c["minimum"]: return False
    if "maximum" in c and x > c["maximum"]: return False
    if "maxLength" in c and len(v) > c["maxLength"]: return False
    return True
bad = [(f["name"], r[f["name"]]) for r in data for f in fields if not cell_ok(f, r[f["name"]])]
ok("datapackage: every cell meets its field's type and constraints %s" % bad[:3], not bad and len(data) == 5)
cat = next(f for f in fields if f["name"] == "category")
ok("datapackage: category enum has every code", cat["constraints"]["enum"] == ["water", "clinic", "school", "other"])
ok("datapackage: question text in the description", cat["description"].startswith("Which service has a problem?"))

flow_texts = re.findall(r'^\s+text: "(.*)"$', open(flow_file, encoding="utf-8").read(), re.M)
md = open(os.path.join(out, "dp/codebook.md"), encoding="utf-8").read()
cb = json.load(open(os.path.join(out, "dp/codebook.json"), encoding="utf-8"))
ok("codebook.md: every question id and text", all("`%s`" % q in md for q in ("category", "severity", "details"))
   and len(flow_texts) == 3 and all(t in md for t in flow_texts))
ok("codebook.md: labels, checksum, consent version, fieldwork",
   "Water point" in md and cb["flow"]["checksum"] in md and "cr-consent-1" in md and "Fieldwork" in md)
ok("codebook.json: every question with its text",
   [q["id"] for q in cb["questions"]] == ["category", "severity", "details", "area"]
   and [q["text"]["en"] for q in cb["questions"][:3]] == flow_texts)
ok("codebook.json: details marked as left out", [q["exported"] for q in cb["questions"]] == [True, True, False, True])
ok("codebook.json: counts", cb["export"]["rows"] == 5 and cb["fieldwork"]["channels"] == {"ussd": 5}
   and cb["fieldwork"]["consent_versions"] == {"cr-consent-1": 5}
   and day.match(cb["fieldwork"]["first_started_on"]) and cb["fieldwork"]["outcomes"] == {"completed": 4, "stopped": 1})
ok("codebook.json: checksum is the registry's, whose definition is the shipped file",
   cb["flow"]["checksum"] == registry_sum and registry_def.startswith(open(flow_file, encoding="utf-8").read()))
later = rows(os.path.join(out, "later/responses.csv"))
ok("--since tomorrow: no rows", later == [])
sys.exit(1 if fails else 0)
PY

# ---- --location: a finer level of the area tree ----
# The phones answered wards XR010101 (twice), XR010102 and XR010201: at
# level 2 these are districts XR0101 (Bondeni) three times and XR0102
# (Kisiwani) once, where the default shows region XR01 (Ziwani).
check "export at level 2 (number), csv" export_ok --location area=2 --out "$out/loc-csv"
check "export at level district (id), long" export_ok --location area=district --long --out "$out/loc-long"
check "export at level 2, data package" export_ok --location area=2 --format datapackage --out "$out/loc-dp"
check "export at level 2, sav" export_ok --location area=2 --format sav --out "$out/loc-sav"
check "export at level 2, dta" export_ok --location area=district --format dta --out "$out/loc-dta"
check "export at the default level, dta" export_ok --format dta --out "$out/loc-dta1"
check "audit rows state the level used (5 at district, 6 at region)" sql_is "
  SELECT count(*) FILTER (WHERE l->>'id' = 'district' AND l->>'level' = '2' AND (l->>'asked')::bool)
         || '/' || count(*) FILTER (WHERE l->>'id' = 'region' AND NOT (l->>'asked')::bool)
    FROM (SELECT detail->'location_levels'->'area' AS l FROM audit_log
           WHERE action = 'export' AND detail->>'flow' = 'community-report') AS a" "5/6"
loc_status() { set +e; "$raia" export --config "$RAIA_CONFIG" --flow community-report --k 1 "$@" \
                 >>"$run/export.log" 2>"$run/loc.err"; echo $?; set -e; }
bad_location() { # WHAT OPTION MESSAGE
  check "--location $2: exit 2" test "$(loc_status --location "$2" --out "$out/loc-x")" = 2
  check "--location $2: says $1" grep -qF "raia export: $3" "$run/loc.err"
}
bad_location "the step is unknown" nope=2 "--location nope: no question 'nope' in this flow"
bad_location "it is not a location" category=2 "--location category: not a location question of this flow (a choice question)"
bad_location "the level is too deep" area=4 "--location area=4: area has no level '4' (its levels: 1 region, 2 district, 3 ward)"
bad_location "level 0 does not exist" area=0 "--location area=0: area has no level '0'"
bad_location "the level name is unknown" area=village "--location area=village: area has no level 'village'"
bad_location "the form" area "--location takes STEP=LEVEL"
check "bad --location values wrote nothing" test ! -e "$out/loc-x"

# A seeded flow with a two-level location (province, district) and one
# answer recorded at province level: k = 5 holds on provinces (7 and 5
# sessions), not on districts (6, 1, 4, and 1 kept at its province).
mkdir "$run/places"
cat >"$run/places/places.csv" <<'CSV'
code,parent,level,name,name_fr
N,,province,North,Nord
S,,province,South,Sud
N1,N,district,Hill,Colline
N2,N,district,Lake,Lac
S1,S,district,Coast,Cote
S2,S,district,Plain,Plaine
CSV
cat >"$run/places/places.yaml" <<'YAML'
id: export-places
version: 1
title: Export places
languages: [en, fr]
language_names: { en: English, fr: Francais }
channels:
  ussd: "*384*98#"
max_retries: 2
prefer_not_to_say: { en: "Prefer not to say", fr: "Sans reponse" }
labels:
  back: { en: "Back", fr: "Retour" }
consent:
  version: ep-consent-1
  text: { en: "Where do you live? Voluntary.", fr: "Ou vivez-vous ? Volontaire." }
  accept: { en: "I agree", fr: "J'accepte" }
  decline: { en: "No", fr: "Non" }
  declined: { en: "Thank you.", fr: "Merci." }
steps:
  - id: place
    type: location
    optional: true
    areas: places.csv
    levels:
      - { id: province, text: { en: "Which province?", fr: "Quelle province ?" } }
      - { id: district, text: { en: "Which district?", fr: "Quel district ?" } }
messages:
  invalid: { en: "Not valid.", fr: "Non valide." }
  abandoned: { en: "Sorry.", fr: "Desole." }
  stopped: { en: "Stopped.", fr: "Arrete." }
end: { en: "Thank you.", fr: "Merci." }
YAML
check "the places flow passes raia flows check" "$raia" flows check "$run/places/places.yaml"
{ cat "$run/places/places.yaml"; printf '\n#--- areas: places.csv\n'; cat "$run/places/places.csv"; } >"$run/places/definition"
seed_places() {
  psql -X -q -v ON_ERROR_STOP=1 "$RAIA_PG_CONNINFO" -v def="$(cat "$run/places/definition")" \
    -v sum="$(sha256sum "$run/places/definition" | cut -c1-64)" <<'SQL'
INSERT INTO flows VALUES ('export-places', 1, :'sum', 'Export places', :'def', now());
CREATE TEMP TABLE seed (i int, place text);
INSERT INTO seed SELECT i, CASE WHEN i <= 6 THEN 'N1' WHEN i = 7 THEN 'N2' WHEN i <= 11 THEN 'S1'
                                ELSE 'S' END FROM generate_series(1, 12) AS i;
INSERT INTO sessions (session_id, pseudonym, flow_id, flow_version, flow_checksum, consent_version,
                      channel, operator, language, started_at, ended_at, last_seen_at, outcome)
SELECT md5('ep' || i), encode(sha256(('ep' || i)::bytea), 'hex'), 'export-places', 1, :'sum',
       'ep-consent-1', 'ussd', 'operator-a', 'en', timestamptz '2026-04-01 10:00:00+00' + i * interval '1 min',
       timestamptz '2026-04-01 10:02:00+00' + i * interval '1 min',
       timestamptz '2026-04-01 10:02:00+00' + i * interval '1 min', 'completed'
FROM seed;
INSERT INTO answers (stream_id, session_id, question_id, code, value, answered_at)
SELECT 'ep-' || i, md5('ep' || i), 'place', place, place, timestamptz '2026-04-01 10:01:00+00'
FROM seed;
SQL
}
check "seed 12 sessions of the places flow" seed_places
places() { set +e; "$raia" export --config "$RAIA_CONFIG" --flow export-places "$@" \
             >>"$run/export.log" 2>"$run/places.err"; echo $?; set -e; }
check "places: k = 5 holds at the default level (provinces)" test "$(places --format dta --out "$out/pl-1")" = 0
check "places: k = 5 at level 2 (districts): refused, exit 1" test "$(places --location place=2 --out "$out/pl-x")" = 1
check "places: the refusal lists the small districts" bash -c "
  grep -q '^  place=N2: 1 session\$' '$run/places.err' && grep -q '^  place=S1: 4 sessions\$' '$run/places.err' &&
  grep -q '^  place=S: 1 session\$' '$run/places.err' && ! grep -q 'place=N1:' '$run/places.err'"
check "places: the refusal suggests a coarser level" grep -q -- "--location" "$run/places.err"
check "places: the refused export wrote nothing" test ! -e "$out/pl-x"
check "places: level 2 with k = 1, data package" test "$(places --location place=district --k 1 --format datapackage --out "$out/pl-dp")" = 0
check "places: it reports the answer kept at its province" grep -q \
  "Not coarsened: place at level 2 of 2 (district, --location); an answer recorded at a coarser level keeps its own code (1 session)" "$run/places.err"
check "places: level 2 with k = 1, dta" test "$(places --location place=2 --k 1 --format dta --out "$out/pl-dta")" = 0
check "places: level 2 with k = 1, sav" test "$(places --location place=2 --k 1 --format sav --out "$out/pl-sav")" = 0
check "independent checks of the location levels" /usr/bin/python3 "$src/tests/integration/export_location_check.py" "$out"

# ---- the seeded survey: sav, dta, DDI, banding, k-anonymity, restarts ----
cat >"$run/survey.yaml" <<'YAML'
id: export-survey
version: 1
title: "Export survey <test> & checks"
adaptations:
  - "Age asked in whole years & banded <for tests>"
languages: [en, fr]
language_names: { en: English, fr: Francais }
channels:
  ussd: "*384*99#"
  sms: { short_code: "15099", keyword: SURVEY }
max_retries: 2
prefer_not_to_say: { en: "Prefer not to say", fr: "Sans reponse" }
consent:
  version: es-consent-2
  text:
    en: "A short survey. Voluntary & anonymous. Send STOP to quit."
    fr: "Enquete courte. Anonyme. STOP pour quitter."
  accept: { en: "I agree", fr: "J'accepte" }
  decline: { en: "No", fr: "Non" }
  declined: { en: "Thank you.", fr: "Merci." }
steps:
  - id: sex
    type: choice
    optional: true
    text: { en: "What is your sex?", fr: "Quel est votre sexe ?" }
    choices:
      - { code: female, label: { en: "Female", fr: "Femme" } }
      - { code: male, label: { en: "Male", fr: "Homme" } }
  - id: age
    type: number
    optional: true
    text: { en: "How old are you?", fr: "Quel age avez-vous ?" }
    min: 15
    max: 99
  - id: score
    type: decimal
    decimals: 1
    text: { en: "Rate the service, 0 to 10", fr: "Notez le service, 0 à 10" }
    min: 0
    max: 10
  - id: note
    type: text
    max_length: 100
    text: { en: "Any comment? (<100 letters & no names)", fr: "Un commentaire ? (<100 lettres)" }
messages:
  invalid: { en: "Not valid.", fr: "Non valide." }
  abandoned: { en: "Sorry.", fr: "Désolé." }
  stopped: { en: "Stopped.", fr: "Arrêté." }
end: { en: "Thank you.", fr: "Merci." }
YAML
check "the seeded survey passes raia flows check" "$raia" flows check "$run/survey.yaml"
# 21 sessions: key combinations (sex, age band) of 6, 5, 5 and 5 sessions.
seed() {
  psql -X -q -v ON_ERROR_STOP=1 "$RAIA_PG_CONNINFO" -v def="$(cat "$run/survey.yaml")" \
    -v sum="$(sha256sum "$run/survey.yaml" | cut -c1-64)" <<'SQL'
INSERT INTO flows VALUES ('export-survey', 1, :'sum', 'Export survey', :'def', now());
CREATE TEMP TABLE seed (i int, sex text, age text, score text, note text, lang text, channel text,
                        outcome text);
INSERT INTO seed VALUES
 (1, 'female', '31', '7.5', 'Pump & "tap" <broken>', 'en', 'ussd', 'completed'),
 (2, 'female', '32', '8', 'ok', 'fr', 'sms', 'completed'),
 (3, 'female', '33', '6.5', 'fine, thanks', 'en', 'ussd', 'completed'),
 (4, 'female', '34', NULL, NULL, 'en', 'ussd', 'stopped'),
 (5, 'female', '35', NULL, NULL, 'fr', 'ussd', 'stopped'),
 (6, 'female', '36', '9', 'good', 'en', 'sms', 'completed'),
 (7, 'male', '41', '5', 'x', 'fr', 'ussd', 'completed'),
 (8, 'male', '42', '4.5', 'y', 'en', 'ussd', 'completed'),
 (9, 'male', '43', '3', 'z', 'en', 'ussd', 'completed'),
 (10, 'male', '44', '2', 'w', 'en', 'sms', 'completed'),
 (11, 'male', '45', '1', 'v', 'fr', 'ussd', 'completed'),
 (12, 'refused', '21', '10', 'a', 'en', 'ussd', 'completed'),
 (13, 'refused', '22', '0', 'b', 'en', 'ussd', 'completed'),
 (14, 'refused', '23', '5.5', 'c', 'fr', 'ussd', 'completed'),
 (15, 'refused', '24', '6', 'd', 'en', 'ussd', 'completed'),
 (16, 'refused', '25', '7', 'e', 'en', 'sms', 'completed'),
 (17, 'male', 'refused', '5', 'n1', 'en', 'ussd', 'completed'),
 (18, 'male', 'refused', '5', 'n2', 'en', 'ussd', 'completed'),
 (19, 'male', 'refused', '5', 'n3', 'fr', 'ussd', 'completed'),
 (20, 'male', 'refused', '5', 'n4', 'en', 'ussd', 'completed'),
 (21, 'male', 'refused', '5', 'n5', 'en', 'ussd', 'completed');
INSERT INTO sessions (session_id, pseudonym, flow_id, flow_version, flow_checksum, consent_version,
                      channel, operator, language, started_at, ended_at, last_seen_at, outcome)
SELECT md5('es' || i), encode(sha256(('es' || i)::bytea), 'hex'), 'export-survey', 1, :'sum',
       'es-consent-2', channel, 'operator-a', lang,
       timestamptz '2026-03-02 14:23:11+00' + (i % 8) * interval '1 day' + i * interval '1 min',
       timestamptz '2026-03-02 14:25:00+00' + (i % 8) * interval '1 day' + i * interval '1 min',
       timestamptz '2026-03-02 14:25:00+00' + (i % 8) * interval '1 day' + i * interval '1 min',
       outcome
FROM seed;
INSERT INTO answers (stream_id, session_id, question_id, code, value, answered_at)
SELECT 'es-' || i || '-' || q, md5('es' || i), q,
       CASE WHEN q = 'sex' THEN v WHEN v = 'refused' THEN 'refused' END,
       CASE WHEN v = 'refused' THEN '' WHEN q = 'sex' THEN initcap(v) ELSE v END,
       timestamptz '2026-03-02 14:24:00+00' + (i % 8) * interval '1 day'
FROM seed, LATERAL (VALUES (1, 'sex', sex), (2, 'age', age), (3, 'score', score), (4, 'note', note))
     AS x(n, q, v)
WHERE v IS NOT NULL ORDER BY i, n;
SQL
}
check "seed 21 sessions of the survey" seed
sql "SELECT max(CASE WHEN question_id = 'sex' THEN coalesce(code, value) END),
            coalesce(max(CASE WHEN question_id = 'age' THEN coalesce(code, value) END), ''),
            coalesce(max(CASE WHEN question_id = 'score' THEN value END), ''),
            coalesce(max(CASE WHEN question_id = 'note' THEN value END), ''),
            (s.started_at AT TIME ZONE 'UTC')::date, s.channel, s.language, s.outcome
     FROM sessions s JOIN answers a USING (session_id) WHERE s.flow_id = 'export-survey'
     GROUP BY s.session_id, s.started_at, s.channel, s.language, s.outcome" >"$run/expected.txt"

survey() { "$raia" export --config "$RAIA_CONFIG" --flow export-survey "$@"; }
survey_ok() { survey "$@" >>"$run/export.log" 2>>"$run/survey.err"; }
check "export the survey as SPSS .sav" survey_ok --format sav --free-text --out "$out/sav"
check "export the survey as Stata .dta" survey_ok --format dta --free-text --out "$out/dta"
check "export the survey as CSV (defaults)" survey_ok --out "$out/scsv"
check "export the survey as a data package" survey_ok --format datapackage --out "$out/sdp"
check "export with exact ages, sex as the only key" survey_ok --band age=1 --key-vars sex --out "$out/exact"
check "stderr reports banding and k-anonymity" grep -q "raia export: Banded: age in 10-wide groups" "$run/survey.err"
check "stderr reports the free text left out" grep -q "raia export: Free text left out: note" "$run/survey.err"
check "independent checks of sav, dta, DDI, bands, metadata" \
  /usr/bin/python3 "$src/tests/integration/export_stat_check.py" "$out" "$run/expected.txt"

refused() { set +e; survey "$@" >>"$run/export.log" 2>"$run/refused.err"; echo $?; set -e; }
check "k = 6: refused, exit 1" test "$(refused --k 6 --out "$out/k6")" = 1
check "k = 6: three combinations listed with their counts" test "$(grep -c ': 5 sessions$' "$run/refused.err")" = 3
check "k = 6: the combination that passes is not listed" bash -c "! grep -q 'sex=female, age=30-39' '$run/refused.err'"
check "k = 6: nothing written" test ! -e "$out/k6"
check "5-year age bands: refused, exit 1" test "$(refused --band age=5 --out "$out/b5")" = 1
check "5-year bands: the combination of 1 is listed" grep -q "sex=male, age=45-49: 1 session$" "$run/refused.err"
check "5-year bands: nothing written" test ! -e "$out/b5"
check "unknown key variable: exit 2" test "$(refused --key-vars sex,nope --out "$out/x2")" = 2
check "free text as key variable: exit 2" test "$(refused --key-vars note --out "$out/x2")" = 2
check "band on a decimal: exit 2" test "$(refused --band score=10 --out "$out/x2")" = 2
check "--long with sav: exit 2" test "$(refused --long --format sav --out "$out/x2")" = 2
check "bad options wrote nothing" test ! -e "$out/x2"

# An export interrupted after its data file (simulated: the codebook cannot
# be written) leaves nothing that looks finished; the same command again
# removes the leftovers and completes.
mkdir -p "$out/resume/.codebook.md.part"
echo "half a file" >"$out/resume/.responses.csv.part"
check "interrupted export: exit 1" test "$(refused --out "$out/resume")" = 1
check "interrupted export: no finished-looking file" \
  bash -c "! ls '$out/resume' | grep -q ."
check "interrupted export: no unfinished file left" bash -c "! find '$out/resume' -type f | grep -q ."
rmdir "$out/resume/.codebook.md.part"
echo "half a file" >"$out/resume/.responses.csv.part"
check "the same command again: done" survey_ok --out "$out/resume"
check "it said it removed the leftover" grep -q "removed 1 unfinished file of an earlier run" "$run/survey.err"
check "restarted export: complete files, no part file" bash -c "
  test \$(wc -l <'$out/resume/responses.csv') = 22 && test -s '$out/resume/codebook.ddi.xml' &&
  ! find '$out/resume' -name '*.part' | grep -q ."
check "audit rows of the survey exports record k" \
  sql_is "SELECT count(*) FROM audit_log WHERE action = 'export' AND detail->>'flow' = 'export-survey'
            AND (detail->>'k')::int >= 5" 6

# --partner: within a partner token's scope, ids as raia-api gives that partner.
partner() { "$raia" partners add --config "$RAIA_CONFIG" "$@" >>"$run/partners.log" 2>&1; }
check "partner ngo-a created" partner ngo-a --flows community-report
check "partner nso-b created" partner nso-b --flows community-report --scope stable-pseudonym
check "partner other created" partner other --flows disability-wg-ss
for p in ngo-a nso-b; do
  for n in 1 2; do export_ok --partner "$p" --format csv --out "$out/$p-$n"; done
done
ids() { /usr/bin/python3 -c 'import csv,sys; print(" ".join(sorted(r["respondent"] for r in csv.DictReader(open(sys.argv[1])))))' "$1"; }
check "a partner's exports repeat its ids" test "$(ids "$out/ngo-a-1/responses.csv")" = "$(ids "$out/ngo-a-2/responses.csv")"
check "which differ from a plain export's" bash -c "test '$(ids "$out/ngo-a-1/responses.csv")' != '$(ids "$out/csv/responses.csv")'"
check "a stable-pseudonym partner gets the pseudonyms" test "$(ids "$out/nso-b-1/responses.csv")" = \
  "$(sql "SELECT string_agg(pseudonym, ' ' ORDER BY pseudonym) FROM sessions WHERE flow_id = 'community-report' AND outcome IS NOT NULL")"
check "the codebook says whose ids they are" grep -q '"respondent_ids":"per partner"' "$out/ngo-a-1/codebook.json"
check "a partner outside its flows: exit 1" test "$(status "$raia" export --config "$RAIA_CONFIG" --flow community-report --partner other --out "$out/x")" = 1
check "an unknown partner: exit 1" test "$(status "$raia" export --config "$RAIA_CONFIG" --flow community-report --partner nobody --out "$out/x")" = 1
check "partner exports audited with the partner" \
  sql_is "SELECT count(*) FROM audit_log WHERE action = 'export' AND detail->>'partner' = 'nso-b'
            AND detail->>'respondent_ids' = 'stable pseudonym'" 2

# ---- a derived variable: the WG-SS disability identifier ----
# Six phones answer the WG-SS through the gateway (language, consent, the
# six domains), which stores `disability` (any domain 3 or 4) as one more
# answer when a session completes; one stops after two domains (nothing
# derived). Every format carries it as a column after the questions, with
# its labels and rule; export_derived_check.py reads the files (PSPP,
# pandas, csv, json, xml.etree) against PostgreSQL.
wg_phone() { # MSISDN INPUT...
  local msisdn=$1 a args=()
  shift
  for a in "$@"; do args+=(--input "$a"); done
  "$build/simulators/raia-phone" --sim "127.0.0.1:$RAIA_SIM_CONTROL" --msisdn "$msisdn" \
    --dial '*384*13#' --timeout 20 "${args[@]}" >"$run/phone$msisdn.txt" 2>&1
}
wg_phone +256700000111 1 1 1 1 3 1 1 1 & w1=$! # walking: a lot of difficulty
wg_phone +256700000112 1 1 1 2 1 2 1 1 & w2=$! # some difficulty only
wg_phone +256700000113 1 1 4 1 1 1 1 1 & w3=$! # seeing: cannot do at all
wg_phone +256700000114 1 1 2 2 2 2 2 2 & w4=$!
wg_phone +256700000115 1 1 1 1 STOP & w5=$!    # stops: no disability row
wg_phone +256700000116 1 1 1 1 1 1 2 4 & w6=$! # communicating: cannot do at all
for p in $w1 $w2 $w3 $w4 $w5 $w6; do
  check "WG-SS phone $p finished its session" wait "$p"
done
wg_rows() { sql_is "SELECT count(*) || '/' || count(DISTINCT s.session_id) FILTER (WHERE s.outcome IS NOT NULL)
                    FROM sessions s JOIN answers a USING (session_id) WHERE s.flow_id = 'disability-wg-ss'" "37/6"; }
check "WG-SS: 5 x (6 domains + disability) + 2 answers, 6 ended sessions" wait_until 20 wg_rows
check "the gateway stored disability for the five completed sessions" sql_is \
  "SELECT string_agg(a.code, '' ORDER BY a.code) FROM answers a JOIN sessions s USING (session_id)
   WHERE s.flow_id = 'disability-wg-ss' AND a.question_id = 'disability'" "00111"
wg() { "$raia" export --config "$RAIA_CONFIG" --flow disability-wg-ss "$@"; }
wg_ok() { wg "$@" >>"$run/export.log" 2>>"$run/wg.err"; }
check "WG-SS csv" wg_ok --k 1 --out "$out/wg-csv"
check "WG-SS jsonl" wg_ok --k 1 --format jsonl --out "$out/wg-jsonl"
check "WG-SS long" wg_ok --k 1 --long --out "$out/wg-long"
check "WG-SS data package" wg_ok --k 1 --format datapackage --out "$out/wg-dp"
check "WG-SS sav" wg_ok --k 1 --format sav --out "$out/wg-sav"
check "WG-SS dta" wg_ok --k 1 --format dta --out "$out/wg-dta"
check "WG-SS for partner other (its flow)" wg_ok --k 1 --partner other --out "$out/wg-other"
check "WG-SS for partner ngo-a (not its flow): exit 1" test "$(status wg --k 1 --partner ngo-a --out "$out/wg-x")" = 1
# disability is a default key variable (a derived variable named like one):
# 3 sessions with 1, 2 with 0, 1 not computed; k = 5 refuses, listing them.
wg_refused() { set +e; wg "$@" >>"$run/export.log" 2>"$run/wg-refused.err"; echo $?; set -e; }
check "WG-SS, default k = 5 on disability: refused" test "$(wg_refused --out "$out/wg-x")" = 1
check "the refusal lists disability's small values" bash -c "
  grep -q '^  disability=0: 2 sessions\$' '$run/wg-refused.err' &&
  grep -q '^  disability=(not answered): 1 session\$' '$run/wg-refused.err' &&
  grep -q '^  disability=1: 3 sessions\$' '$run/wg-refused.err'"
check "--key-vars disability,walking --k 1 is accepted" wg_ok --key-vars disability,walking --k 1 --out "$out/wg-keys"
check "--key-vars with an unknown name: exit 2" test "$(wg_refused --key-vars disabled --out "$out/wg-x")" = 2
check "the refused WG-SS exports wrote nothing" test ! -e "$out/wg-x"
sql "SELECT s.session_id, s.outcome,
            string_agg(a.question_id || '=' || coalesce(a.code, ''), ' ' ORDER BY a.question_id)
     FROM sessions s JOIN answers a USING (session_id) WHERE s.flow_id = 'disability-wg-ss'
     GROUP BY 1, 2" >"$run/wg-expected.txt"
sql "SELECT pseudonym FROM sessions WHERE flow_id = 'disability-wg-ss'" >"$run/wg-pseudonyms.txt"
check "independent checks of disability in every format" \
  /usr/bin/python3 "$src/tests/integration/export_derived_check.py" "$out" "$run/wg-expected.txt" \
  "$run/wg-pseudonyms.txt"
finish
