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
# per export.
set -euo pipefail
source "$(dirname "$0")/lib/stack_test.sh"
stack_test_begin "$1" export

# Inputs: consent, category, severity, details.
ussd_phone +256700000101 1 1 4 "Borehole pump broken" & p1=$!
ussd_phone +256700000102 1 2 5 "No nurse since June" & p2=$!
ussd_phone +256700000103 1 3 2 "Roof leaks in class 4" & p3=$!
ussd_phone +256700000104 2 & p4=$!                                 # refuses consent
ussd_phone +256700000105 1 4 1 'Road to "market", flooded' & p5=$! # CSV quoting
ussd_phone +256700000106 1 1 STOP & p6=$!                          # stops at severity
for p in $p1 $p2 $p3 $p4 $p5 $p6; do
  check "phone $p finished its session" wait "$p"
done
check "answers and ended sessions reached PostgreSQL" wait_rows 13 5

raia=$build/cli/raia
registered() { test "$(sql "SELECT count(*) FROM flows WHERE flow_id = 'community-report'")" = 1; }
check "flows registry holds the community report" wait_until 10 registered
out=$run/out
mkdir "$out"
export_ok() { "$raia" export --config "$RAIA_CONFIG" --flow community-report "$@" >>"$run/export.log" 2>&1; }
check "export csv (wide, no free text)" export_ok --format csv --out "$out/csv"
check "export jsonl with free text" export_ok --format jsonl --free-text --out "$out/jsonl"
check "export long csv" export_ok --format csv --long --out "$out/long"
check "export datapackage, version given" export_ok --format datapackage --version 1 --out "$out/dp"
check "export since tomorrow" export_ok --since "$(date -u -d tomorrow +%F)" --out "$out/later"
runs=5

status() { set +e; "$@" >>"$run/export.log" 2>&1; echo $?; set -e; }
check "unknown flow: exit 1" test "$(status "$raia" export --config "$RAIA_CONFIG" --flow nope --out "$out/x")" = 1
check "unknown version: exit 1" test "$(status "$raia" export --config "$RAIA_CONFIG" --flow community-report --version 9 --out "$out/x")" = 1
check "bad format: usage, exit 2" test "$(status "$raia" export --config "$RAIA_CONFIG" --flow community-report --format sav --out "$out/x")" = 2
check "bad date: usage, exit 2" test "$(status "$raia" export --config "$RAIA_CONFIG" --flow community-report --since 2024-02-30 --out "$out/x")" = 2
check "missing --out: usage, exit 2" test "$(status "$raia" export --config "$RAIA_CONFIG" --flow community-report)" = 2
check "failed exports wrote nothing" test ! -e "$out/x"

check "one audit row per export, counts only" test "$(sql "
  SELECT count(*) || '/' || sum((detail->>'rows')::int) FROM audit_log WHERE action = 'export'
     AND detail->>'flow' = 'community-report' AND detail ? 'free_text' AND detail ? 'format'")" = "$runs/24"
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

check "independent checks of the files" python3 - "$out" "$src/config/flows/community-report.yaml" <<'PY'
import csv, json, os, re, sys
out, flow_file = sys.argv[1], sys.argv[2]
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
   "channel", "operator", "started_on", "outcome", "category", "severity"])
ok("csv: codes per session", sorted((r["category"], r["severity"], r["outcome"]) for r in wide) == expected)
ok("csv: respondents distinct, not pseudonyms",
   len({r["respondent"] for r in wide}) == 5 and all(re.fullmatch(r"[0-9a-f]{16}", r["respondent"]) for r in wide))
ok("csv: dates are days", all(day.match(r["started_on"]) for r in wide))
ok("csv: session fields", all(r["flow_version"] == "1" and r["language"] == "en" and r["channel"] == "ussd"
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
ok("long: one row per non-free-text answer (9)", len(long) == 9)
ok("long: no free text", all(r["question"] in ("category", "severity") for r in long))
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
   [q["id"] for q in cb["questions"]] == ["category", "severity", "details"]
   and [q["text"]["en"] for q in cb["questions"]] == flow_texts)
ok("codebook.json: details marked as left out", [q["exported"] for q in cb["questions"]] == [True, True, False])
ok("codebook.json: counts", cb["export"]["rows"] == 5 and cb["fieldwork"]["channels"] == {"ussd": 5}
   and cb["fieldwork"]["consent_versions"] == {"cr-consent-1": 5}
   and day.match(cb["fieldwork"]["first_started_on"]) and cb["fieldwork"]["outcomes"] == {"completed": 4, "stopped": 1})
ok("codebook.json: checksum is the shipped file's",
   cb["flow"]["checksum"] == __import__("hashlib").sha256(open(flow_file, "rb").read()).hexdigest())
later = rows(os.path.join(out, "later/responses.csv"))
ok("--since tomorrow: no rows", later == [])
sys.exit(1 if fails else 0)
PY
finish
