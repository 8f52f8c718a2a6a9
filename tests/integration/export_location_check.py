#!/usr/bin/env python3
"""export_location_check.py OUT - independent checks of `raia export
--location STEP=LEVEL`, beside export_test.sh, which wrote into OUT:

- loc-csv, loc-long, loc-dp, loc-sav, loc-dta: the community report at level 2
  (district); csv and loc-dta1: the same at the default level (region);
- pl-1 (dta, default level), pl-dp, pl-sav, pl-dta (level 2): the seeded
  places flow (province, district) whose sessions answered N1 six times, N2
  once, S1 four times and, once, the province S itself.

Readers that share no code with raia: csv/json, xml.etree, PSPP
(pspp-convert) for .sav, pandas for .dta. Prints ok/FAIL per check; exit
status 1 on any failure."""
import collections, csv, json, os, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

import pandas as pd

out = sys.argv[1]
fails = 0
NOT_ANSWERED = "Not answered (skipped or not reached)"
DISTRICTS = ["XR0101", "XR0102", "XR0103", "XR0201", "XR0202", "XR0301", "XR0302", "XR0303"]
NS = {"d": "ddi:codebook:2_5"}


def ok(what, cond):
    global fails
    print(("ok   " if cond else "FAIL ") + "  " + what)
    fails += 0 if cond else 1


def rows(path):
    with open(os.path.join(out, path), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load(path):
    with open(os.path.join(out, path), encoding="utf-8") as f:
        return json.load(f)


def counts(values):
    return collections.Counter(values)


def sav_labels(path, column):
    with tempfile.TemporaryDirectory() as d:
        dst = os.path.join(d, "x.csv")
        subprocess.run(["pspp-convert", "--labels", os.path.join(out, path), dst], check=True,
                       capture_output=True)
        with open(dst, newline="", encoding="utf-8") as f:
            return counts(r[column] for r in csv.DictReader(f))


def dta(path, column):
    """The column's values (floats, '.a'/'.b' for tagged missing) and its value labels."""
    full = os.path.join(out, path)
    frame = pd.read_stata(full, convert_missing=True, convert_categoricals=False)
    values = counts(str(v) if isinstance(v, pd.io.stata.StataMissingValue) else float(v)
                    for v in frame[column])
    with pd.io.stata.StataReader(full) as reader:
        labels = reader.value_labels().get(column, {})
    return values, {int(k): v for k, v in labels.items() if 0 <= int(k) < 100000}


# ---- the community report: district (level 2) where the default gives the region ----
ok("default csv: regions", sorted(r["area"] for r in rows("csv/responses.csv")) == ["", "XR01", "XR01", "XR01", "XR01"])
ok("level 2 csv: districts", sorted(r["area"] for r in rows("loc-csv/responses.csv")) == ["", "XR0101", "XR0101", "XR0101", "XR0102"])
ok("level 2 long: district codes and names",
   counts((r["code"], r["value"]) for r in rows("loc-long/answers.csv") if r["question"] == "area")
   == counts([("XR0101", "Bondeni")] * 3 + [("XR0102", "Kisiwani")]))

dp = load("loc-dp/datapackage.json")
fields = {f["name"]: f for f in dp["resources"][0]["schema"]["fields"]}
area = fields["area"]
ok("level 2 datapackage: the enum holds the district codes (and refused)",
   area["type"] == "string" and area["constraints"]["enum"] == DISTRICTS + ["refused"])
ok("level 2 datapackage: every cell is in the enum",
   all(r["area"] in area["constraints"]["enum"] or r["area"] == "" for r in rows("loc-dp/responses.csv")))
ok("level 2 datapackage: the description states the level", "level 2 of 3 (district)" in area["description"])

cb = load("loc-dp/codebook.json")
q = next(q for q in cb["questions"] if q["id"] == "area")
ok("codebook.json: the question's level", q["level"] == 2 and q["level_id"] == "district"
   and q["levels"] == ["region", "district", "ward"] and q["kept_coarser"] == 0)
ok("codebook.json: the codes are the districts, named", [c["code"] for c in q["codes"]] == DISTRICTS
   and q["codes"][0]["label"] == {"en": "Bondeni"} and all(c["level"] == "district" for c in q["codes"]))
ok("codebook.json: privacy states the level", cb["export"]["privacy"]["location_levels"]
   == {"area": {"level": 2, "id": "district", "levels": 3, "asked": True, "kept_coarser": 0}})
ok("codebook.json: the report says so",
   any(l.startswith("Coarsened: area at level 2 of 3 (district, --location)") for l in cb["export"]["privacy"]["report"]))
md = open(os.path.join(out, "loc-dp/codebook.md"), encoding="utf-8").read()
ok("codebook.md: the level and the district codes",
   "Exported at level 2 of 3: **district**" in md and "| `XR0101` | district | Bondeni |" in md
   and "| `XR01` |" not in md)
ddi = ET.parse(os.path.join(out, "loc-dp/codebook.ddi.xml")).getroot()
var = next(v for v in ddi.iter("{ddi:codebook:2_5}var") if v.get("name") == "area")
ok("DDI: the categories are the districts, refused and not answered",
   [c.findtext("d:catValu", namespaces=NS) for c in var.findall("d:catgry", NS)] == DISTRICTS + ["refused", ""]
   and var.find("d:catgry/d:labl", NS).text == "Bondeni" and var.get("intrvl") == "discrete")
ok("DDI: the disclosure-control note states the level",
   "area at level 2 of 3 (district" in ddi.find(".//d:notes[@type='disclosure-control']", NS).text)

# sav / dta: the area's row in the areas file (XR0101 is row 4), labelled with its name.
ok("level 2 sav: district names as value labels, not answered user-missing",
   sav_labels("loc-sav/responses.sav", "area") == counts(["Bondeni"] * 3 + ["Kisiwani", NOT_ANSWERED]))
values, labels = dta("loc-dta/responses.dta", "area")
ok("level 2 dta: district numbers, .b for not answered", values == counts([4.0] * 3 + [5.0, ".b"]))
ok("level 2 dta: value labels hold the districts only",
   sorted(labels) == list(range(4, 12)) and labels[4] == "Bondeni" and labels[11] == "Misitu")
values, labels = dta("loc-dta1/responses.dta", "area")
ok("default dta: the region", values == counts([1.0] * 4 + [".b"]) and labels == {1: "Ziwani", 2: "Nyandani", 3: "Mto Mpana"})

# ---- the places flow: an answer recorded at province level stays a province ----
values, labels = dta("pl-1/responses.dta", "place")
ok("places, default: provinces", values == counts([1.0] * 7 + [2.0] * 5) and labels == {1: "North", 2: "South"})
pl = rows("pl-dp/responses.csv")
ok("places, level 2: districts, and the province answer kept", counts(r["place"] for r in pl)
   == counts(["N1"] * 6 + ["N2"] + ["S1"] * 4 + ["S"]))
dp = load("pl-dp/datapackage.json")
place = next(f for f in dp["resources"][0]["schema"]["fields"] if f["name"] == "place")
ok("places, level 2: the enum holds the districts and the provinces answered at",
   place["constraints"]["enum"] == ["N", "S", "N1", "N2", "S1", "S2", "refused"])
cb = load("pl-dp/codebook.json")
q = next(q for q in cb["questions"] if q["id"] == "place")
ok("places codebook: kept_coarser and the codes' levels and names in both languages",
   q["kept_coarser"] == 1 and cb["export"]["privacy"]["location_levels"]["place"]["kept_coarser"] == 1
   and [(c["code"], c["level"]) for c in q["codes"]][:3] == [("N", "province"), ("S", "province"), ("N1", "district")]
   and q["codes"][2]["label"] == {"en": "Hill", "fr": "Colline"})
values, labels = dta("pl-dta/responses.dta", "place")
ok("places, level 2 dta: numbers and labels of both levels",
   values == counts([3.0] * 6 + [4.0] + [5.0] * 4 + [2.0])
   and labels == {1: "North", 2: "South", 3: "Hill", 4: "Lake", 5: "Coast", 6: "Plain"})
ok("places, level 2 sav: labels", sav_labels("pl-sav/responses.sav", "place")
   == counts(["Hill"] * 6 + ["Lake"] + ["Coast"] * 4 + ["South"]))
sys.exit(1 if fails else 0)
