#!/usr/bin/env python3
"""check_dashboards: every Grafana dashboard queries only series the project writes.

For each grafana/dashboards/*.json: every panel (rows included) has targets; every target's
query (InfluxQL `query`, PromQL `expr`) has balanced brackets and quotes, names at least one
measurement or metric, and only
ones listed in tests/plan/known_series.txt under the datasource's type; every datasource
uid referenced anywhere (panels, targets, variables, annotations) is provisioned in
grafana/provisioning/datasources/; variable queries name only known series too.

usage: check_dashboards.py SOURCE_DIR
"""
import glob
import json
import os
import re
import sys

import plan_report

# InfluxQL: FROM "a", "b" / FROM a / FROM "rp"."a" (a list, up to WHERE/GROUP/WITH/...).
INFLUX_FROM = re.compile(r'\bFROM\s+(.+?)(?=\s+(?:WHERE|GROUP|WITH|ORDER|LIMIT|SLIMIT|OFFSET|FILL)\b|\s*$|\s*;)',
                         re.IGNORECASE | re.DOTALL)
INFLUX_SOURCE = re.compile(r'"((?:[^"\\]|\\.)*)"|([A-Za-z_][\w.]*)')

# PromQL words that are not metric names.
PROM_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                 "or", "unless", "offset", "inf", "nan", "atan2"}
PROM_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
UID_LINE = re.compile(r"^\s*(?:-\s*)?uid:\s*['\"]?([^'\"\s#]+)", re.MULTILINE)
TYPE_LINE = re.compile(r"^\s*(?:-\s*)?type:\s*['\"]?([^'\"\s#]+)", re.MULTILINE)


def read_known(path):
    known, section = {}, None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                known.setdefault(section, set())
            elif section is None:
                sys.exit(f"{path}:{n}: a name before any [section]")
            else:
                known[section].add(line)
    return known


def read_datasources(src):
    """Returns {uid: type} of the provisioned datasources (one '- name' item each)."""
    uids = {}
    for path in glob.glob(os.path.join(src, "grafana", "provisioning", "datasources", "*.y*ml")):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for item in re.split(r"^\s*-\s+(?=name:)", text, flags=re.MULTILINE)[1:]:
            uid, typ = UID_LINE.search(item), TYPE_LINE.search(item)
            if uid and typ:
                uids[uid.group(1)] = typ.group(1)
    return uids


def influx_names(query):
    names = []
    for m in INFLUX_FROM.finditer(query):
        for part in m.group(1).split(","):
            # "rp"."measurement": the measurement is the last source.
            sources = [a or b for a, b in INFLUX_SOURCE.findall(part.strip())]
            if sources:
                names.append(sources[-1])
    return names


def prom_names(expr):
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # strings
    e = re.sub(r"\{[^}]*\}", " ", e)          # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)         # ranges, subqueries
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\$\w+", " ", e)              # Grafana variables
    names = []
    for m in PROM_IDENT.finditer(e):
        word = m.group(0)
        rest = e[m.end():].lstrip()
        if rest.startswith("("):               # a function or aggregation
            continue
        if word.lower() in PROM_KEYWORDS or re.fullmatch(r"\d.*", word):
            continue
        before = e[:m.start()].rstrip()
        if before and (before[-1].isdigit() or before[-1] == "."):
            continue                           # part of a number such as 1e3
        names.append(word)
    return names


def balanced(text):
    """balanced tells whether (), [], {} nest and quotes close outside of strings."""
    pairs, stack, quote, i = {")": "(", "]": "[", "}": "{"}, [], None, 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "([{":
            stack.append(c)
        elif c in pairs:
            if not stack or stack.pop() != pairs[c]:
                return False
        i += 1
    return not stack and quote is None


def walk_panels(panels):
    for p in panels or []:
        yield p
        yield from walk_panels(p.get("panels"))


def ds_refs(node, where):
    """Yields (where, datasource) for every datasource reference in a JSON tree."""
    if isinstance(node, dict):
        ds = node.get("datasource")
        if ds is not None:
            yield where, ds
        for k, v in node.items():
            if k != "datasource":
                yield from ds_refs(v, where)
    elif isinstance(node, list):
        for v in node:
            yield from ds_refs(v, where)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    src = sys.argv[1]
    known = read_known(os.path.join(src, "tests", "plan", "known_series.txt"))
    datasources = read_datasources(src)
    errors = []
    if not datasources:
        errors.append("no datasource (uid + type) in grafana/provisioning/datasources/")
    files = sorted(glob.glob(os.path.join(src, "grafana", "dashboards", "*.json")))
    if not files:
        errors.append("no dashboards in grafana/dashboards/")
    ntargets = 0
    for path in files:
        rel = os.path.relpath(path, src)
        try:
            with open(path, encoding="utf-8") as f:
                dash = json.load(f)
        except (OSError, ValueError) as e:
            errors.append(f"{rel}: not valid JSON: {e}")
            continue

        def ds_type(ds, where):
            if isinstance(ds, str):      # legacy: a datasource name
                errors.append(f"{where}: datasource given by name {ds!r}; use {{type, uid}}")
                return None
            uid = ds.get("uid") if isinstance(ds, dict) else None
            if uid is None or uid.startswith("$"):
                errors.append(f"{where}: datasource without a fixed uid: {ds!r}")
                return None
            if uid in ("-- Grafana --", "grafana"):
                return "grafana"
            if uid not in datasources:
                errors.append(f"{where}: datasource uid {uid!r} is not provisioned "
                              f"(known: {', '.join(sorted(datasources))})")
                return None
            return datasources[uid]

        for where, ds in ds_refs(dash, rel):
            ds_type(ds, where)

        def check_query(where, typ, text):
            if not balanced(text):
                errors.append(f"{where}: unbalanced brackets or quotes: {text!r}")
            if typ == "influxdb":
                names = influx_names(text)
            elif typ == "prometheus":
                names = prom_names(text)
            else:
                errors.append(f"{where}: no check for datasource type {typ}")
                return
            if not names:
                errors.append(f"{where}: query names no {typ} series: {text!r}")
            for n in names:
                if n not in known.get(typ, set()):
                    errors.append(f"{where}: {n!r} is not a series the project writes "
                                  f"(tests/plan/known_series.txt [{typ}])")

        for panel in walk_panels(dash.get("panels")):
            if panel.get("type") == "row":
                continue
            where = f"{rel}: panel {panel.get('title')!r}"
            targets = panel.get("targets") or []
            if not targets:
                errors.append(f"{where}: no targets")
            for t in targets:
                twhere = f"{where} target {t.get('refId')}"
                typ = ds_type(t.get("datasource") or panel.get("datasource"), twhere)
                if typ is None:
                    continue
                text = t.get("query") if typ == "influxdb" else t.get("expr")
                if not isinstance(text, str) or not text.strip():
                    errors.append(f"{twhere}: no query text (raw InfluxQL `query` / PromQL `expr`)")
                    continue
                ntargets += 1
                check_query(twhere, typ, text)
        for var in (dash.get("templating") or {}).get("list", []):
            if var.get("type") != "query":
                continue
            where = f"{rel}: variable ${var.get('name')}"
            typ = ds_type(var.get("datasource"), where)
            q = var.get("query")
            if isinstance(q, dict):
                q = q.get("query")
            if typ in ("influxdb", "prometheus") and isinstance(q, str):
                if typ == "prometheus":
                    m = re.match(r"\s*label_values\(\s*([^,)]+)", q)
                    q = m.group(1) if m else q
                check_query(where, typ, q)
    return plan_report.finish(
        "check_dashboards", errors,
        f"{len(files)} dashboards, {ntargets} panel queries, "
        f"datasources {', '.join(sorted(datasources))}: all known")


if __name__ == "__main__":
    sys.exit(main())
