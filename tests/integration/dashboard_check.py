#!/usr/bin/env python3
"""dashboard_check.py - the independent reader of dashboard_test.sh (Python stdlib only).

    dashboard_check.py dom DOM_FILE RUN FLOW   the dashboard's numbers against PostgreSQL
    dashboard_check.py notoken DOM_FILE        no token: the form, no data
    dashboard_check.py other DOM_FILE RUN      a WG-SS token: that flow only, by disability
    dashboard_check.py revoked DOM_FILE        a revoked token: the error is shown
    dashboard_check.py screenshot PNG          the charts' colours are on the screenshot

DOM_FILE is what `chromium --dump-dom` printed after the page ran. RUN holds
the test's PostgreSQL reads: pg-days.txt (day|channel|count of ended
sessions), pg-sessions.txt (session|channel|outcome|questions answered),
pg-category.txt (code|count) and pg-area.txt (one area code per answer,
coarsened here with the areas file AREAS names). Expected numbers are
computed here from those rows, not taken from the API; TOKEN in the
environment must not be in the DOM.
"""
import os
import re
import struct
import sys
import zlib
from datetime import date, timedelta
from html.parser import HTMLParser

fails = 0
CHANNELS = ("ussd", "sms")


def ok(what, cond):
    global fails
    print(("ok   " if cond else "FAIL ") + "  " + what)
    fails += 0 if cond else 1


class Dom(HTMLParser):
    """Tables (id -> body rows of (tr attrs, [(td attrs, text)])), canvases, body and #status."""

    def __init__(self):
        super().__init__()
        self.tables, self.canvases, self.sections = {}, [], []
        self.body, self.status, self.forms = {}, "", 0
        self.table = self.row = self.cell = None
        self.in_status = self.in_body = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        elif tag == "form":
            self.forms += 1
        elif tag == "section" and "data-flow" in a:
            self.sections.append(a)
        elif tag == "canvas" and "data-chart" in a:
            self.canvases.append(a)
        elif tag == "table":
            self.table = self.tables.setdefault(a.get("id", ""), [])
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.table is not None and self.in_body:
            self.row = (a, [])
            self.table.append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = [tag, a, ""]
        elif a.get("id") == "status":
            self.in_status = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            if self.cell[0] == "td":
                self.row[1].append((self.cell[1], self.cell[2].strip()))
            self.cell = None
        elif tag == "table":
            self.table = self.row = None
            self.in_body = False
        elif tag == "p":
            self.in_status = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[2] += data
        if self.in_status:
            self.status += data


def parse(path):
    d = Dom()
    with open(path, encoding="utf-8") as f:
        d.feed(f.read())
    return d


def read_rows(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("|") for line in f if line.strip()]


def check_cell(where, attrs, text, truth, min_cell):
    """A published cell equals the truth; a suppressed one says so and holds no number."""
    if "data-count" in attrs:
        return attrs["data-count"] == str(truth) and text == str(truth), where
    reason = attrs.get("data-suppressed")
    no_number = not re.search(r"\d", re.sub(r"\(<%d\)" % min_cell, "", text))
    good = reason in ("primary", "complementary") and text.startswith("suppressed") and no_number
    if reason == "primary":
        good = good and 1 <= truth < min_cell
    return good, where + (" suppressed %s (%r)" % (reason, text))


def check_timeline(dom, run, flow, min_cell):
    rows = dom.tables.get("timeline-" + flow, [])
    truth = {}
    for day, ch, n in read_rows(os.path.join(run, "pg-days.txt")):
        truth[(day, ch)] = int(n)
    days = sorted({d for d, _ in truth})
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    every = [(first + timedelta(k)).isoformat() for k in range((last - first).days + 1)]
    shown = [r[0].get("data-day") for r in rows]
    ok("timeline: one row per day from %s to %s, then the totals" % (every[0], every[-1]),
       shown == every + ["total"])
    bad, hidden = [], 0
    for attrs, cells in rows:
        day = attrs.get("data-day")
        for a, text in cells:
            ch = a.get("data-channel")
            if day == "total":
                want = sum(v for (d, c), v in truth.items() if ch in (c, "total"))
            else:
                want = sum(v for (d, c), v in truth.items() if d == day and ch in (c, "total"))
            good, what = check_cell("%s/%s" % (day, ch), a, text, want, min_cell)
            hidden += "data-suppressed" in a
            if not good:
                bad.append(what)
    ok("timeline: every count equals PostgreSQL's, suppressed ones show no number %s" % bad[:4],
       not bad and len(rows) == len(every) + 1)
    ok("timeline: some cells suppressed (%d)" % hidden, hidden > 0)


def check_funnel(dom, run, flow, min_cell):
    rows = dom.tables.get("funnel-" + flow, [])
    order = [r[0].get("data-question") for r in rows]
    ok("funnel: the flow's questions in order %s" % order,
       order[:4] == ["category", "severity", "details", "area"])
    pos = {q: i + 1 for i, q in enumerate(order)}
    reached, answered = {}, {}
    for _sid, ch, outcome, qs in read_rows(os.path.join(run, "pg-sessions.txt")):
        done = {pos[q] for q in qs.split(",") if q in pos}
        furthest = max(done, default=0)
        for k in pos.values():
            hit_a = k in done
            hit_r = hit_a or (outcome != "completed" and furthest == k - 1)
            for c in (ch, "total"):
                answered[(k, c)] = answered.get((k, c), 0) + hit_a
                reached[(k, c)] = reached.get((k, c), 0) + hit_r
    bad = []
    for attrs, cells in rows:
        k = pos[attrs["data-question"]]
        for a, text in cells:
            m = reached if a.get("data-measure") == "reached" else answered
            good, what = check_cell("%s/%s/%s" % (attrs["data-question"], a.get("data-measure"),
                                                   a.get("data-channel")), a, text,
                                    m.get((k, a.get("data-channel")), 0), min_cell)
            if not good:
                bad.append(what)
    ok("funnel: reached and answered per question and channel equal PostgreSQL's %s" % bad[:4],
       rows and not bad and all(len(c) == 6 for _, c in rows))
    drop = [reached.get((k, "total"), 0) - answered.get((k, "total"), 0) for k in pos.values()]
    ok("funnel: people stop at several questions %s" % drop, sum(1 for x in drop if x > 0) >= 3)


def check_breakdown(dom, run, flow, min_cell):
    rows = dom.tables.get("breakdown-%s-category" % flow, [])
    truth = {code: int(n) for code, n in read_rows(os.path.join(run, "pg-category.txt"))}
    truth["total"] = sum(truth.values())
    bad, hidden = [], []
    for attrs, cells in rows:
        code = attrs.get("data-code")
        a, text = cells[0]
        good, what = check_cell(code, a, text, truth.get(code, 0), min_cell)
        if not good:
            bad.append(what)
        if "data-suppressed" in a:
            hidden.append((code, a["data-suppressed"], text, truth.get(code, 0)))
    ok("breakdown by category: rows water, clinic, school, other, total",
       [r[0].get("data-code") for r in rows] == ["water", "clinic", "school", "other", "total"])
    ok("breakdown by category: counts equal PostgreSQL's %s" % bad[:4], rows and not bad)
    small = [h for h in hidden if h[1] == "primary"]
    ok("breakdown: a small cell is shown as suppressed, its number absent %s" % hidden,
       small and all(str(h[3]) not in h[2] for h in hidden) and small[0][2] == "suppressed (<%d)" % min_cell)


def check_area(dom, run, flow, min_cell):
    """The area breakdown is by region: every answer goes up to its coarsest area."""
    parent = {}
    with open(os.environ["AREAS"], encoding="utf-8") as f:
        for line in f.read().splitlines()[1:]:
            code, up = line.split(",")[:2]
            parent[code] = up
    truth = {}
    for (code,) in read_rows(os.path.join(run, "pg-area.txt")):
        while parent.get(code):
            code = parent[code]
        truth[code] = truth.get(code, 0) + 1
    truth["total"] = sum(truth.values())
    rows = dom.tables.get("breakdown-%s-area" % flow, [])
    codes = [r[0].get("data-code") for r in rows]
    ok("breakdown by area: the regions answered, prefer not to say, total %s" % codes,
       codes == sorted(c for c in truth if c not in ("refused", "total")) + ["refused", "total"])
    bad, hidden = [], 0
    for attrs, cells in rows:
        good, what = check_cell(attrs.get("data-code"), cells[0][0], cells[0][1],
                                truth.get(attrs.get("data-code"), 0), min_cell)
        hidden += "data-suppressed" in cells[0][0]
        if not good:
            bad.append(what)
    ok("breakdown by area: counts equal PostgreSQL's, coarsened to regions %s" % bad[:4],
       rows and not bad and hidden > 0)


def check_charts(dom, flow):
    names = [c.get("data-chart") for c in dom.canvases]
    ok("charts: timeline, funnel and one per breakdown %s" % names,
       {"timeline", "funnel", "breakdown-category", "breakdown-severity", "breakdown-area"}
       <= set(names))
    undrawn = [c.get("data-chart") for c in dom.canvases
               if c.get("data-drawn") != "1" or int(c.get("width", "0")) < 100
               or int(c.get("height", "0")) < 100 or int(c.get("data-painted", "0")) < 100]
    ok("charts: every canvas drawn, of real size, with paint on it %s" % undrawn,
       dom.canvases and not undrawn)


def check_disability(dom, path, run):
    """The WG-SS's derived variable `disability` is offered as a breakdown, its numbers PostgreSQL's."""
    rows = dom.tables.get("breakdown-disability-wg-ss-disability", [])
    truth = {code: int(n) for code, n in read_rows(os.path.join(run, "pg-disability.txt"))}
    truth["total"] = sum(truth.values())
    ok("breakdown by disability: rows 1 (the rule holds), 0, total %s" % [r[0].get("data-code") for r in rows],
       [r[0].get("data-code") for r in rows] == ["1", "0", "total"])
    bad = [w for w in (check_cell(a.get("data-code"), c[0][0], c[0][1], truth.get(a.get("data-code"), 0), 10)
                       for a, c in rows) if not w[0]]
    ok("breakdown by disability: counts equal PostgreSQL's %s %s" % (truth, bad),
       rows and not bad and truth.get("1") == 12 and truth.get("0") == 23)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    ok("breakdown by disability: titled as derived, its rule as the note",
       "disability (derived)" in text and "any_of [seeing, hearing, walking" in text)
    drawn = [c for c in dom.canvases if c.get("data-chart") == "breakdown-disability"]
    ok("breakdown by disability: its chart is drawn", len(drawn) == 1 and drawn[0].get("data-drawn") == "1")


def dom_mode(path, run, flow):
    dom = parse(path)
    ok("page finished loading (body data-state=%s)" % dom.body.get("data-state"),
       dom.body.get("data-state") == "ready")
    ok("one section for the flow", [s.get("data-flow") for s in dom.sections] == [flow])
    with open(path, encoding="utf-8") as f:
        text = f.read()
    min_cell = int(re.search(r'id="min-cell">(\d+)<', text).group(1))
    ok("min_cell shown in the legend is 10", min_cell == 10)
    ok("the token is not in the page", os.environ["TOKEN"] not in text)
    check_timeline(dom, run, flow, min_cell)
    check_funnel(dom, run, flow, min_cell)
    check_breakdown(dom, run, flow, min_cell)
    check_area(dom, run, flow, min_cell)
    check_charts(dom, flow)


def png_pixels(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and ctype in (2, 6), "8-bit RGB(A) expected"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    raw, stride, prev, out = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
    for y in range(h):
        ft, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pred = (0, a, b, (a + b) // 2,
                    a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else b if abs(p - b) <= abs(p - c) else c)[ft]
            line[i] = (line[i] + pred) & 0xFF
        out.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, out


def screenshot(path):
    w, h, rows = png_pixels(path)
    ok("screenshot is 1280 x 2000 (%d x %d)" % (w, h), (w, h) == (1280, 2000))
    colours = {"ussd": (0x1f, 0x77, 0xb4), "sms": (0xe0, 0x7b, 0x00), "reached": (0x6c, 0x8e, 0xbf),
               "answered": (0x2e, 0x7d, 0x32), "breakdown": (0x3f, 0x6f, 0xb5)}
    counts = {k: 0 for k in colours}
    for row in rows:
        for px in row:
            for k, c in colours.items():
                if max(abs(px[i] - c[i]) for i in range(3)) <= 6:
                    counts[k] += 1
    ok("screenshot: every chart's bars are painted (pixels per colour %s)" % counts,
       all(n >= 500 for n in counts.values()))


def main():
    mode = sys.argv[1]
    if mode == "dom":
        dom_mode(sys.argv[2], sys.argv[3], sys.argv[4])
    elif mode == "notoken":
        dom = parse(sys.argv[2])
        ok("no token: state idle, the form, no flow, no table",
           dom.body.get("data-state") == "idle" and dom.forms == 1 and not dom.sections
           and not dom.tables)
    elif mode == "other":
        dom = parse(sys.argv[2])
        ok("other token: ready, only its own flow %s" % [s.get("data-flow") for s in dom.sections],
           dom.body.get("data-state") == "ready"
           and [s.get("data-flow") for s in dom.sections] == ["disability-wg-ss"])
        check_disability(dom, sys.argv[2], sys.argv[3])
    elif mode == "revoked":
        dom = parse(sys.argv[2])
        ok("revoked token: state error, says the token is not valid (%r)" % dom.status,
           dom.body.get("data-state") == "error" and "not valid" in dom.status and not dom.tables)
    elif mode == "screenshot":
        screenshot(sys.argv[2])
    sys.exit(1 if fails else 0)


main()
