#!/usr/bin/env python3
"""api_check.py - the independent reader of api_test.sh (Python stdlib only).

    api_check.py not-served RUN PAGES SESSION_ID...   none of these sessions in pages 1..PAGES
    api_check.py pages RUN PAGES IDS_FILE             every session in IDS_FILE exactly once
    api_check.py bodies RUN PAGES PSEUDONYMS PHONE_PSEUDONYMS IDS_FILE
    api_check.py audit RUN PAGES "actor|action|rows ..."
    api_check.py derived RUN 0 WG_EXPECTED            the WG-SS disability identifier

RUN holds NAME.body / NAME.hdr per request (api_test.sh's get). KEY_A, KEY_C
and KEY_S in the environment are the partners' respondent keys (hex), read
from partner_tokens by the test: the ids raia-api sends are recomputed here
as HMAC-SHA256(key, "response:" + session id), first 8 bytes in hex.
"""
import csv
import hashlib
import hmac
import io
import json
import os
import re
import sys

fails = 0


def ok(what, cond):
    global fails
    print(("ok   " if cond else "FAIL ") + "  " + what)
    fails += 0 if cond else 1


def body(run, name):
    with open(os.path.join(run, name + ".body"), encoding="utf-8") as f:
        return f.read()


def headers(run, name):
    with open(os.path.join(run, name + ".hdr"), encoding="latin-1", newline="") as f:
        lines = f.read().split("\r\n")
    status = int(lines[0].split()[1])
    h = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            h[k.strip().lower()] = v.strip()
    return status, h


def jsonl(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def token_id(key_hex, text):
    return hmac.new(bytes.fromhex(key_hex), text.encode(), hashlib.sha256).hexdigest()[:16]


def page_rows(run, pages):
    rows = []
    for n in range(1, pages + 1):
        rows += jsonl(body(run, "page%d" % n))
    return rows


FIXED = ["response", "respondent", "flow_version", "language", "channel", "operator",
         "started_on", "ended_on", "outcome"]
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ---- a small validator for the OpenAPI 3.0 schema subset the document uses ----
def validate(doc, schema, value, where="$"):
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return validate(doc, doc["components"]["schemas"][name], value, where)
    if value is None:
        return [] if schema.get("nullable") or not schema else ["%s: null" % where]
    if "oneOf" in schema:
        if not any(not validate(doc, s, value, where) for s in schema["oneOf"]):
            return ["%s: matches no alternative" % where]
    t = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool}
    if t in types and not isinstance(value, types[t]):
        return ["%s: not %s" % (where, t)]
    if t == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        return ["%s: not an integer" % where]
    if t == "number" and not isinstance(value, (int, float)):
        return ["%s: not a number" % where]
    errs = []
    if "enum" in schema and value not in schema["enum"]:
        errs.append("%s: %r not in enum" % (where, value))
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errs.append("%s: %r does not match" % (where, value))
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                errs.append("%s: missing %s" % (where, k))
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                errs += validate(doc, props[k], v, where + "." + k)
            elif isinstance(schema.get("additionalProperties"), dict):
                errs += validate(doc, schema["additionalProperties"], v, where + "." + k)
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            errs += validate(doc, schema["items"], v, "%s[%d]" % (where, i))
    return errs


def cells_of(table):
    """Rows of (count, state) from a 2-way table body, margins appended."""
    def c(x):
        return (x["count"], x.get("suppressed", "published"))
    grid = [[c(x) for x in row] + [c(table["row_totals"][i])] for i, row in enumerate(table["cells"])]
    grid.append([c(x) for x in table["column_totals"]] + [c(table["total"])])
    return grid


def check_tables(run):
    t2 = json.loads(body(run, "table2"))
    counts = {"water": [12, 15, 3, 20, 11], "clinic": [14, 0, 25, 30, 16],
              "school": [18, 11, 40, 13, 22], "other": [0, 4, 0, 0, 0]}
    # By hand (api/safe_table.h): 3 and 4 are under 10 (primary), and so is
    # other's total 4. The row totals as a one-way table: 4 alone would show,
    # so the smallest other total (water 61) hides. Column s2 then hides
    # water's 15 (its row already has hidden cells), s3 clinic's 25, row
    # clinic its 14, column s1 water's 12: two cycles of hidden cells,
    # 12-14-25-3 and 15-4-(4)-(61), each cell at least 1.
    P, C, o = "primary", "complementary", "published"
    states = [[C, C, P, o, o, C], [C, o, C, o, o, o], [o, o, o, o, o, o], [o, P, o, o, o, P],
              [o, o, o, o, o, o]]
    rows = ["water", "clinic", "school", "other"]
    truth = [counts[r] + [sum(counts[r])] for r in rows]
    truth.append([sum(counts[r][j] for r in rows) for j in range(5)] + [254])
    grid = cells_of(t2)
    ok("table: row and column categories in flow order",
       [c["code"] for c in t2["rows"]["categories"]] == rows
       and [c["code"] for c in t2["columns"]["categories"]] == ["1", "2", "3", "4", "5"])
    ok("table: suppression pattern as computed by hand %s" % [[s[1][0] for s in r] for r in grid],
       [[s[1] for s in r] for r in grid] == states)
    ok("table: published counts are the true counts, hidden ones are null",
       all((cnt == truth[i][j]) if st == o else cnt is None
           for i, r in enumerate(grid) for j, (cnt, st) in enumerate(r)))
    listed = sorted((s["row"], s["column"], s["reason"]) for s in t2["suppressed"])
    names_r, names_c = rows + ["total"], ["1", "2", "3", "4", "5", "total"]
    want = sorted((names_r[i], names_c[j], states[i][j]) for i in range(5) for j in range(6)
                  if states[i][j] != o)
    ok("table: the suppressed list names each cell and why", listed == want)
    ok("table: min_cell 10", t2["min_cell"] == 10)

    tt = cells_of(json.loads(body(run, "table2t")))
    ok("table: asked by=severity,category it is the same table transposed",
       [[tt[j][i] for j in range(len(tt))] for i in range(len(tt[0]))] == grid)

    t1 = json.loads(body(run, "table1"))
    one = [(c["count"], c.get("suppressed", o)) for c in t1["cells"]] + \
          [(t1["total"]["count"], t1["total"].get("suppressed", o))]
    # One-way, phones included: water 64, clinic 85, school 104, other 4 (primary);
    # the smallest other count, 64, hides with it; total 257.
    ok("one-way table by category as computed by hand %s" % one,
       one == [(None, C), (85, o), (104, o), (None, P), (257, o)])
    ok("one-way margins agree with the two-way table's row totals",
       [s for _, s in one[:4]] == [grid[i][5][1] for i in range(4)])


def check_aggregates(run):
    """Every session of the test is USSD: 254 seeded ones completed with category and
    severity, the three phones stopped at severity after answering the category."""
    tl = json.loads(body(run, "timeline"))
    days = tl["days"]
    ok("timeline: every day has a row, ussd carries all (%d days)" % len(days),
       days and all(d["channels"]["sms"] == {"count": 0} for d in days)
       and sum(d["channels"]["ussd"]["count"] for d in days) == 257
       and all(d["total"] == d["channels"]["ussd"] for d in days))
    ok("timeline: channel totals and total", tl["channel_totals"] == {"ussd": {"count": 257}, "sms": {"count": 0}}
       and tl["total"] == {"count": 257} and tl["suppressed"] == 0)
    fn = json.loads(body(run, "funnel"))
    got = [(q["question"], q["reached"]["ussd"]["count"], q["answered"]["ussd"]["count"],
            q["reached"]["sms"]["count"], q["reached"]["total"]["count"]) for q in fn["questions"]]
    ok("funnel: reached and answered per question as computed by hand %s" % got,
       got[:3] == [("category", 257, 257, 0, 257), ("severity", 257, 254, 0, 257), ("details", 0, 0, 0, 0)])


def check_area_table(run):
    """One answer to the location question (district XR0101) by the time of the request."""
    t = json.loads(body(run, "table-area"))
    cats = [(c["code"], c["label"]) for c in t["rows"]["categories"]]
    ok("table by area: the region answered, then prefer not to say %s" % cats,
       [c for c, _ in cats] == ["XR01", "refused"] and cats[0][1] == "Ziwani")
    ok("table by area: the region's 1 and the total are suppressed, the empty cell is 0",
       t["cells"] == [{"count": None, "suppressed": "primary"}, {"count": 0}]
       and t["total"] == {"count": None, "suppressed": "primary"})


def check_openapi(run, doc, made):
    ok("openapi: version 3.0.x", doc.get("openapi", "").startswith("3.0"))
    served = {"/healthz", "/metrics", "/v1/openapi.json", "/v1/flows", "/v1/flows/{id}",
              "/v1/flows/{id}/responses", "/v1/flows/{id}/tables", "/v1/flows/{id}/timeline",
              "/v1/flows/{id}/funnel"}
    ok("openapi: exactly the served paths", set(doc["paths"]) == served)
    bad = []
    for name, template in made:
        status, _ = headers(run, name)
        if str(status) not in doc["paths"][template]["get"]["responses"]:
            bad.append((name, status))
    ok("openapi: every status seen is documented for its path %s" % bad, not bad)
    params = {p["name"] for p in doc["paths"]["/v1/flows/{id}/responses"]["get"]["parameters"]}
    ok("openapi: responses parameters are the ones accepted",
       params == {"id", "version", "cursor", "format", "limit"})
    params = {p["name"] for p in doc["paths"]["/v1/flows/{id}/tables"]["get"]["parameters"]}
    ok("openapi: tables parameters are the ones accepted", params == {"id", "version", "by"})


def bodies(run, pages, pseud_file, phone_file, ids_file):
    doc = json.loads(body(run, "openapi"))
    S = lambda n: {"$ref": "#/components/schemas/" + n}
    made = [("health", "/healthz"), ("openapi", "/v1/openapi.json"), ("flows", "/v1/flows"),
            ("flow", "/v1/flows/{id}"), ("flow-v", "/v1/flows/{id}"),
            ("table2", "/v1/flows/{id}/tables"), ("table1", "/v1/flows/{id}/tables"),
            ("csv", "/v1/flows/{id}/responses"), ("stable", "/v1/flows/{id}/responses"),
            ("timeline", "/v1/flows/{id}/timeline"), ("funnel", "/v1/flows/{id}/funnel")]
    errors = sorted(f[:-5] for f in os.listdir(run) if f.startswith("e-") and f.endswith(".body"))
    for e in errors:
        tmpl = ("/v1/flows/{id}/timeline" if e in ("e-scope4", "e-timeline-by")
                else "/v1/flows/{id}/funnel" if e == "e-funnel-none"
                else "/v1/flows/{id}/tables" if "noby" in e or "text" in e or "unknown" in e or e == "e-scope3"
                else "/v1/flows/{id}/responses" if e in ("e-limit0", "e-limit", "e-format", "e-cursor",
                                                           "e-param", "e-twice", "e-scope")
                else "/v1/flows/{id}" if e in ("e-version", "e-ghost", "e-ver", "e-scope2", "e-delete", "e-id")
                else "/v1/flows")
        if e != "e-path":
            made.append((e, tmpl))
    check_openapi(run, doc, made)

    checks = [("flows", S("FlowList")), ("flow", S("Flow")), ("table2", S("Table")),
              ("table2t", S("Table")), ("table1", S("Table")), ("health", S("Health")),
              ("timeline", S("Timeline")), ("funnel", S("Funnel"))]
    for name, schema in checks:
        errs = validate(doc, schema, json.loads(body(run, name)))
        ok("%s body matches its OpenAPI schema %s" % (name, errs[:3]), not errs)
    for e in errors:
        status, h = headers(run, e)
        b = json.loads(body(run, e))
        errs = validate(doc, S("Error"), b)
        ok("%s: HTTP %d, JSON error with the same status %s" % (e, status, errs[:2]),
           not errs and b["error"]["status"] == status)
        if status == 400:
            ok("%s: says which parameter" % e, bool(b["error"].get("parameter")))
    st, h = headers(run, "e-429")
    ok("429 has Retry-After in seconds", st == 429 and h.get("retry-after", "").isdigit()
       and int(h["retry-after"]) > 0)
    ok("401 has WWW-Authenticate", "www-authenticate" in headers(run, "e-none")[1])
    ok("405 has Allow", headers(run, "e-post")[1].get("allow") == "GET, HEAD")
    ok("403 for another flow's token", headers(run, "e-scope")[0] == 403)

    flows = json.loads(body(run, "flows"))["flows"]
    ok("flows: only the token's registered flows", [f["id"] for f in flows] == ["community-report"])
    ok("flows: counts of the highest version", flows[0]["versions"][-1]["ended_sessions"] == 257)
    flow = json.loads(body(run, "flow"))
    cols = [c["name"] for c in flow["columns"]]
    qs = {q["id"]: q for q in flow["questions"]}
    ok("flow: fixed columns, then every question but free text",
       cols[:9] == FIXED and "details" not in cols and {"category", "severity"} <= set(cols)
       and qs["details"]["in_responses"] is False)
    ok("flow: question texts and labels", qs["category"]["text"]["en"] == "Which service has a problem?"
       and [c["code"] for c in qs["category"]["codes"]] == ["water", "clinic", "school", "other"]
       and qs["category"]["codes"][0]["label"]["en"] == "Water point")
    ok("flow: consent version", flow["consent"]["version"] == "cr-consent-1")
    ok("flow: same document asked by version", json.loads(body(run, "flow-v")) == flow)
    check_tables(run)
    check_aggregates(run)
    if os.environ.get("AREA_SESSION"):
        check_area_table(run)
        errs = validate(doc, S("Table"), json.loads(body(run, "table-area")))
        ok("table-area body matches its OpenAPI schema %s" % errs[:3], not errs)

    keys = {n: os.environ[k] for n, k in (("a", "KEY_A"), ("c", "KEY_C"), ("s", "KEY_S"))}
    stable = jsonl(body(run, "stable"))
    other = jsonl(body(run, "other"))
    rows_a = page_rows(run, pages)
    for name, rows in (("stable", stable), ("other", other), ("pages", rows_a)):
        errs = [e for r in rows for e in validate(doc, S("ResponseRow"), r)]
        ok("%s: rows match ResponseRow %s" % (name, errs[:2]), not errs and rows)
        ok("%s: columns are the flow's" % name, all(list(r) == cols for r in rows))
        ok("%s: days only" % name, all(DAY.match(r["started_on"]) and DAY.match(r["ended_on"]) for r in rows))
        ok("%s: no free text" % name, all("details" not in r for r in rows))
    ok("per-token ids are 16 hex", all(re.fullmatch(r"[0-9a-f]{16}", r["respondent"]) for r in rows_a + other))
    ok("two partners' respondent ids cannot be joined",
       not ({r["respondent"] for r in rows_a} & {r["respondent"] for r in other}))
    ok("two partners' response ids cannot be joined",
       not ({r["response"] for r in rows_a} & {r["response"] for r in other}))
    pseuds = set(open(pseud_file).read().split())
    phones = set(open(phone_file).read().split())
    leaked = [f for f in os.listdir(run) if f.endswith(".body") and f != "stable.body"
              and any(p in open(os.path.join(run, f), encoding="utf-8").read() for p in pseuds)]
    ok("no pseudonym in any response but the stable-pseudonym token's %s" % leaked[:3], not leaked)
    ok("stable-pseudonym scope: the phones' pseudonyms are the respondents",
       phones <= {r["respondent"] for r in stable} and all(r["respondent"] in pseuds for r in stable))
    ended = open(ids_file).read().split()
    ok("stable-pseudonym scope: response ids still per token",
       {r["response"] for r in stable} <= {token_id(keys["s"], "response:" + i) for i in ended})
    ok("partner c's response ids are its own",
       {r["response"] for r in other} <= {token_id(keys["c"], "response:" + i) for i in ended})
    ok("codes and numbers as the export writes them",
       all(r["category"] in ("water", "clinic", "school", "other") and
           (r["severity"] is None or isinstance(r["severity"], int)) for r in rows_a))
    phone_rows = [r for r in stable if r["respondent"] in phones]
    ok("the phones' rows: water, stopped at severity",
       len(phone_rows) == 3 and all(r["category"] == "water" and r["severity"] is None
                                    and r["outcome"] == "stopped" for r in phone_rows))

    text = body(run, "csv")
    table = list(csv.reader(io.StringIO(text)))
    ok("csv: header is the flow's columns", table[0] == cols)
    ok("csv: 257 rows of the right width", len(table) == 258 and all(len(r) == len(cols) for r in table))
    ok("csv: 257 distinct responses, all among the pages'",
       len({r[0] for r in table[1:]}) == 257 and {r[0] for r in table[1:]} <= {r["response"] for r in rows_a})
    st, h = headers(run, "csv")
    ok("csv: content type", h.get("content-type", "").startswith("text/csv"))
    ok("jsonl: content type", headers(run, "page1")[1].get("content-type") == "application/x-ndjson")


def pages_mode(run, pages, ids_file):
    rows = page_rows(run, pages)
    key = os.environ["KEY_A"]
    got = [r["response"] for r in rows]
    want = {token_id(key, "response:" + s) for s in open(ids_file).read().split()}
    ok("no response served twice (%d rows)" % len(got), len(got) == len(set(got)))
    ok("every ended session served (%d expected)" % len(want), set(got) == want)
    ok("running sessions never served", all(r["outcome"] for r in rows))
    if os.environ.get("AREA_SESSION"):
        rid = token_id(key, "response:" + os.environ["AREA_SESSION"])
        ok("a district answer is sent as its region",
           [r["area"] for r in rows if r["response"] == rid] == ["XR01"])
    for n in range(1, pages + 1):
        st, h = headers(run, "page%d" % n)
        if "next-cursor" not in h or "link" not in h:
            ok("page %d has Next-Cursor and Link" % n, False)


def not_served(run, pages, ids):
    key = os.environ["KEY_A"]
    got = {r["response"] for r in page_rows(run, pages)}
    ok("sessions %s not served yet" % [i[:8] for i in ids],
       not (got & {token_id(key, "response:" + s) for s in ids}))


def audit(run, pages, rows):
    want = []
    for name in ("table2", "table2t", "table1"):
        t = json.loads(body(run, name))
        n = (len(t["cells"]) + 1) * ((len(t["columns"]["categories"]) + 1) if "columns" in t else 1)
        want.append("partner-a|api_tables|%d" % n)
    # cells and totals: (days + 1) x (channels + 1); per question 2 x (channels + 1)
    t = json.loads(body(run, "timeline"))
    want.append("partner-a|api_timeline|%d" % ((len(t["days"]) + 1) * (len(t["channels"]) + 1)))
    t = json.loads(body(run, "funnel"))
    want.append("partner-a|api_funnel|%d" % (len(t["questions"]) * 2 * (len(t["channels"]) + 1)))
    want.append("partner-a|api_responses|%d" % (len(body(run, "csv").splitlines()) - 1))
    want.append("partner-s|api_responses|%d" % len(jsonl(body(run, "stable"))))
    want.append("partner-c|api_responses|%d" % len(jsonl(body(run, "other"))))
    for n in range(1, pages + 1):
        want.append("partner-a|api_responses|%d" % len(jsonl(body(run, "page%d" % n))))
    if os.environ.get("AREA_SESSION"):
        want.append("partner-a|api_tables|3")
    ok("audit rows: one per pull, in order, with the rows sent (%d)" % len(want), rows.split() == want)


def derived(run, expected_file):
    """The WG-SS's derived variable `disability` in the metadata, tables and responses.

    WG_EXPECTED has one line per ended WG-SS session, walking|disability, read
    from PostgreSQL by the test (disability empty when not computed)."""
    doc = json.loads(body(run, "openapi"))
    S = lambda n: {"$ref": "#/components/schemas/" + n}
    pg = [tuple(l.rstrip("\n").split("|")) for l in open(expected_file, encoding="utf-8") if l.strip()]
    rule = "any_of [seeing, hearing, walking, remembering, self_care, communicating] in [3, 4] then 1 else 0"
    meta = json.loads(body(run, "wg-flow"))
    dv = meta.get("derived", [])
    ok("metadata: disability is a derived variable with its rule, the questions it reads, codes and labels",
       len(dv) == 1 and dv[0]["id"] == "disability" and dv[0]["kind"] == "derived" and dv[0]["rule"] == rule
       and dv[0]["reads"] == ["seeing", "hearing", "walking", "remembering", "self_care", "communicating"]
       and dv[0]["codes"] == [{"code": "1", "label": "The rule holds"}, {"code": "0", "label": "The rule does not hold"}]
       and dv[0]["tabulable"] is True)
    ok("metadata: questions are kind question; disability is the last column",
       all(q["kind"] == "question" for q in meta["questions"]) and meta["columns"][-1]["name"] == "disability"
       and rule in meta["columns"][-1]["description"])
    for name, schema in (("wg-flow", S("Flow")), ("wg-t1", S("Table")), ("wg-t2", S("Table")),
                         ("wg-t2t", S("Table"))):
        errs = validate(doc, schema, json.loads(body(run, name)))
        ok("%s body matches its OpenAPI schema %s" % (name, errs[:3]), not errs)
    by = next(p for p in doc["paths"]["/v1/flows/{id}/tables"]["get"]["parameters"] if p["name"] == "by")
    ok("openapi: by names derived variables", "derived variables" in by["description"])

    count = lambda d, w=None: sum(1 for pw, pd in pg if pd == d and (w is None or pw == w))
    t1 = json.loads(body(run, "wg-t1"))
    ok("by=disability: the derived variable's categories and labels",
       t1["rows"]["question"] == "disability" and t1["rows"]["kind"] == "derived"
       and t1["rows"]["text"] == "Derived: " + rule
       and [(c["code"], c["label"]) for c in t1["rows"]["categories"]] == [("1", "The rule holds"), ("0", "The rule does not hold")])
    ok("by=disability: counts as in PostgreSQL (%d with, %d without)" % (count("1"), count("0")),
       [c["count"] for c in t1["cells"]] == [count("1"), count("0")] and t1["total"]["count"] == count("1") + count("0")
       and t1["suppressed"] == [] and count("1") >= 10 and count("0") >= 10)
    t2 = json.loads(body(run, "wg-t2"))
    walks = [c["code"] for c in t2["columns"]["categories"]]
    grid = cells_of(t2)
    want = [[count(d, w) for w in walks] + [count(d)] for d in ("1", "0")]
    want.append([sum(want[i][j] for i in range(2)) for j in range(len(walks) + 1)])
    published = all(g[0] == w for gr, wr in zip(grid, want) for g, w in zip(gr, wr) if g[1] == "published")
    small = [(i, j) for i, wr in enumerate(want) for j, w in enumerate(wr) if 0 < w < t2["min_cell"]]
    ok("by=disability,walking: every published cell and margin as in PostgreSQL %s" % grid, published
       and walks == ["1", "2", "3", "4"] and [c["code"] for c in t2["rows"]["categories"]] == ["1", "0"])
    ok("by=disability,walking: the cells under min_cell %s are suppressed (primary), with a complement" % small,
       small and all(grid[i][j] == (None, "primary") for i, j in small)
       and any(g[1] == "complementary" for row in grid for g in row))
    t2t = json.loads(body(run, "wg-t2t"))
    ok("by=walking,disability is the same table transposed",
       cells_of(t2t) == [list(r) for r in zip(*grid)] and t2t["rows"]["question"] == "walking"
       and t2t["columns"]["kind"] == "derived")
    rows = jsonl(body(run, "wg-rows"))
    ok("responses: disability per session as in PostgreSQL (null when not computed)",
       sorted((r["walking"], r["disability"] or "") for r in rows) == sorted(pg))
    lines = body(run, "wg-csv").splitlines()
    ok("responses (CSV): disability is the last column",
       lines[0].split(",")[-1] == "disability" and len(lines) == len(pg) + 1)
    errs = [e for r in rows for e in validate(doc, S("ResponseRow"), r)]
    ok("responses match the OpenAPI ResponseRow %s" % errs[:3], not errs)
    e = json.loads(body(run, "wg-e-unknown"))["error"]
    ok("400 by an unknown variable names it (%s)" % e["message"],
       e["status"] == 400 and e["parameter"] == "by" and "derived variable" in e["message"])


def main():
    mode, run = sys.argv[1], sys.argv[2]
    pages = int(sys.argv[3])
    if mode == "not-served":
        not_served(run, pages, sys.argv[4:])
    elif mode == "pages":
        pages_mode(run, pages, sys.argv[4])
    elif mode == "bodies":
        bodies(run, pages, sys.argv[4], sys.argv[5], sys.argv[6])
    elif mode == "audit":
        audit(run, pages, sys.argv[4])
    elif mode == "derived":
        derived(run, sys.argv[4])
    sys.exit(1 if fails else 0)


main()
