#!/usr/bin/env python3
"""report: turns a bench/run run folder into results.md, results.json and a chart per cell.

Usage: bench/report.py RUN_DIR  (bench/run calls it at the end of a run)

RUN_DIR holds cells.jsonl (one record per cell, written by bench/run) and cells/ with what
each cell left: NAME.txt (the tool's output), NAME.loadgen (the load generator's CPU ticks
and wall time), NAME.probes (the fresh clients' answers), NAME.samples.csv (bench/sample:
CPU % and RSS MB of every process once a second) and, for nngbench, NAME.progress (its line
a second). The run's description comes from the environment bench/run exports (STAMP,
STARTED, FINISHED, NPROC, CPU_MODEL, COMMIT, QUICK, INFLUX, RSS_KB, PINNED, SERVICE_CPU,
LOADGEN_CPU, LOAD_START, LOAD_END); without STARTED (the report written again from the
folder alone) from the folder's results.json, else missing ones read as unknown.

Charts need gnuplot (Debian's gnuplot-nox; BENCH_GNUPLOT names another binary): without it
the report says so and has no charts, and the run does not fail.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SERVED_MIN = 0.90  # a cell serving fewer of its connections than this is marked
PROBE_SECONDS = 2  # bench/run's PROBE_SECONDS: a probe answered later counts as unanswered
# The order of processes in the tables and charts; service-N instances come first.
PROCESS_ORDER = ["bridge", "edge", "postgres", "redis", "nginx", "wrk", "nngbench", "push", "line"]
# bench/sample's whole cores (core-N: every process of the machine on CPU N; no RSS) come last.
# Cells of issue 9's other rows and issue 10's slow clients, which are no load cells: no line
# in the Results table (slow has a section of its own).
CHECK_SCENARIOS = ("freshness", "line", "slow")


def env(name, default=""):
    return os.environ.get(name, default)


def size(b):
    b = float(b or 0)
    for unit, f in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= f:
            return "%.1f %s" % (b / f, unit)
    return "%d B" % b


def ms(v):
    return "-" if v is None else ("%.2f" % v)


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def loadgen_use(text):
    """loadgen_use parses NAME.loadgen ("tool=wrk pid=1 cpu_ticks=450 tck=100 wall_us=5001234")
    into the generator's CPU seconds, wall seconds and % of one core, or returns None."""
    if not text:
        return None
    kv = dict(re.findall(r"(\w+)=(\S+)", text))
    try:
        cpu = int(kv["cpu_ticks"]) / float(kv["tck"])
        wall = int(kv["wall_us"]) / 1e6
    except (KeyError, ValueError, ZeroDivisionError):
        return None
    return {"tool": kv.get("tool"), "cpuSeconds": round(cpu, 2), "wallSeconds": round(wall, 2),
            "cpuPct": round(100.0 * cpu / wall, 1) if wall > 0 else None}


def probe_results(text):
    """probe_results parses NAME.probes (a line per fresh client: "answered|unanswered SECONDS
    DETAIL") into counts and the slowest time, or returns None when no probe ran."""
    if not text or not text.strip():
        return None
    lines = [l.split() for l in text.splitlines() if l.strip()]
    answered = [l for l in lines if l[0] == "answered"]
    times = []
    for l in answered:
        try:
            times.append(float(l[1]))
        except (IndexError, ValueError):
            pass
    return {"sent": len(lines), "answered": len(answered),
            "slowestSeconds": round(max(times), 3) if times else None,
            "details": [" ".join(l[1:]) for l in lines]}


def read_samples(path):
    """read_samples reads a bench/sample CSV: the process names in column order and the rows
    (elapsed seconds and, per name, CPU % and RSS MB, None where empty), or None."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError:
        return None
    if not rows or len(rows[0]) < 3:
        return None
    names = [h[: -len("_cpu_pct")] for h in rows[0][1::2]]

    def num(v):
        try:
            return float(v)
        except ValueError:
            return None

    data = [[num(v) for v in r] for r in rows[1:] if len(r) == len(rows[0])]
    return names, data


def process_summary(samples):
    """process_summary gives each sampled process its mean and peak CPU % and peak RSS MB."""
    names, data = samples
    out = {}
    for i, name in enumerate(names):
        cpu = [r[1 + 2 * i] for r in data if r[1 + 2 * i] is not None]
        rss = [r[2 + 2 * i] for r in data if r[2 + 2 * i] is not None]
        out[name] = {"cpuPctMean": round(sum(cpu) / len(cpu), 1) if cpu else None,
                     "cpuPctMax": max(cpu) if cpu else None,
                     "rssMBMax": max(rss) if rss else None, "samples": len(cpu)}
    return out


def process_order(name):
    if name.startswith("service-"):
        return (0, name)
    if name.startswith("core-"):
        return (len(PROCESS_ORDER) + 2, name)
    return (1 + (PROCESS_ORDER.index(name) if name in PROCESS_ORDER else len(PROCESS_ORDER)), name)


PROGRESS = re.compile(r"^\[\s*([0-9.]+)s\]\s+vus=(\d+)\s+requests=\d+\s+rate=([0-9.]+)/s\s+p95=([0-9.]+)ms")


def rate_series(progress, offset):
    """rate_series turns nngbench's progress lines into (seconds since the generator started,
    rate/s, p95 ms, VUs) rows; offset is its set-up time (its progress counts from the end of
    set-up)."""
    rows = []
    for line in (progress or "").splitlines():
        m = PROGRESS.match(line)
        if m:
            rows.append((float(m.group(1)) + offset, float(m.group(3)), float(m.group(4)),
                         int(m.group(2))))
    return rows


def measure(c, out):
    """measure adds to cell c what its files under out/cells say: the load generator's CPU,
    the connections served by Little's law, the probes, the processes and the rate series."""
    name = c.get("cell")
    r = c.get("result") or {}
    m = {}
    cells = os.path.join(out, "cells")
    if name:
        m["loadgen"] = loadgen_use(read_text(os.path.join(cells, name + ".loadgen")))
        m["probes"] = probe_results(read_text(os.path.join(cells, name + ".probes")))
        samples = read_samples(os.path.join(cells, name + ".samples.csv"))
        if samples:
            m["samplesFile"] = "cells/%s.samples.csv" % name
            m["processes"] = process_summary(samples)
        progress = read_text(os.path.join(cells, name + ".progress"))
        if progress:
            lg = m.get("loadgen") or {}
            offset = max(0.0, (lg.get("wallSeconds") or 0) - (r.get("durationSeconds") or 0))
            series = rate_series(progress, offset)
            if series:
                m["rateFile"] = "cells/%s.rate.csv" % name
                with open(os.path.join(out, m["rateFile"]), "w") as f:
                    f.write("elapsed_s,rate,p95_ms,vus\n")
                    f.writelines("%.1f,%.0f,%.2f,%d\n" % row for row in series)
    conns = c["connections"]
    if c["transport"] == "nng" and r.get("vusMax"):
        conns = r["vusMax"]
    rate, avg = r.get("rate"), (r.get("latencyMs") or {}).get("avg")
    if rate is not None and avg is not None and conns:
        served = rate * avg / 1000.0
        # Little's law counts connections busy with a request: where a VU waits between
        # requests (flow's polling) or ramps (nngbench stress), fewer are busy by design.
        applies = c["scenario"] not in ("flow", "arena") and not (c["transport"] == "nng" and c["type"] == "stress")
        m["served"] = {"connections": conns, "littleLaw": round(served, 1),
                       "fraction": round(served / conns, 3), "marked": applies}
    unserved = []
    s, p = m.get("served"), m.get("probes")
    if s and s["marked"] and s["fraction"] < SERVED_MIN:
        unserved.append("%.0f%% of connections served" % (100 * s["fraction"]))
    if p and p["answered"] < p["sent"]:
        unserved.append("%d of %d probes unanswered" % (p["sent"] - p["answered"], p["sent"]))
    m["allServed"] = None if not (s or p) else not unserved
    m["unserved"] = unserved
    c["measured"] = m


def memory_file(c, out):
    """memory_file writes cells/NAME.memory.csv (elapsed_s, service instances + bridge RSS MB)
    for a memory cell (push connections held open) and returns its path, else ''."""
    if not c.get("push") and c["scenario"] != "memory":
        return ""
    series = memory_series(c, out)
    if not series:
        return ""
    path = os.path.join(out, "cells", "%s.memory.csv" % c["cell"])
    with open(path, "w") as f:
        f.write("elapsed_s,service_bridge_rss_mb\n")
        f.writelines("%.1f,%.1f\n" % (t, mb) for t, mb, _ in series)
    return path


def draw_chart(c, out, gnuplot):
    """draw_chart draws cells/NAME.png with gnuplot (bench/chart.gp); returns its path under
    out, or None (a warning on stderr) when it could not."""
    m = c["measured"]
    if "samplesFile" not in m:
        return None
    names = sorted(m["processes"], key=process_order)
    order = list(m["processes"])  # column order in the CSV
    png = "cells/%s.png" % c["cell"]
    heading = "%s %s %s, %d %s" % (c["scenario"], c["type"], c["transport"], c["connections"],
                                   "VUs" if c["transport"] == "nng" else "connections")
    rate = (c.get("result") or {}).get("rate")
    if rate:
        heading += ": %.0f/s" % rate
    args = {"samples": os.path.join(out, m["samplesFile"]),
            "rates": os.path.join(out, m["rateFile"]) if "rateFile" in m else "",
            "out": os.path.join(out, png), "heading": heading, "memory": memory_file(c, out),
            "limit": str(MEMORY_MB_MAX),
            # gnuplot's word(): process names and their CSV columns, in display order.
            "names": " ".join(names),
            "columns": " ".join(str(2 + 2 * order.index(n)) for n in names),
            "rssnames": " ".join(n for n in names if not n.startswith("core-")),
            "rsscolumns": " ".join(str(3 + 2 * order.index(n)) for n in names
                                   if not n.startswith("core-"))}
    setup = "; ".join("%s='%s'" % (k, v.replace("'", "")) for k, v in args.items())
    try:
        res = subprocess.run([gnuplot, "-e", setup, os.path.join(HERE, "chart.gp")],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        print("bench: chart of %s failed: %s" % (c["cell"], e), file=sys.stderr)
        return None
    if res.returncode != 0 or not os.path.exists(args["out"]):
        print("bench: chart of %s failed: %s" % (c["cell"], res.stderr.strip()), file=sys.stderr)
        return None
    return png


def run_meta():
    rss_kb = env("RSS_KB", "0")
    return {
        "date": env("STARTED", "unknown"), "finished": env("FINISHED", "unknown"),
        "machine": {"nproc": int(env("NPROC", "0") or 0), "cpuModel": env("CPU_MODEL", "unknown")},
        "commit": env("COMMIT", "unknown"), "quick": env("QUICK") == "1",
        "pinning": ("service instances, bridge and nginx on CPU %s; wrk and nngbench on CPU %s"
                    % (env("SERVICE_CPU"), env("LOADGEN_CPU")))
        if env("PINNED") == "1" else "none (one CPU)",
        "serviceAndBridgeRssMB": round(int(rss_kb or 0) / 1024.0, 1),
        "influx": env("INFLUX") or None,
        "loadAverage": {"start": env("LOAD_START", "?"), "end": env("LOAD_END", "?")},
        "warmupSeconds": 0 if env("QUICK") == "1" else int(env("WARMUP_SECONDS", "0") or 0),
    }


def results_table(cells):
    """results_table: one row per cell, the figures of the tools and of measure()."""
    ref = {c["type"]: (c.get("result") or {}).get("rate") for c in cells if c["transport"] == "nginx"}
    rest = {(c["scenario"], c["type"]): (c.get("result") or {}).get("rate")
            for c in cells if c["transport"] == "http"}
    rows = []
    for c in cells:
        if c["scenario"] in CHECK_SCENARIOS:
            continue
        r = c.get("result") or {}
        m = c.get("measured") or {}
        lat = r.get("latencyMs", {})
        # The memory soak cell has no nginx reference of its connections.
        nginx = ref.get(c["type"]) if c["scenario"] != "memory" else None
        rate = r.get("rate")
        ratio = "%.3f" % (rate / nginx) if rate and nginx else "-"
        vs_rest = "-"
        if c["transport"] == "nng":
            h = rest.get((c["scenario"], c["type"]))
            vs_rest = "%.2f" % (rate / h) if rate and h else "-"
        vus = r.get("vusMax", c["connections"]) if c["transport"] == "nng" else c["connections"]
        if c["transport"] == "nng" and r.get("vus") and r.get("vusMax") != r.get("vus"):
            vus = "%s (max %s)" % (r.get("vus"), r.get("vusMax"))
        fails = "-" if not r else "%.2f%%" % (100.0 * r.get("failureRate", 0))
        if r and c["transport"] != "nng" and r.get("non2xx"):
            fails += " (%d non-2xx)" % r["non2xx"]
        se = r.get("socketErrors") or {}
        if sum(se.values() or [0]):
            fails += " sock:%s" % "/".join(str(se.get(k, 0)) for k in ("connect", "read", "write", "timeout"))
        lg = m.get("loadgen") or {}
        s = m.get("served")
        p = m.get("probes")
        served = "-"
        if s:
            served = "%.0f (%.0f%%)" % (s["littleLaw"], 100 * s["fraction"])
            if not s["marked"]:
                served += " n/a"
        probes = "-"
        if p:
            probes = "%d/%d, %s" % (p["answered"], p["sent"],
                                    ">%d s" % PROBE_SECONDS if p["answered"] < p["sent"] else
                                    ("%.3f s" % p["slowestSeconds"] if p["slowestSeconds"] is not None else "-"))
        all_served = {None: "-", True: "yes", False: "**NO**"}[m.get("allServed")]
        rows.append([c["scenario"], c["type"], c["transport"], str(vus),
                     str(r.get("requests", "-")), "%.0f" % rate if rate else "-",
                     ms(lat.get("avg")), ms(lat.get("min")), ms(lat.get("med")), ms(lat.get("p90")),
                     ms(lat.get("p95")), ms(lat.get("p99")), ms(lat.get("max")), fails,
                     size(r.get("dataSent")), size(r.get("dataReceived")),
                     "%.0f" % nginx if nginx else "-", ratio, vs_rest,
                     "%.0f%%" % lg["cpuPct"] if lg.get("cpuPct") is not None else "-",
                     served, probes, all_served])
    head = ["scenario", "type", "transport", "conns/VUs", "requests", "rate/s", "avg ms", "min",
            "med", "p90", "p95", "p99", "max", "failures", "sent", "received", "nginx rate/s",
            "x nginx", "NNG x REST", "load gen CPU", "served (Little)", "probes", "all served"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines, ref, rest


# Issue 9's targets. REST: scenario -> (what, x nginx needed by test type, whether a timeout
# counts as an error too); load runs 100 connections, peak 1,000.
REST_TARGETS = {"seats": ("seat map", {"load": 0.40, "peak": 0.40}, True),
                "tokens": ("token issue", {"load": 0.20, "peak": 0.15}, False)}
TARGET_TYPES = ("load", "peak")
P99_X_MEAN = 2.0  # p99 at most this many times the cell's mean latency
NNG_X_REST = 1.5  # seat map over NNG vs REST, same type
FLOW_RATES = {"nng": 1000, "http": 500}  # completed purchases/s
FLOW_SECONDS = 60  # "sustained 60 s"
NOT_RUN = "not run"
FRESH_BOUND_MS = 100  # every other bridge and instance within this (p99)
LINE_DEPTH = 1000000  # waiting tokens of the long line
LINE_RATE_MIN = 0.90  # issue and status on the long line: at least this x the empty line's rate
LINE_BYTES_MAX = 200  # bytes of Redis per waiting token
MEMORY_MB_MAX = 200   # service + bridge resident memory
MEMORY_PUSH = 10000   # push connections held open in the memory cells
MEMORY_CONNS = 1000   # REST connections beside them
SOAK_SECONDS = 1800   # the memory soak's length
SOAK_WINDOW = 300     # flat: the last window's peak <= SOAK_GROWTH x the first window's
SOAK_GROWTH = 1.1


def cell_of(cells, scenario, type_, transport):
    """cell_of: the cell of this run with a result for scenario, type and transport, or None."""
    for c in cells:
        if (c["scenario"], c["type"], c["transport"]) == (scenario, type_, transport) and c.get("result"):
            return c
    return None


def cell_errors(r):
    """cell_errors: a cell's failed requests as its tool counts them (wrk: non-2xx but the
    expected and socket errors, timeouts included; nngbench: error statuses) and, of them,
    the timeouts wrk saw."""
    n = r.get("failures")
    if n is None:
        n = round(r.get("failureRate", 0) * r.get("requests", 0))
    return n, (r.get("socketErrors") or {}).get("timeout", 0)


def flow_payments(c):
    """flow_payments: the payments of a flow cell (its invariants' count) and per second of its
    duration, or (None, None)."""
    r = c.get("result") or {}
    paid = r.get("payments", (r.get("flow") or {}).get("payments"))
    secs = r.get("durationSeconds")
    if paid is None or not secs:
        return None, None
    return paid, paid / secs


def seats_left(c):
    """seats_left: a flow cell's seats left at its end (bench/run's SQL, else nngbench's own
    count), or None."""
    left = c.get("seatsLeft")
    if left is None:
        left = ((c.get("result") or {}).get("flow") or {}).get("seatsLeft")
    return left


def memory_series(c, out):
    """memory_series: per sample of cell c, (elapsed s, service instances + bridge RSS MB, the
    parts as {name: MB}), from its samples; [] without samples."""
    m = c.get("measured") or {}
    samples = read_samples(os.path.join(out, m["samplesFile"])) if m.get("samplesFile") else None
    if not samples:
        return []
    names, data = samples
    cols = [(n, 2 + 2 * i) for i, n in enumerate(names)
            if n == "bridge" or n.startswith("service-")]
    series = []
    for r in data:
        parts = {n: r[k] for n, k in cols if r[k] is not None}
        if parts:
            series.append((r[0], sum(parts.values()), parts))
    return series


def push_held(c):
    """push_held: whether cell c held its push connections the whole cell (all answered 200,
    none closed early), and how that reads."""
    p, want = c.get("push"), c.get("pushConnections", MEMORY_PUSH)
    if not p:
        return False, "the push connections did not open"
    ok = p.get("accepted") == want and not p.get("closedEarly") and not p.get("refused")
    return ok, "{:,} of {:,} push connections answered 200, {} refused, {} closed early".format(
        p.get("accepted", 0), want, p.get("refused", 0), p.get("closedEarly", 0))


def memory_rows(cells, out, row):
    """memory_rows: issue 9's memory row at 1,000 REST connections with push connections held
    open (the seats peak cell through the edge) and over the soak (its own memory cell)."""
    label = ("memory: service + bridge <= {} MB at {:,} REST connections + {:,} push "
             "connections (peak)").format(MEMORY_MB_MAX, MEMORY_CONNS, MEMORY_PUSH)
    c = cell_of(cells, "seats", "peak", "http")
    if not c:
        row(label, None, NOT_RUN)
    else:
        series = memory_series(c, out)
        held, how = push_held(c)
        if not series:
            row(label, False, "no samples; " + how)
        else:
            t, mb, parts = max(series, key=lambda x: x[1])
            row(label, mb <= MEMORY_MB_MAX and held, "%.0f MB at most (%s at %.0f s), %s" % (
                mb, ", ".join("%s %.0f" % kv for kv in sorted(parts.items())), t, how))
    label = ("memory: flat over a {}-minute soak at {:,} REST + {:,} push connections (peak of "
             "the last {} min <= {:g} x the first {} min's), <= {} MB").format(
        SOAK_SECONDS // 60, MEMORY_CONNS, MEMORY_PUSH, SOAK_WINDOW // 60, SOAK_GROWTH,
        SOAK_WINDOW // 60, MEMORY_MB_MAX)
    c = next((c for c in cells if c["scenario"] == "memory"), None)
    if not c:
        row(label, None, NOT_RUN + " (--type soak runs it)")
        return
    series = memory_series(c, out)
    held, how = push_held(c)
    if len(series) < 2:
        row(label, False, "no samples; " + how)
        return
    span = series[-1][0] - series[0][0]
    # A shorter soak (--quick) compares its first and last sixth, as 5 of 30 minutes.
    window = SOAK_WINDOW if span >= SOAK_SECONDS - 60 else max(span * SOAK_WINDOW / SOAK_SECONDS, 1)
    first = max(mb for t, mb, _ in series if t <= series[0][0] + window)
    last = max(mb for t, mb, _ in series if t >= series[-1][0] - window)
    peak = max(mb for _, mb, _ in series)
    ok = last <= SOAK_GROWTH * first and peak <= MEMORY_MB_MAX and held
    got = ("%.0f s sampled: %.1f MB peak in the first %.0f s, %.1f MB in the last (%.3f x), "
           "%.0f MB at most; %s" % (span, first, window, last, last / first if first else 0, peak,
                                    how))
    if span < SOAK_SECONDS - 60:
        row(label, False, got + "; ran %.0f s, not %d" % (span, SOAK_SECONDS),
            verdict="FAIL (too short)" if ok else None)
    else:
        row(label, ok, got)


def freshness_rows(cells, row):
    """freshness_rows: per observer (the writing instance, every other instance, the bridge),
    the delay until a seat change shows: p99 within 100 ms, none missed."""
    c = next((c for c in cells if c["scenario"] == "freshness"), None)
    label = "freshness: %s sees a seat change within %d ms (p99), none missed"
    if not c or not c.get("result"):
        row(label % ("every instance and bridge", FRESH_BOUND_MS), None, NOT_RUN)
        return
    observers = c["result"].get("observers") or []
    if not observers:
        row(label % ("every instance and bridge", FRESH_BOUND_MS), False, "no observer measured")
    for o in observers:
        ok = o.get("p99Ms", 1e9) <= FRESH_BOUND_MS and o.get("missed", 1) == 0 and o.get("changes")
        row(label % (o.get("observer", "?"), FRESH_BOUND_MS), bool(ok),
            "p50 %.2f ms, p99 %.2f ms, max %.2f ms over %d changes; %d over %d ms, %d missed" % (
                o.get("p50Ms", 0), o.get("p99Ms", 0), o.get("maxMs", 0), o.get("changes", 0),
                o.get("over100Ms", 0), FRESH_BOUND_MS, o.get("missed", 0)))
    if c.get("instances", 2) < 2:
        row(label % ("another instance (seat events)", FRESH_BOUND_MS), None,
            NOT_RUN + " (one instance: `./boxoffice up --instances 2`)")


def line_rows(cells, row):
    """line_rows: the long line (bench/line): token issue and status at the back of a line of
    LINE_DEPTH against an empty line's, and Redis's bytes per waiting token; a shallower line
    (--quick) fails as too shallow whatever it measured."""
    c = next((c for c in cells if c["scenario"] == "line"), None)
    labels = ["long line: token issue at {:,} waiting >= {:.2f} x its empty-line rate".format(
                  LINE_DEPTH, LINE_RATE_MIN),
              "long line: token status at {:,} waiting >= {:.2f} x its empty-line rate".format(
                  LINE_DEPTH, LINE_RATE_MIN),
              "long line: <= {} B of Redis per waiting token at {:,}".format(LINE_BYTES_MAX,
                                                                             LINE_DEPTH)]
    r = (c or {}).get("result")
    if not r:
        for label in labels:
            row(label, None, NOT_RUN)
        return
    depth = r.get("tokens", 0)
    at = "{:,} deep".format(depth)
    checks = []
    for op in ("issue", "use"):
        e, d = r.get(op + "_empty") or {}, r.get(op + "_deep") or {}
        ratio = (r.get(op + "_deep_over_empty") or {})
        checks.append((ratio.get("rate", 0) >= LINE_RATE_MIN,
                       "%s: %.3f x (%.0f -> %.0f calls/s); Redis CPU per call %.1f -> %.1f us "
                       "(%.3f x)" % (at, ratio.get("rate", 0), e.get("rate", 0), d.get("rate", 0),
                                     e.get("cpu_us", 0), d.get("cpu_us", 0),
                                     ratio.get("cpu_us", 0))))
    used = r.get("bytes_per_token_used_memory", 1e9)
    usage = r.get("bytes_per_token_memory_usage", 1e9)
    checks.append((max(used, usage) <= LINE_BYTES_MAX,
                   "%s: %.1f B (used_memory growth), %.1f B (MEMORY USAGE of %s keys)" % (
                       at, used, usage, "{:,}".format(r.get("keys", 0)))))
    for label, (ok, got) in zip(labels, checks):
        if depth < LINE_DEPTH:
            row(label, False, got + "; not {:,} deep".format(LINE_DEPTH),
                verdict="FAIL (too shallow)" if ok else None)
        else:
            row(label, ok, got)


def flow_loop(c, paid):
    """flow_loop: how a flow cell's closed loop spent each VU's time per purchase: requests a
    purchase at the cell's mean latency against the time a purchase took (VUs x duration /
    payments); what is left over is pauses (polling until ACTIVE)."""
    r = c.get("result") or {}
    conns = r.get("vusMax") or c.get("connections")
    avg = (r.get("latencyMs") or {}).get("avg")
    n, secs = r.get("requests"), r.get("durationSeconds")
    if not (paid and conns and avg and n and secs):
        return ""
    per = n / float(paid)
    return "; closed loop: %.1f requests a purchase x %.1f ms mean = %.0f ms of the %.0f ms a " \
           "purchase took each of %d VUs" % (per, avg, per * avg, 1000.0 * conns * secs / paid,
                                             conns)


def cpu_split(c):
    """cpu_split: where a cell's CPU went (mean % of one core per sampled process, the pinned
    core's processes summed), busiest first: what limits it."""
    procs = (c.get("measured") or {}).get("processes") or {}
    mean = {n: p["cpuPctMean"] for n, p in procs.items() if p.get("cpuPctMean") is not None}
    cores = sorted((n, v) for n, v in mean.items() if n.startswith("core-"))
    mean = {n: v for n, v in mean.items() if not n.startswith("core-")}
    if not mean:
        return ""
    pinned = sum(v for n, v in mean.items() if n in ("bridge", "edge") or n.startswith("service-"))
    parts = sorted(mean.items(), key=lambda kv: -kv[1])
    return "; CPU (mean %% of a core): %s; service + bridge + edge %.0f%% of their core%s" % (
        ", ".join("%s %.0f%%" % kv for kv in parts), pinned,
        "".join("; %s %.0f%% busy (every process of the machine)" % kv for kv in cores))


def rest_rows(cells, ref, row):
    """rest_rows: issue 9's seat map and token issue rows over REST at 100 and 1,000."""
    for scenario, (what, ratios, timeouts) in REST_TARGETS.items():
        for t in TARGET_TYPES:
            c = cell_of(cells, scenario, t, "http")
            at = "at %s conns (%s)" % ("{:,}".format(c["connections"]) if c else
                                       {"load": "100", "peak": "1,000"}[t], t)
            need = ratios[t]
            labels = ["%s REST >= %.2f x nginx %s" % (what, need, at),
                      "%s REST every connection served %s" % (what, at),
                      "%s REST p99 <= %g x mean %s" % (what, P99_X_MEAN, at),
                      "%s REST 0 errors%s %s" % (what, " or timeouts" if timeouts else "", at)]
            nginx = ref.get(t)
            if not c or not nginx:
                for label in labels:
                    row(label, None, NOT_RUN if not c else "no nginx reference of %s" % t)
                continue
            r, m = c["result"], c.get("measured") or {}
            x = (r.get("rate") or 0) / nginx
            row(labels[0], x >= need, "%.3f x (%.0f/s, nginx %.0f/s)" % (x, r.get("rate") or 0, nginx))
            s, p = m.get("served"), m.get("probes")
            got = ", ".join(([("%.0f%% served" % (100 * s["fraction"]))] if s else []) +
                            (["%d/%d probes" % (p["answered"], p["sent"])] if p else [])) or "not measured"
            row(labels[1], m.get("allServed") is True, got)
            lat = r.get("latencyMs") or {}
            p99, avg = lat.get("p99"), lat.get("avg")
            ok = p99 is not None and avg and p99 <= P99_X_MEAN * avg
            row(labels[2], ok, "%s ms p99, %s ms mean (%s x)" % (
                ms(p99), ms(avg), "%.2f" % (p99 / avg) if p99 is not None and avg else "-"))
            n, timed_out = cell_errors(r)
            row(labels[3], n == 0, "%d%s" % (n, " (%d timeouts)" % timed_out if timed_out else ""))


def nng_rows(cells, rest, row):
    """nng_rows: seat map over NNG against REST of the same type (load, peak and any other
    type run with both)."""
    types = list(TARGET_TYPES) + [c["type"] for c in cells if c["scenario"] == "seats" and
                                  c["type"] not in TARGET_TYPES and c["transport"] == "nng"]
    for t in dict.fromkeys(types):
        c, h = cell_of(cells, "seats", t, "nng"), rest.get(("seats", t))
        label = "seat map NNG >= %.1f x REST (%s)" % (NNG_X_REST, t)
        if not c or not h:
            if t in TARGET_TYPES:
                row(label, None, NOT_RUN)
            continue
        rate = c["result"].get("rate") or 0
        row(label, rate >= NNG_X_REST * h, "%.2f x (%.0f/s vs %.0f/s)" % (rate / h, rate, h))


def flow_rows(cells, row):
    """flow_rows: completed purchases/s of the full flow per transport, sustained 60 s, SQL
    invariants holding and seats left at the end (the load cell; other types run too)."""
    types = ["load"] + [c["type"] for c in cells if c["scenario"] == "flow" and c["type"] != "load"]
    for t in dict.fromkeys(types):
        for transport, need in FLOW_RATES.items():
            c = cell_of(cells, "flow", t, transport)
            label = "full flow >= {:,} purchases/s over {} ({}, >= {} s, invariants hold)".format(
                need, "NNG" if transport == "nng" else "REST", t, FLOW_SECONDS)
            if not c:
                if t == "load":
                    row(label, None, NOT_RUN)
                continue
            paid, rate = flow_payments(c)
            if rate is None:
                row(label, False, "no payment count")
                continue
            secs = c["result"]["durationSeconds"]
            inv = c.get("sqlInvariants") or {}
            inv_ok = bool(inv) and all(v == 0 for v in inv.values())
            left = seats_left(c)
            got = "%.0f/s (%d payments / %.1f s), invariants %s, seats left %s%s" % (
                rate, paid, secs, "ok" if inv_ok else "BROKEN" if inv else "not checked",
                "-" if left is None else ("**0 (sold out)**" if left == 0 else "{:,}".format(left)),
                flow_loop(c, paid) + cpu_split(c))
            if secs < FLOW_SECONDS - 1:
                row(label, False, got + "; ran %.0f s, not %d" % (secs, FLOW_SECONDS),
                    verdict="FAIL (too short)" if rate >= need and inv_ok else None)
            else:
                row(label, rate >= need and inv_ok, got)


def targets_table(cells, ref, rest, out):
    """targets_table: issue 9's targets, each row computed from this run's cells (out: the run
    folder, for the samples); a row whose cell the run lacks says "not run" (never PASS)."""
    targets = []

    def row(label, ok, got, verdict=None):
        if verdict is None:
            verdict = "PASS" if ok else ("FAIL" if ok is not None else got)
        targets.append("| %s | %s | %s |" % (label, got if ok is not None else "-", verdict))

    rest_rows(cells, ref, row)
    nng_rows(cells, rest, row)
    flow_rows(cells, row)
    line_rows(cells, row)
    memory_rows(cells, out, row)
    freshness_rows(cells, row)
    return targets


def warmup_section(cells, out):
    """The warm-ups of the read cells: the first seconds under load, which the rows above leave
    out (through the edge, the opening of its connections to the bridge)."""
    rows = []
    for c in cells:
        path = os.path.join(out, "cells", c["cell"] + ".warmup.txt")
        try:
            with open(path) as f:
                lines = [l[len("WRK_JSON "):] for l in f if l.startswith("WRK_JSON ")]
            w = json.loads(lines[-1]) if lines else None
        except (OSError, ValueError):
            w = None
        if not w:
            continue
        lat = w.get("latencyMs", {})
        avg = lat.get("avg", 0) or 0
        rows.append("| %s | %d | %.0f/s | %s | %s | %s |" % (
            c["cell"], c.get("connections", 0), w.get("rate", 0), ms(avg), ms(lat.get("p99", 0)),
            "%.2f x" % (lat.get("p99", 0) / avg) if avg > 0 else "-"))
    if not rows:
        return []
    return ["", "## Warm-ups (the first seconds of each read cell, before its measured part)", "",
            "| cell | conns | rate | mean ms | p99 ms | p99 / mean |", "|---|---|---|---|---|---|"] + rows


def slow_section(cells):
    """slow_section: issue 10's slow clients (nngbench --slow): the normal client's figures
    alone and beside the slow clients, their ratio, and how many slow clients the edge held."""
    c = next((c for c in cells if c["scenario"] == "slow"), None)
    if not c:
        return []
    r = c.get("result")
    md = ["", "## Slow clients (issue 10: a normal client from 127.0.0.1 through the edge, alone "
          "and beside %s slow clients)" % "{:,}".format(c["connections"]), ""]
    if not r:
        return md + ["No result (see `cells/slow.progress`)."]
    held = r.get("held") or {}
    md += ["| phase | seconds | requests | rate/s | errors | mean ms | p50 | p99 | max "
           "| slow clients held (min / mean / max) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for phase, label, held_text in (
            ("baseline", "alone (baseline, around each round)", "-"),
            ("attack", "beside {:,} slow clients".format(r.get("slowClients", 0)),
             "%d / %.0f / %d" % (held.get("min", 0), held.get("mean", 0), held.get("max", 0)))):
        f = r.get(phase) or {}
        lat = f.get("latencyMs") or {}
        md.append("| %s | %.1f | %s | %.0f | %s | %s | %s | %s | %s | %s |" % (
            label, f.get("seconds", 0), f.get("requests", "-"), f.get("rate", 0),
            "%d (%d >= 400, %d unanswered)" % (f.get("errors", 0), f.get("statusErrors", 0),
                                               f.get("unanswered", 0)),
            ms(lat.get("avg")), ms(lat.get("med")), ms(lat.get("p99")), ms(lat.get("max")),
            held_text))
    x = r.get("ratio") or {}
    md.append("| beside / alone | | | %.2f x | | %.2f x | %.2f x | %.2f x | %.2f x | |" % (
        x.get("rate", 0), x.get("mean", 0), x.get("p50", 0), x.get("p99", 0), x.get("max", 0)))
    attack = r.get("attack") or {}
    served = attack.get("requests", 0) > 0 and attack.get("errors", 1) == 0
    md += ["", "- the normal client (%s): %s" % (
               r.get("normalRequest", "seat maps"),
               "served throughout, no error and no unanswered request" if served else
               "**NOT served throughout**"),
           "- slow clients: from %s, half a request head, half a POST body, a byte every %d ms, "
           "opened again when the edge drops them: it dropped %d heads (its 10 s deadline for a "
           "head%s) and %d bodies; %d connections in all, %d failed; %d held at the end" % (
               r.get("slowFrom", "?"), r.get("intervalMs", 0), r.get("droppedHeads", 0),
               "; the fewest held is a sample taken as it dropped them together, before they "
               "connected again" if r.get("droppedHeads") and held.get("min", 0) <
               r.get("slowClients", 0) else "",
               r.get("droppedBodies", 0), r.get("connects", 0), r.get("connectFailures", 0),
               held.get("atEnd", 0)),
           "- the rate limits are off for the run (bench/run), the per-address connection cap "
           "with them: this measures the edge holding every slow client, uncapped"]
    return md


def invariants_table(cells):
    inv = []
    for c in cells:
        if c["scenario"] != "flow" or not c.get("result"):
            continue
        r = c["result"]
        s = c.get("sqlInvariants", {})
        ok = all(v == 0 for v in s.values()) if s else False
        left = seats_left(c)
        inv.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            c["type"], c["transport"], r.get("payments", (r.get("flow") or {}).get("payments", "-")),
            c.get("soldSeats", (r.get("flow") or {}).get("soldSeats", "-")),
            "-" if left is None else ("**0 (sold out)**" if left == 0 else "%d of %s" % (
                left, c.get("seatsTotal", "?"))),
            ", ".join("%s=%s" % kv for kv in s.items()) or "-",
            ("rpc check " + ("ok" if (r.get("flow") or {}).get("invariantsOk") else "MISMATCH"))
            if c["transport"] == "nng" else "-",
            "PASS" if ok else "FAIL"))
    return inv


def issue11_section(cells):
    """issue11_section: issue 11's figures: the 2,000-seat section map (bigmap) beside the
    50-seat map and nginx of the same type, and best-available purchases (arena) with how often
    a hold lost its race, its invariants and SOLD = 2 x payments; [] when neither ran."""
    big = [c for c in cells if c["scenario"] == "bigmap"]
    arena = [c for c in cells if c["scenario"] == "arena"]
    if not big and not arena:
        return []
    ref = {c["type"]: (c.get("result") or {}).get("rate") for c in cells if c["transport"] == "nginx"}
    md = ["", "## Issue 11: a 2,000-seat section and best-available purchases", ""]
    if big:
        md += ["Section map: `ListSeats` of one section (NNG), `GET /api/v1/schedules/{id}/seats"
               "?section=A` (REST); the 50-seat map and nginx are the same type's cells of this run.",
               "", "| type | transport | map | lookups/s | p50 ms | p99 ms | errors | 50-seat map "
               "(rate/s, p50, p99) | nginx rate/s |", "|---|---|---|---|---|---|---|---|---|"]
        for c in big:
            r = c.get("result") or {}
            lat = r.get("latencyMs") or {}
            small = cell_of(cells, "seats", c["type"], c["transport"])
            sr = (small or {}).get("result") or {}
            slat = sr.get("latencyMs") or {}
            form = c.get("format") or ("compact" if r.get("compact") else "full")
            md.append("| %s | %s | %s %s | %s | %s | %s | %s | %s | %s |" % (
                c["type"], c["transport"], c.get("section") or r.get("section") or "?", form,
                "%.0f" % r["rate"] if r.get("rate") else "-", ms(lat.get("med")),
                ms(lat.get("p99")), cell_errors(r)[0] if r else "-",
                "%.0f/s, %s, %s ms" % (sr["rate"], ms(slat.get("med")), ms(slat.get("p99")))
                if sr.get("rate") else "not run",
                "%.0f" % ref[c["type"]] if ref.get(c["type"]) else "-"))
    if arena:
        if big:
            md.append("")
        md += ["Best available (PASS: 0 errors, SQL invariants hold, SOLD = 2 x payments, not sold out): a purchase holds the best 2 seats together in a random section with "
               "seats left (409/SEAT_TAKEN: the race for that block was lost, the same section again; "
               "NOT_ENOUGH_SEATS: another section); SOLD must be 2 x payments (REST: wrk drops the "
               "answers of pays still in flight when it stops, up to one a connection).", "",
               "| type | transport | purchases/s | payments | requests/s | p50 ms | p99 ms | errors | "
               "SEAT_TAKEN retries | NOT_ENOUGH_SEATS | nothing left | SOLD seats | seats left | SQL "
               "invariants | |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for c in arena:
            r = c.get("result") or {}
            lat = r.get("latencyMs") or {}
            f = r.get("flow") or {}
            paid, per_s = flow_payments(c)
            sold = c.get("soldSeats", f.get("soldSeats"))
            sql = c.get("sqlInvariants") or {}
            sql_ok = bool(sql) and all(v == 0 for v in sql.values())
            extra = sold - 2 * paid if sold is not None and paid is not None else None
            if c["transport"] == "nng":
                sold_ok = extra == 0 and f.get("invariantsOk") is True
            else:
                sold_ok = extra is not None and 0 <= extra <= 2 * c["connections"]
            left = seats_left(c)
            md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                c["type"], c["transport"], "%.1f" % per_s if per_s is not None else "-",
                "-" if paid is None else paid, "%.0f" % r["rate"] if r.get("rate") else "-",
                ms(lat.get("med")), ms(lat.get("p99")), cell_errors(r)[0] if r else "-",
                r.get("seatTaken", f.get("seatTakenRetries", "-")),
                r.get("notEnoughSeats", f.get("notEnoughSeats", "-")),
                r.get("nothingLeft", f.get("nothingLeft", "-")),
                "-" if sold is None else "%s (2 x payments%s)" % (
                    sold, "" if not extra else " %+d" % extra),
                "-" if left is None else ("**0 (sold out)**" if left == 0 else "%d of %s" % (
                    left, c.get("seatsTotal", "?"))),
                ", ".join("%s=%s" % kv for kv in sql.items()) or "-",
                "PASS" if sql_ok and sold_ok and left != 0 and r and cell_errors(r)[0] == 0
                else "FAIL"))
    return md


def processes_table(cells):
    """processes_table: per cell, each sampled process's mean CPU % and peak RSS."""
    names = sorted({n for c in cells for n in (c["measured"].get("processes") or {})},
                   key=process_order)
    if not names:
        return []
    lines = ["| cell | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
    for c in cells:
        procs = c["measured"].get("processes")
        if not procs:
            continue
        row = []
        for n in names:
            p = procs.get(n)
            if not p or p["cpuPctMean"] is None:
                row.append("-")
            else:
                row.append("%.0f%% (max %.0f%%)" % (p["cpuPctMean"], p["cpuPctMax"]) +
                           (", %.0f MB" % p["rssMBMax"] if p["rssMBMax"] is not None else ""))
        lines.append("| %s | %s |" % (c["cell"], " | ".join(row)))
    return lines


def charts_section(cells, gnuplot_missing):
    md = ["", "## Charts (per cell: rate and p95 where the tool reports them each second, "
          "CPU % and RSS of every process)", ""]
    if gnuplot_missing:
        md.append("No charts: gnuplot is not installed (Debian's gnuplot-nox; `./boxoffice bench` "
                  "installs it). The samples behind them are in `cells/*.samples.csv`.")
        return md
    types = []
    for c in cells:
        if c["type"] not in types:
            types.append(c["type"])
    for t in types:
        md += ["### %s" % t, ""]
        for c in [c for c in cells if c["type"] == t]:
            m = c["measured"]
            links = []
            if m.get("samplesFile"):
                links.append("[samples](%s)" % m["samplesFile"])
            if m.get("rateFile"):
                links.append("[rate](%s)" % m["rateFile"])
            md.append("- %s%s: %s" % (c["cell"], " (reference)" if c["transport"] == "nginx" else "",
                                      ", ".join(links) or "no samples"))
            if m.get("chart"):
                md += ["", "  ![%s](%s)" % (c["cell"], m["chart"])]
        md.append("")
    return md


def main(argv):
    if len(argv) != 2:
        print("usage: bench/report.py RUN_DIR", file=sys.stderr)
        return 2
    out = argv[1]
    with open(os.path.join(out, "cells.jsonl")) as f:
        cells = [json.loads(l) for l in f if l.strip()]
    meta = run_meta()
    try:  # written again from the folder alone: the run's description from the first time
        if not env("STARTED"):
            with open(os.path.join(out, "results.json")) as f:
                meta = dict(json.load(f)["meta"])
    except (OSError, ValueError, KeyError):
        pass
    stamp = env("STAMP") or meta.get("stamp") or os.path.basename(os.path.abspath(out))
    meta["stamp"] = stamp
    for c in cells:
        measure(c, out)
    gnuplot = shutil.which(env("BENCH_GNUPLOT", "gnuplot"))
    meta["charts"] = "gnuplot" if gnuplot else "none: gnuplot is not installed"
    if not gnuplot:
        print("bench: gnuplot is not installed (Debian's gnuplot-nox): no charts", file=sys.stderr)
    for c in cells:
        c["measured"]["chart"] = draw_chart(c, out, gnuplot) if gnuplot else None

    table, ref, rest = results_table(cells)
    md = ["# boxoffice bench %s%s" % (stamp, " (quick)" if meta["quick"] else ""), "",
          "- date: %s (finished %s)" % (meta["date"], meta["finished"]),
          "- machine: %d CPUs, %s" % (meta["machine"]["nproc"], meta["machine"]["cpuModel"]),
          "- commit: %s" % meta["commit"],
          "- load average (1/5/15 min): %s at the start, %s at the end (other work on the machine "
          "shows here)" % (meta["loadAverage"]["start"], meta["loadAverage"]["end"]),
          "- pinning: %s" % meta["pinning"],
          "- reference: nginx (1 worker) serving the same seat-map bytes from a file, measured with "
          "wrk and seats.lua at the same connections and duration in this run",
          "- warm-up: %s" % (("the read cells over HTTP (seats, bigmap, nginx's reference) start "
                             "after %d s of the same load, not measured (cells/NAME.warmup.txt)"
                             % meta["warmupSeconds"]) if meta.get("warmupSeconds") else "none"),
          "- HTTP: wrk 4.1 (-t1, flow -tN -cN), latency from wrk; NNG: boxoffice-nngbench; "
          "stress over wrk holds its peak connections (wrk cannot ramp)",
          "- failures: HTTP non-2xx (except 409 SEAT_TAKEN on a flow hold) and socket errors; "
          "NNG error statuses (except SEAT_TAKEN in flow)",
          "- load gen CPU: the load generator's own CPU time over its run, in % of one core (near "
          "100%: the cell measures wrk or nngbench, not the server)",
          "- served (Little): rate x mean latency, the connections busy on average, and its share "
          "of the connections (n/a: flow polls and nngbench stress ramps, so fewer are busy by "
          "design); probes: fresh clients asking for a seat map half-way through the cell, "
          "answered of sent and the slowest; all served **NO**: under %d%% served or a probe "
          "unanswered within %d s" % (round(100 * SERVED_MIN), PROBE_SECONDS),
          "- InfluxDB: %s" % (("nngbench wrote to " + meta["influx"] + "; wrk cannot write to InfluxDB")
                              if meta["influx"] else "not used"),
          "", "## Results", ""] + table + [
          "", "## Targets (issue 9; ratios against nginx of the same type in this run)", "",
          "| target | measured | |", "|---|---|---|"]
    md += targets_table(cells, ref, rest, out)
    md += warmup_section(cells, out)
    md += slow_section(cells)
    md += issue11_section(cells)
    inv = invariants_table(cells)
    if inv:
        md += ["", "## Flow invariants (SQL after each flow cell; rpc check by nngbench)", "",
               "| type | transport | payments | sold seats | seats left at the end | SQL (all must be 0) "
               "| rpc | |", "|---|---|---|---|---|---|---|---|"] + inv
    procs = processes_table(cells)
    if procs:
        md += ["", "## Processes (sampled once a second: mean CPU % of one core (peak), peak RSS; "
               "PostgreSQL and nginx summed over their processes)", ""] + procs
    md += charts_section(cells, not gnuplot)
    md.append("")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(md))
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"meta": meta, "cells": cells}, f, indent=1)
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
