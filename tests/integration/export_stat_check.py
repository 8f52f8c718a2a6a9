#!/usr/bin/env python3
"""export_stat_check.py OUT EXPECTED - independent checks of the seeded
survey's exports, beside export_test.sh (which writes EXPECTED from
PostgreSQL: one line per session, sex|age|score|note|day|channel|language|outcome).

Readers that share no code with raia: PSPP (pspp-convert, pspp) for .sav,
pandas.read_stata for .dta, xml.etree for the DDI Codebook, csv/json for
the rest. Prints ok/FAIL per check; exit status 1 on any failure."""
import collections, csv, io, json, os, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

out, expected_file = sys.argv[1], sys.argv[2]
fails = 0


def ok(what, cond):
    global fails
    print(("ok   " if cond else "FAIL ") + "  " + what)
    fails += 0 if cond else 1


Row = collections.namedtuple("Row", "sex age score note day channel language outcome")
expected = [Row(*l.rstrip("\n").split("|")) for l in open(expected_file, encoding="utf-8") if l.strip()]
ok("PostgreSQL holds the 21 seeded sessions", len(expected) == 21)


def band(age):
    return "%d-%d" % (int(age) // 10 * 10, int(age) // 10 * 10 + 9) if age not in ("", "refused") else age


SEX = {"female": 1, "male": 2, "refused": -1}


def multiset(rows):
    return collections.Counter(rows)


# ---- CSV with the default privacy settings: age banded, free text left out ----
with open(os.path.join(out, "scsv/responses.csv"), newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
ok("csv: one row per session", len(rows) == len(expected))
ok("csv: no free-text column by default", "note" not in rows[0])
ok("csv: ages banded in tens, sex codes, scores: as in PostgreSQL",
   multiset((r["sex"], r["age"], r["score"], r["started_on"]) for r in rows)
   == multiset((e.sex, band(e.age), e.score, e.day) for e in expected))
exact = list(csv.DictReader(open(os.path.join(out, "exact/responses.csv"), newline="", encoding="utf-8")))
ok("csv --band age=1: exact ages",
   multiset(r["age"] for r in exact) == multiset(e.age for e in expected))

cb = json.load(open(os.path.join(out, "scsv/codebook.json"), encoding="utf-8"))
pv = cb["export"]["privacy"]
ok("codebook.json: banding and k-anonymity reported",
   pv["banded"] == {"age": 10} and pv["k_anonymity"]["key_variables"] == ["sex", "age"]
   and pv["k_anonymity"]["k"] == 5 and pv["k_anonymity"]["combinations"] == 4
   and pv["k_anonymity"]["smallest"] == 5 and pv["free_text"] is False
   and any("Banded: age" in l for l in pv["report"]) and any("Free text left out: note" in l for l in pv["report"]))
fw = cb["fieldwork"]
ok("codebook.json: fieldwork days, channels, consent versions",
   fw["first_started_on"] == min(e.day for e in expected) and fw["last_started_on"] == max(e.day for e in expected)
   and fw["channels"] == dict(collections.Counter(e.channel for e in expected))
   and fw["consent_versions"] == {"es-consent-2": 21})
ok("codebook.json: recruitment, modes, adaptations",
   cb["flow"]["recruitment"].startswith("opt-in") and "USSD *384*99#" in cb["flow"]["collection_modes"]
   and "SMS 15099 SURVEY" in cb["flow"]["collection_modes"] and "note" in cb["flow"]["adaptations"])
ok("codebook.json: the flow's declared adaptations",
   cb["flow"]["adaptations"]["declared"] == ["Age asked in whole years & banded <for tests>"])
md = open(os.path.join(out, "scsv/codebook.md"), encoding="utf-8").read()
ok("codebook.md: privacy section", "## Privacy" in md and "k-anonymity holds (k = 5)" in md)

dp = json.load(open(os.path.join(out, "sdp/datapackage.json"), encoding="utf-8"))
age = next(f for f in dp["resources"][0]["schema"]["fields"] if f["name"] == "age")
ok("datapackage: age is a string enum of bands plus refused",
   age["type"] == "string" and age["constraints"]["enum"][:2] == ["10-19", "20-29"]
   and age["constraints"]["enum"][-1] == "refused" and "90-99" in age["constraints"]["enum"])
ok("datapackage: package metadata",
   dp["fieldwork"]["first_day"] == fw["first_started_on"] and dp["fieldwork"]["consent_version"] == "es-consent-2"
   and dp["fieldwork"]["recruitment"].startswith("opt-in") and "adaptations" in dp["fieldwork"])

# ---- SPSS .sav, read by PSPP ----
sav = os.path.join(out, "sav/responses.sav")


def pspp_csv(*opts):
    with tempfile.TemporaryDirectory() as d:
        dst = os.path.join(d, "x.csv")
        subprocess.run(["pspp-convert", *opts, sav, dst], check=True, capture_output=True)
        with open(dst, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))


values, labels, recoded = pspp_csv(), pspp_csv("--labels"), pspp_csv("--recode")
ok("sav: PSPP reads one case per session", len(values) == len(expected))
ok("sav: variables", list(values[0].keys()) == ["response", "respondent", "flow_version", "language",
   "channel", "operator", "started_on", "outcome", "sex", "age", "score", "note"])


def num(x):
    return float(x) if x.strip() != "" else None


def want_sav(e):
    return (SEX[e.sex], -1.0 if e.age == "refused" else float(int(e.age) // 10 * 10),
            -2.0 if e.score == "" else float(e.score), e.note, e.channel, e.language, e.outcome)


ok("sav: codes, bands, scores, texts and the two missing codes match PostgreSQL",
   multiset((num(r["sex"]), num(r["age"]), num(r["score"]), r["note"], r["channel"], r["language"], r["outcome"])
            for r in values) == multiset(want_sav(e) for e in expected))
ok("sav: value labels from the codebook (default language)",
   multiset(r["sex"] for r in labels) == multiset({"female": "Female", "male": "Male", "refused": "Prefer not to say"}[e.sex] for e in expected)
   and multiset(r["age"] for r in labels) == multiset("Prefer not to say" if e.age == "refused" else band(e.age) for e in expected)
   and sum(r["score"] == "Not answered (skipped or not reached)" for r in labels) == sum(e.score == "" for e in expected))
ok("sav: prefer-not-to-say and not-answered are user-missing (PSPP --recode blanks them)",
   sum(r["sex"].strip() == "" for r in recoded) == sum(e.sex == "refused" for e in expected) == 5
   and sum(r["score"].strip() == "" for r in recoded) == sum(e.score == "" for e in expected) == 2
   and sum(r["age"].strip() == "" for r in recoded) == 5)
with tempfile.TemporaryDirectory() as d:
    syntax = os.path.join(d, "dict.sps")
    open(syntax, "w").write("GET FILE='%s'.\nDISPLAY DICTIONARY.\n" % sav)
    dictionary = subprocess.run(["pspp", "-O", "format=csv", "-o", os.path.join(d, "dict.csv"), syntax],
                                capture_output=True, text=True)
    text = open(os.path.join(d, "dict.csv"), encoding="utf-8").read() if dictionary.returncode == 0 else ""
dictionary = list(csv.reader(io.StringIO(text)))
variables = {r[0]: r for r in dictionary if len(r) == 10}
ok("sav: variable labels are the questions, missing codes declared, dates are dates",
   variables.get("sex", [""] * 10)[2] == "What is your sex?"
   and variables.get("note", [""] * 10)[2] == "Any comment? (<100 letters & no names)"
   and variables.get("sex", [""] * 10)[9] == "-1; -2" and variables.get("score", [""] * 10)[9] == "-2"
   and variables.get("started_on", [""] * 10)[7] == "DATE11")
ok("sav: dates read back as the session days",
   multiset(r["started_on"] for r in values) ==
   multiset(__import__("datetime").date.fromisoformat(e.day).strftime("%m/%d/%Y") for e in expected))

# ---- Stata .dta, read by pandas ----
import pandas as pd

dta = os.path.join(out, "dta/responses.dta")
frame = pd.read_stata(dta, convert_missing=True, convert_categoricals=False)
ok("dta: pandas reads one row per session", len(frame) == len(expected))


def stata(v):
    return str(v) if isinstance(v, pd.io.stata.StataMissingValue) else float(v)


ok("dta: codes, bands, scores; .a = prefer not to say, .b = not answered",
   multiset((stata(r.sex), stata(r.age), stata(r.score), r.note) for r in frame.itertuples())
   == multiset((".a" if e.sex == "refused" else float(SEX[e.sex]),
                ".a" if e.age == "refused" else float(int(e.age) // 10 * 10),
                ".b" if e.score == "" else float(e.score), e.note) for e in expected))
with pd.io.stata.StataReader(dta) as reader:
    var_labels = reader.variable_labels()
    value_labels = reader.value_labels()
ok("dta: variable labels", var_labels["sex"] == "What is your sex?" and var_labels["age"] == "How old are you?")
ok("dta: value labels", value_labels.get("sex", {}).get(1) == "Female" and value_labels.get("age", {}).get(30) == "30-39")
ok("dta: dates are Stata dates", sorted({str(d.date()) for d in frame.started_on}) == sorted({e.day for e in expected}))

# ---- DDI Codebook 2.5 ----
NS = {"d": "ddi:codebook:2_5"}
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
for fmt in ("sav", "dta", "scsv", "sdp"):
    try:
        root = ET.parse(os.path.join(out, fmt, "codebook.ddi.xml")).getroot()
    except ET.ParseError as e:
        ok("ddi (%s): well-formed: %s" % (fmt, e), False)
        continue
    ok("ddi (%s): a DDI 2.5 codeBook" % fmt, root.tag == "{ddi:codebook:2_5}codeBook" and root.get("version") == "2.5")
    names = [v.get("name") for v in root.iterfind("d:dataDscr/d:var", NS)]
    header = {"sav": list(values[0].keys()), "dta": list(frame.columns)}.get(fmt)
    if header is None:
        with open(os.path.join(out, fmt, "responses.csv"), newline="", encoding="utf-8") as f:
            header = next(csv.reader(f))
    ok("ddi (%s): one var per column of the data file, same names" % fmt, names == header)
    ok("ddi (%s): title with markup characters escaped and read back" % fmt,
       root.findtext("d:stdyDscr/d:citation/d:titlStmt/d:titl", namespaces=NS) == "Export survey <test> & checks")
    dates = {c.get("event"): c.get("date") for c in root.iterfind("d:stdyDscr/d:stdyInfo/d:sumDscr/d:collDate", NS)}
    ok("ddi (%s): fieldwork dates" % fmt, dates == {"start": fw["first_started_on"], "end": fw["last_started_on"]})
    coll = root.find("d:stdyDscr/d:method/d:dataColl", NS)
    ok("ddi (%s): the declared adaptation, escaped and read back" % fmt,
       coll.findtext("d:instrumentDevelopment", namespaces=NS) == "Age asked in whole years & banded <for tests>")
    ok("ddi (%s): sampling, modes, adaptations" % fmt,
       coll.findtext("d:sampProc", namespaces=NS).startswith("Opt-in self-selection")
       and [m.text for m in coll.iterfind("d:collMode", NS)] == ["USSD *384*99#", "SMS 15099 SURVEY"]
       and coll.find("d:instrumentDevelopment", NS) is not None)
    consent = {n.get(LANG): n.text for n in root.iterfind("d:stdyDscr/d:method/d:notes[@type='consent']", NS)}
    ok("ddi (%s): consent text per language, version" % fmt,
       consent.get("en", "").startswith("A short survey. Voluntary & anonymous") and "fr" in consent
       and root.find("d:stdyDscr/d:method/d:notes[@subject='es-consent-2']", NS) is not None)
    sex = root.find("d:dataDscr/d:var[@name='sex']", NS)
    ok("ddi (%s): question per language" % fmt,
       {q.get(LANG): q.text for q in sex.iterfind("d:qstn/d:qstnLit", NS)} == {"en": "What is your sex?", "fr": "Quel est votre sexe ?"})
    cats = [(c.get("missing"), c.findtext("d:catValu", namespaces=NS), c.findtext("d:labl", namespaces=NS))
            for c in sex.iterfind("d:catgry", NS)]
    stat = fmt in ("sav", "dta")
    want = [(None, "1" if stat else "female", "Female"), (None, "2" if stat else "male", "Male"),
            ("Y", {"sav": "-1", "dta": ".a"}.get(fmt, "refused"), "Prefer not to say")]
    ok("ddi (%s): categories as in the file, missing flagged %s" % (fmt, cats[:4]), cats[:3] == want
       and cats[3][0] == "Y")
    ok("ddi (%s): rows" % fmt, root.findtext("d:fileDscr/d:fileTxt/d:dimensns/d:caseQnty", namespaces=NS) == "21")
sys.exit(1 if fails else 0)
