"""What a person sees of `mlbox report SWEEP`, read from the DOM (Chromium's --dump-dom, or the
HTML file): for every parameter, one chart whose points are the trials — one <circle
class="trial-pt"> per trial with the metric at (its value, its metric), one <path
class="trial-miss"> per trial without — placed where the axis puts them (log axis: x linear in
log10 of the value; a list: one x per value; y linear in the metric, higher is up), and the
best trial of `mlbox sweep status --json` ringed.

usage: check_sweep_report.py REPORT.html STATUS.json"""
import json
import math
import sys
from html.parser import HTMLParser

html_path, status_path = sys.argv[1], sys.argv[2]
status = json.load(open(status_path))
trials = {t["id"]: t for t in status["trials"]}


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts = {}  # param -> {"scale", "points": [...], "misses": [...], "rings": n}
        self.current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "svg" and "param-chart" in classes:
            self.current = self.charts.setdefault(
                a["data-param"], {"scale": a["data-scale"], "points": [], "misses": [], "rings": 0})
        if self.current is None:
            return
        if tag == "circle" and "trial-pt" in classes:
            self.current["points"].append(dict(a, best="best" in classes))
        if tag == "path" and "trial-miss" in classes:
            self.current["misses"].append(a)
        if tag == "circle" and "best-ring" in classes:
            self.current["rings"] += 1

    def handle_endtag(self, tag):
        if tag == "svg":
            self.current = None


page = Page()
page.feed(open(html_path).read())
params = sorted({p for t in status["trials"] for p in t["parameters"]})
assert sorted(page.charts) == params, f"charts for {sorted(page.charts)}, parameters {params}"
best = status["best"]["id"] if status.get("best") else None
for param, chart in page.charts.items():
    with_value = [t for t in status["trials"] if param in t["parameters"]]
    with_metric = [t for t in with_value if t["metric"] is not None]
    got = sorted(p["data-trial"] for p in chart["points"])
    assert got == sorted(t["id"] for t in with_metric), f"{param}: points for {got}"
    got = sorted(m["data-trial"] for m in chart["misses"])
    assert got == sorted(t["id"] for t in with_value if t["metric"] is None), \
        f"{param}: no-metric marks for {got}"
    for p in chart["points"]:
        t = trials[p["data-trial"]]
        assert p["data-x"] == t["parameters"][param], (param, p, t["parameters"])
        assert float(p["data-y"]) == t["metric"], (param, p, t["metric"])
        assert p["data-state"] == t["state"], (p, t["state"])
        assert p["best"] == (t["id"] == best), f"{param}: best mark on {p['data-trial']}, best {best}"
    for m in chart["misses"]:
        assert m["data-x"] == trials[m["data-trial"]]["parameters"][param], m
    assert chart["rings"] == (1 if best else 0), chart["rings"]
    # Where the points are: y linear in the metric, higher up for a higher metric.
    pts = [(float(p["cx"]), float(p["cy"]), float(p["data-x"]) if chart["scale"] != "categories"
            else p["data-x"], float(p["data-y"])) for p in chart["points"]]
    ys = sorted({(p[3], p[1]) for p in pts})
    if len({y for y, _ in ys}) >= 2:
        (m0, c0), (m1, c1) = ys[0], ys[-1]
        assert c1 < c0, f"{param}: a higher metric is drawn lower ({ys})"
        for m, c in ys:
            want = c0 + (m - m0) * (c1 - c0) / (m1 - m0)
            assert abs(c - want) < 0.05, f"{param}: metric {m} at y {c}, expected {want:.2f}"
    # x: log10 (log scale) or the value (linear) maps linearly; a list value has one x.
    if chart["scale"] == "categories":
        xs = {}
        for cx, _, v, _ in pts:
            assert xs.setdefault(v, cx) == cx, f"{param}: value {v} at two x positions"
        assert len(set(xs.values())) == len(xs), f"{param}: two values at one x ({xs})"
    else:
        f = math.log10 if chart["scale"] == "log" else (lambda v: v)
        xs = sorted({(f(v), cx) for cx, _, v, _ in pts})
        if len({v for v, _ in xs}) >= 2:
            (v0, c0), (v1, c1) = xs[0], xs[-1]
            assert c1 > c0, f"{param}: x axis reversed"
            for v, c in xs:
                want = c0 + (v - v0) * (c1 - c0) / (v1 - v0)
                assert abs(c - want) < 0.05, f"{param}: value {v} at x {c}, expected {want:.2f}"
        for m in chart["misses"]:
            v = f(float(m["data-x"]))
            hits = [c for w, c in xs if w == v]
            if hits:
                assert abs(float(m["data-cx"]) - hits[0]) < 0.05, (m, hits)
n = sum(len(c["points"]) + len(c["misses"]) for c in page.charts.values())
print(f"{len(page.charts)} parameter charts, {n} trial marks; best {best}")
