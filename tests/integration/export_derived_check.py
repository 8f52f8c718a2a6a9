#!/usr/bin/env python3
"""export_derived_check.py OUT EXPECTED PSEUDONYMS - independent checks of
the WG-SS exports of export_test.sh, whose flow has one derived variable,
`disability`: 1 when any of the six domains is coded 3 or 4, else 0,
stored by the gateway as one more answer when a session completes.

EXPECTED is PostgreSQL's view (one line per session:
session_id|outcome|question=code ...), PSEUDONYMS the sessions' pseudonyms.
The rule is computed here again from the six answers. Readers share no
code with raia: csv, json, xml.etree, PSPP (pspp-convert, pspp) for .sav,
pandas.read_stata for .dta. Prints ok/FAIL per check; exit 1 on any
failure."""
import collections, csv, io, json, os, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

out, expected_file, pseudonyms_file = sys.argv[1:4]
fails = 0
DOMAINS = ["seeing", "hearing", "walking", "remembering", "self_care", "communicating"]
RULE = "any_of [seeing, hearing, walking, remembering, self_care, communicating] in [3, 4] then 1 else 0"
LABELS = {"1": "The rule holds", "0": "The rule does not hold"}
NOT_COMPUTED = "Not computed: the session did not complete, or an answer the rule reads is missing"
FIXED = ["response", "respondent", "flow_version", "language", "channel", "operator", "started_on", "outcome"]


def ok(what, cond):
    global fails
    print(("ok   " if cond else "FAIL ") + "  " + what)
    fails += 0 if cond else 1


def multiset(rows):
    return collections.Counter(rows)


sessions = []
for line in open(expected_file, encoding="utf-8"):
    if line.strip():
        sid, outcome, answers = line.rstrip("\n").split("|")
        a = dict(x.split("=", 1) for x in answers.split())
        sessions.append((outcome, tuple(a.get(d, "") for d in DOMAINS), a.get("disability", "")))
ok("PostgreSQL: six WG-SS sessions, five completed", len(sessions) == 6
   and sum(s[0] == "completed" for s in sessions) == 5)
ok("PostgreSQL: the stored disability is the rule applied to the six answers",
   all(d == ("1" if any(c in ("3", "4") for c in codes) else "0") for o, codes, d in sessions if o == "completed")
   and all(d == "" for o, codes, d in sessions if o != "completed"))
want = multiset(codes + (d,) for o, codes, d in sessions)


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# ---- CSV: a column after the questions ----
wide = rows(os.path.join(out, "wg-csv/responses.csv"))
ok("csv: header is the session fields, the six domains, then disability",
   list(wide[0].keys()) == FIXED + DOMAINS + ["disability"])
ok("csv: each session's domains and disability as in PostgreSQL",
   multiset(tuple(r[d] for d in DOMAINS) + (r["disability"],) for r in wide) == want)
ok("csv: the session answering 3 to walking has disability 1",
   [r["disability"] for r in wide if r["walking"] == "3"] == ["1"])
cb = json.load(open(os.path.join(out, "wg-csv/codebook.json"), encoding="utf-8"))
ok("codebook.json: no answer counted as an unknown question's, no unknown code",
   cb["fieldwork"]["answers_to_unknown_questions"] == 0 and cb["fieldwork"]["codes_not_in_flow"] == 0)
dv = cb.get("derived", [{}])[0]
ok("codebook.json: disability described as derived, with its rule and the questions it reads",
   dv.get("id") == "disability" and dv.get("kind") == "derived" and dv.get("rule") == RULE
   and dv.get("reads") == DOMAINS and dv.get("exported") is True)
ok("codebook.json: its codes and labels",
   [(c["code"], c["label"]) for c in dv.get("codes", [])] == [("1", LABELS["1"]), ("0", LABELS["0"])]
   and dv.get("empty") == NOT_COMPUTED)
col = cb["columns"][-1]
ok("codebook.json: the last column is disability, an enum of its codes, described by its rule",
   col["name"] == "disability" and col["constraints"] == {"enum": ["1", "0"]} and RULE in col["description"])
ok("codebook.json: disability is the default key variable",
   cb["export"]["privacy"]["k_anonymity"]["key_variables"] == ["disability"])
md = open(os.path.join(out, "wg-csv/codebook.md"), encoding="utf-8").read()
ok("codebook.md: a derived variables section with the rule and the codes",
   "## Derived variables" in md and "### `disability` (derived)" in md and "Rule: `%s`" % RULE in md
   and "| `1` | The rule holds |" in md and "| `disability` | derived |" in md)

# ---- JSON Lines, the long layout, the data package ----
js = [json.loads(l) for l in open(os.path.join(out, "wg-jsonl/responses.jsonl"), encoding="utf-8")]
ok("jsonl: disability as the CSV has it (null when not computed)",
   multiset(tuple(str(o[d]) if o[d] is not None else "" for d in DOMAINS) + (o["disability"] or "",) for o in js) == want
   and all(o["disability"] in ("0", "1", None) for o in js))
long = rows(os.path.join(out, "wg-long/answers.csv"))
ok("long: one disability row per completed session, with its code",
   multiset(r["code"] for r in long if r["question"] == "disability") == multiset(d for o, c, d in sessions if d))
dp = json.load(open(os.path.join(out, "wg-dp/datapackage.json"), encoding="utf-8"))
fields = dp["resources"][0]["schema"]["fields"]
data = rows(os.path.join(out, "wg-dp", dp["resources"][0]["path"]))
f = fields[-1]
ok("datapackage: disability is the last field, a string enum, described as derived",
   f["name"] == "disability" and f["type"] == "string" and f["constraints"]["enum"] == ["1", "0"]
   and f["description"].startswith("Derived variable") and [x["name"] for x in fields] == list(data[0].keys()))
ok("datapackage: every disability cell meets the enum (or is missing)",
   all(r["disability"] in ("", "1", "0") for r in data) and len(data) == 6)

# ---- SPSS .sav (PSPP) ----
sav = os.path.join(out, "wg-sav/responses.sav")


def pspp_csv(*opts):
    with tempfile.TemporaryDirectory() as d:
        dst = os.path.join(d, "x.csv")
        subprocess.run(["pspp-convert", *opts, sav, dst], check=True, capture_output=True)
        return rows(dst)


values, labels, recoded = pspp_csv(), pspp_csv("--labels"), pspp_csv("--recode")
ok("sav: disability is the last variable", list(values[0].keys())[-1] == "disability")
ok("sav: disability 1 / 0 as in PostgreSQL, -2 when not computed",
   multiset(tuple(str(int(float(r[d]))) for d in DOMAINS[:2]) + (float(r["disability"]),) for r in values)
   == multiset(tuple(c[:2]) + (float(d) if d else -2.0,) for o, c, d in sessions))
ok("sav: value labels",
   multiset(r["disability"] for r in labels) == multiset(LABELS[d] if d else NOT_COMPUTED for o, c, d in sessions))
ok("sav: not computed is user-missing (PSPP --recode blanks it)",
   sum(r["disability"].strip() == "" for r in recoded) == 1)
with tempfile.TemporaryDirectory() as d:
    syntax = os.path.join(d, "dict.sps")
    open(syntax, "w").write("GET FILE='%s'.\nDISPLAY DICTIONARY.\n" % sav)
    done = subprocess.run(["pspp", "-O", "format=csv", "-o", os.path.join(d, "dict.csv"), syntax],
                          capture_output=True, text=True)
    text = open(os.path.join(d, "dict.csv"), encoding="utf-8").read() if done.returncode == 0 else ""
variables = {r[0]: r for r in csv.reader(io.StringIO(text)) if len(r) == 10}
ok("sav: disability is labelled with its rule, nominal, -2 missing",
   variables.get("disability", [""] * 10)[2] == "Derived: " + RULE
   and variables["disability"][3] == "Nominal" and variables["disability"][9] == "-2")

# ---- Stata .dta (pandas) ----
import pandas as pd

dta = os.path.join(out, "wg-dta/responses.dta")
frame = pd.read_stata(dta, convert_missing=True, convert_categoricals=False)


def stata(v):
    return str(v) if isinstance(v, pd.io.stata.StataMissingValue) else float(v)


ok("dta: disability 1 / 0, .b when not computed",
   multiset(stata(v) for v in frame.disability) == multiset(float(d) if d else ".b" for o, c, d in sessions))
with pd.io.stata.StataReader(dta) as reader:
    value_labels = reader.value_labels()
    var_labels = reader.variable_labels()
ok("dta: the rule does not fit Stata's 80 characters: the label says where it comes from",
   var_labels.get("disability") == "Derived from 6 questions (see the codebook)")
ok("dta: value labels", value_labels.get("disability", {}).get(1) == LABELS["1"]
   and value_labels["disability"].get(0) == LABELS["0"])

# ---- DDI Codebook 2.5 ----
NS = {"d": "ddi:codebook:2_5"}
for fmt, cats in (("wg-csv", [(None, "1"), (None, "0"), ("Y", "")]),
                  ("wg-sav", [(None, "1"), (None, "0"), ("Y", "-2")]),
                  ("wg-dta", [(None, "1"), (None, "0"), ("Y", ".b")])):
    root = ET.parse(os.path.join(out, fmt, "codebook.ddi.xml")).getroot()
    var = root.find("d:dataDscr/d:var[@name='disability']", NS)
    ids = {v.get("ID"): v.get("name") for v in root.iterfind("d:dataDscr/d:var", NS)}
    got = [(c.get("missing"), c.findtext("d:catValu", namespaces=NS)) for c in var.iterfind("d:catgry", NS)]
    der = var.find("d:derivation", NS)
    ok("ddi (%s): disability's categories as in the file %s" % (fmt, got), got == cats)
    ok("ddi (%s): its derivation names the six domains' variables and the rule" % fmt,
       der is not None and [ids[i] for i in der.get("var").split()] == DOMAINS
       and der.findtext("d:drvdesc", namespaces=NS) == RULE)

# ---- --partner: the column within the partner's scope ----
other = rows(os.path.join(out, "wg-other/responses.csv"))
ok("--partner other: disability as in the plain export",
   multiset(r["disability"] for r in other) == multiset(r["disability"] for r in wide))

# ---- nothing that leads back to a person ----
pseudonyms = [l.strip() for l in open(pseudonyms_file, encoding="utf-8") if l.strip()]
leaks = [p for p in pseudonyms for d in os.listdir(out) if d.startswith("wg-")
         for n in os.listdir(os.path.join(out, d))
         if p in open(os.path.join(out, d, n), encoding="latin-1").read()]
ok("no WG-SS pseudonym in any WG-SS export", len(pseudonyms) == 6 and not leaks)
sys.exit(1 if fails else 0)
