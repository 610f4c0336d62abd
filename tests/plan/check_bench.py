#!/usr/bin/env python3
"""check_bench: what bench/run measures beside the tools' figures, and what it puts back.

Three checks, none needing the stack:
- bench/sample samples a busy process, a process tree and a pid that does not exist into a
  CSV with the promised header, a row per interval, ~100% CPU for the busy one;
- bench/report.py, on a made-up run folder, shows the load generator's CPU, the connections
  served by Little's law and the probes beside every cell (the nginx reference included),
  marks the under-served cells, tabulates the sampled processes, links a chart per cell
  (drawn when gnuplot is installed) and says "no charts" without gnuplot, never failing;
  its targets are issue 9's, each row computed from the cells (a missing cell: "not run",
  never PASS), with the flow's purchases/s, seats left (0: sold out) and where its CPU went,
  freshness per observer, the long line (a shallow one fails as too shallow) and memory at
  1,000 REST + 10,000 push connections, peak and over the soak (a short soak: too short);
- bench/run, against a fake admin API, puts back the rate limits and the admission settings
  it read when it fails after changing them and when it is interrupted (Ctrl-C);
- issue 11's scenarios: bench/report.py shows the 2,000-seat section map beside the 50-seat
  map and nginx of the same type, and best-available purchases/s with their SEAT_TAKEN
  retries, PASS only when the SQL invariants hold and SOLD is 2 x the payments (REST: up to
  one pay a connection in flight); the arena's closed loop is not judged by Little's law; and
  every scenario bench/run takes has its wrk script, its k6 script and nngbench's name.

usage: check_bench.py SOURCE_DIR
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import plan_report

ERRORS = []


def expect(ok, what):
    if not ok:
        ERRORS.append(what)
    return ok


# ---- bench/sample ----------------------------------------------------------------------


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def data_rows(path):
    """data_rows counts the whole rows after the header in the CSV at path (0 if none yet)."""
    try:
        with open(path) as f:
            return max(f.read().count("\n") - 1, 0)
    except OSError:
        return 0


def check_sample(src, tmp):
    # A tree: a shell whose children are a busy loop and a sleep.
    tree = subprocess.Popen(["bash", "-c", "bash -c 'while :; do :; done' & sleep 5 & wait"])
    busy = None
    out = os.path.join(tmp, "s.csv")
    try:
        # The busy loop is the child whose command line is the inner bash's own: until they
        # exec, both children are copies of the outer shell, whose command line names it too.
        deadline = time.time() + 5
        while busy is None and time.time() < deadline:
            for kid in children(tree.pid):
                try:
                    with open("/proc/%d/cmdline" % kid, "rb") as f:
                        if f.read().split(b"\0")[2:3] == [b"while :; do :; done"]:
                            busy = kid
                except OSError:
                    pass
            time.sleep(0.05)
        if not expect(busy is not None, "bench/sample check: the busy loop did not start"):
            return
        sampler = subprocess.Popen([os.path.join(src, "bench/sample"), "--interval", "0.5", out,
                                    "tree=+%d" % tree.pid, "busy=%d" % busy,
                                    "shell=%d" % tree.pid, "gone=999999999", "core=@cpu0"])
        # Until four rows are written (a condition, not a time: a loaded machine is slower).
        deadline = time.time() + 30
        while data_rows(out) < 4 and time.time() < deadline and sampler.poll() is None:
            time.sleep(0.05)
        sampler.send_signal(signal.SIGTERM)
        rc = sampler.wait(timeout=5)
        busy_seconds = cpu_seconds(busy)
    finally:
        for kid in children(tree.pid):  # the busy loop and the sleep
            try:
                os.kill(kid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        tree.kill()
        tree.wait()
    expect(rc == 0, "bench/sample: exit %s on SIGTERM, expected 0" % rc)
    with open(out) as f:
        lines = f.read().splitlines()
    want = ("elapsed_s,tree_cpu_pct,tree_rss_mb,busy_cpu_pct,busy_rss_mb,shell_cpu_pct,"
            "shell_rss_mb,gone_cpu_pct,gone_rss_mb,core_cpu_pct,core_rss_mb")
    if not expect(lines and lines[0] == want, "bench/sample: header %r, expected %r" % (lines[:1], want)):
        return
    rows = [l.split(",") for l in lines[1:]]
    expect(len(rows) >= 4, "bench/sample: %d rows in 30 s at 0.5 s, expected at least 4" % len(rows))
    for r in rows:
        if not expect(len(r) == 11, "bench/sample: row %r has %d fields" % (r, len(r))):
            return
        expect(r[7] == "" and r[8] == "", "bench/sample: a missing pid must give empty fields: %r" % r)
        # A whole core: how busy CPU 0 was, 0..100%, and no memory.
        expect(r[10] == "" and 0 <= float(r[9]) <= 100.5,
               "bench/sample: CPU 0 in all (@cpu0) sampled as %r, expected 0..100 and no RSS" % r[9:])
        # The tree counts its children: three processes' memory (and the busy loop's CPU).
        expect(float(r[2]) > float(r[4]) + float(r[6]),
               "bench/sample: the tree's memory is not its processes' sum: %r" % r)
    # Each name is read at its own instant: over all rows the tree's CPU is the busy loop's.
    tree_cpu, kids_cpu = (sum(float(r[k]) for r in rows) for k in (1, 3))
    expect(abs(tree_cpu - kids_cpu) <= 0.1 * kids_cpu + 5,
           "bench/sample: the tree used %.1f, its busy loop %.1f (%% of one core, summed)"
           % (tree_cpu, kids_cpu))
    # A busy loop gets what the machine leaves it: each interval at most one core, and all
    # intervals together what the kernel counted for it (less what ran before the first).
    busy_cpu = [float(r[3]) for r in rows]
    sampled = sum(busy_cpu) * 0.5 / 100
    expect(max(busy_cpu) <= 115 and 0 < sampled <= busy_seconds + 0.05,
           "bench/sample: a busy loop sampled at %s %% of one core, %.2f s in all; the kernel "
           "counted %.2f s" % (busy_cpu, sampled, busy_seconds))
    expect([float(r[0]) for r in rows] == sorted(float(r[0]) for r in rows),
           "bench/sample: elapsed seconds not increasing")


# ---- bench/report.py -------------------------------------------------------------------

SAMPLES = ("elapsed_s,service-0_cpu_pct,service-0_rss_mb,bridge_cpu_pct,bridge_rss_mb,"
           "postgres_cpu_pct,postgres_rss_mb,redis_cpu_pct,redis_rss_mb,%s_cpu_pct,%s_rss_mb,"
           "core-0_cpu_pct,core-0_rss_mb\n"
           "1.0,50.0,20.0,40.0,30.0,20.0,200.0,10.0,8.0,60.0,5.0,90.0,\n"
           "2.0,70.0,22.0,60.0,31.0,40.0,210.0,10.0,8.0,80.0,5.0,100.0,\n"
           "3.0,,,50.0,32.0,30.0,205.0,10.0,8.0,70.0,5.0,95.0,\n")


def wrk_result(rate, avg):
    return {"tool": "wrk", "durationSeconds": 5.0, "requests": int(rate * 5), "rate": rate,
            "failureRate": 0, "non2xx": 0, "socketErrors": {},
            "latencyMs": {"avg": avg, "min": 1, "med": avg, "p90": avg, "p95": avg, "p99": avg,
                          "max": avg}, "dataSent": 1000, "dataReceived": 1000}


def report_fixture(tmp):
    """report_fixture writes a run folder of four cells and returns its path."""
    run = os.path.join(tmp, "run")
    cells_dir = os.path.join(run, "cells")
    os.makedirs(cells_dir)
    nng = dict(wrk_result(1000.0, 100.0), tool="nngbench", vus=100, vusMax=100)
    cells = [
        # 1000/s x 0.1 s = 100 busy of 100: served; probes answered.
        {"cell": "nginx-load", "scenario": "reference", "type": "load", "transport": "nginx",
         "connections": 100, "result": wrk_result(1000.0, 100.0)},
        # 500/s x 0.1 s = 50 of 100: under-served.
        {"cell": "seats-load-http", "scenario": "seats", "type": "load", "transport": "http",
         "connections": 100, "result": wrk_result(500.0, 100.0)},
        # served, but 2 of 5 probes unanswered.
        {"cell": "seats-load-nng", "scenario": "seats", "type": "load", "transport": "nng",
         "connections": 100, "result": nng},
        # 20 of 100 busy, but flow polls: not marked for it. 36,000 payments in 60 s: 600/s.
        {"cell": "flow-load-http", "scenario": "flow", "type": "load", "transport": "http",
         "connections": 100, "result": dict(wrk_result(200.0, 100.0), durationSeconds=60.0,
                                            payments=36000),
         "sqlInvariants": {"a": 0}, "flowDates": 4800, "seatsTotal": 240000,
         "soldSeats": 36000, "seatsLeft": 200000},
        # 150/s against nginx's 1000/s: 0.150 x, under 0.20; p99 3 x the mean; 2 failures.
        {"cell": "tokens-load-http", "scenario": "tokens", "type": "load", "transport": "http",
         "connections": 100, "result": dict(wrk_result(150.0, 100.0), failures=2,
                                            latencyMs=dict(wrk_result(150.0, 100.0)["latencyMs"],
                                                           p99=300.0))},
        # 30,000 payments in 60 s: 500/s, under 1,000; sold out.
        {"cell": "flow-load-nng", "scenario": "flow", "type": "load", "transport": "nng",
         "connections": 100, "result": dict(nng, durationSeconds=60.0,
                                            flow={"payments": 30000, "soldSeats": 30000,
                                                  "seatsLeft": 0, "invariantsOk": True}),
         "sqlInvariants": {"a": 0}, "flowDates": 600, "seatsTotal": 30000, "soldSeats": 30000,
         "seatsLeft": 0},
        # 600/s, but over 5 s only.
        {"cell": "flow-soak-http", "scenario": "flow", "type": "soak", "transport": "http",
         "connections": 50, "result": dict(wrk_result(200.0, 100.0), payments=3000),
         "sqlInvariants": {"a": 0}, "seatsLeft": 17000, "seatsTotal": 20000},
    ]
    push = {"asked": 10000, "opened": 10000, "accepted": 10000, "refused": 0, "closedEarly": 0}
    cells += [
        # 1000/s against nginx's 2000/s at 1,000 connections; 10,000 push connections held.
        {"cell": "nginx-peak", "scenario": "reference", "type": "peak", "transport": "nginx",
         "connections": 1000, "result": wrk_result(2000.0, 500.0)},
        {"cell": "seats-peak-http", "scenario": "seats", "type": "peak", "transport": "http",
         "connections": 1000, "result": wrk_result(1000.0, 1000.0), "pushConnections": 10000,
         "push": push},
        # The soak: 30 minutes sampled, memory growing 20% in the last 5 (MEMORY_SOAK).
        {"cell": "memory-soak-http", "scenario": "memory", "type": "soak", "transport": "http",
         "connections": 1000, "result": wrk_result(900.0, 1000.0), "pushConnections": 10000,
         "push": dict(push, accepted=9990, closedEarly=10)},
        {"cell": "freshness", "scenario": "freshness", "type": "freshness", "transport": "nng",
         "connections": 1, "instances": 2, "rounds": 50,
         "result": {"rounds": 50, "observers": [
             {"observer": "instance 0 (writer)", "changes": 100, "p50Ms": 1.0, "p99Ms": 8.0,
              "maxMs": 9.0, "over100Ms": 0, "missed": 0},
             {"observer": "instance 1", "changes": 100, "p50Ms": 2.0, "p99Ms": 150.0,
              "maxMs": 160.0, "over100Ms": 3, "missed": 0},
             {"observer": "bridge (REST)", "changes": 99, "p50Ms": 2.0, "p99Ms": 20.0,
              "maxMs": 30.0, "over100Ms": 0, "missed": 1}]}},
        {"cell": "line", "scenario": "line", "type": "line", "transport": "redis",
         "connections": 1, "result": LINE_RESULT},
    ]
    with open(os.path.join(run, "cells.jsonl"), "w") as f:
        f.writelines(json.dumps(c) + "\n" for c in cells)
    answered = "".join("answered 0.%03d http=200\n" % (10 + i) for i in range(5))
    for c in cells:
        name, tool = c["cell"], c["result"].get("tool", c["scenario"])
        with open(os.path.join(cells_dir, name + ".samples.csv"), "w") as f:
            f.write(SAMPLES % (tool, tool) if name != "nginx-load" else
                    "elapsed_s,nginx_cpu_pct,nginx_rss_mb,wrk_cpu_pct,wrk_rss_mb\n"
                    "1.0,95.0,4.0,69.0,5.0\n2.0,93.0,4.0,70.0,5.0\n")
        # 3.45 s of CPU over 5 s: 69% of one core.
        with open(os.path.join(cells_dir, name + ".loadgen"), "w") as f:
            f.write("tool=%s pid=1 cpu_ticks=345 tck=100 wall_us=5000000\n" % tool)
        with open(os.path.join(cells_dir, name + ".probes"), "w") as f:
            f.write(answered if name != "seats-load-nng" else
                    "answered 0.020 exit=0\nunanswered 2.001 exit=3\nanswered 0.030 exit=0\n"
                    "unanswered 2.002 exit=3\nanswered 0.040 exit=0\n")
    with open(os.path.join(cells_dir, "memory-soak-http.samples.csv"), "w") as f:
        f.write(memory_soak_samples(1800, 1.2))
    # The seat-map peak cell's warm-up: its first seconds, 800/s with p99 4 x the mean.
    with open(os.path.join(cells_dir, "seats-peak-http.warmup.txt"), "w") as f:
        f.write("Running 3s test\nWRK_JSON %s\n" % json.dumps(
            dict(wrk_result(800.0, 1200.0), latencyMs=dict(wrk_result(800.0, 1200.0)["latencyMs"],
                                                           p99=4800.0))))
    with open(os.path.join(cells_dir, "seats-load-nng.progress"), "w") as f:
        f.write("[  1.0s] vus=100  requests=1000      rate=1000/s p95=120.00ms failures=0\n"
                "[  2.0s] vus=100  requests=2000      rate=1000/s p95=110.00ms failures=0\n")
    return run


# bench/line's figures at 1,000,000: issue 0.95 x (passes), status 0.85 x (fails), 47 B a token.
LINE_RESULT = {
    "tokens": 1000000, "waiting": 1000000, "keys": 48396, "bytes_per_token_used_memory": 47.0,
    "bytes_per_token_memory_usage": 46.0,
    "issue_empty": {"rate": 40000.0, "redis_us": 20.0, "cpu_us": 14.0, "round_trip_us": 100.0},
    "issue_deep": {"rate": 38000.0, "redis_us": 20.0, "cpu_us": 14.7, "round_trip_us": 100.0},
    "issue_deep_over_empty": {"rate": 0.95, "redis_us": 1.0, "cpu_us": 1.05, "round_trip_us": 1.0},
    "use_empty": {"rate": 60000.0, "redis_us": 10.0, "cpu_us": 9.0, "round_trip_us": 100.0},
    "use_deep": {"rate": 51000.0, "redis_us": 10.0, "cpu_us": 9.9, "round_trip_us": 100.0},
    "use_deep_over_empty": {"rate": 0.85, "redis_us": 1.0, "cpu_us": 1.1, "round_trip_us": 1.0},
}


def memory_soak_samples(seconds, growth):
    """memory_soak_samples: a bench/sample CSV of service-0 (20 MB) and the bridge (100 MB) over
    seconds, the bridge growing to growth x its size in the last sixth."""
    rows = ["elapsed_s,service-0_cpu_pct,service-0_rss_mb,bridge_cpu_pct,bridge_rss_mb,"
            "push_cpu_pct,push_rss_mb"]
    for t in range(1, seconds + 1):
        bridge = 100.0 if t <= seconds * 5 // 6 else 100.0 + (growth * 120.0 - 120.0)
        rows.append("%d.0,10.0,20.0,20.0,%.1f,0.0,9.0" % (t, bridge))
    return "\n".join(rows) + "\n"


def run_report(src, run, gnuplot):
    env = dict(os.environ, STAMP="20990101T000000Z", QUICK="1", NPROC="2", PINNED="1",
               SERVICE_CPU="0", LOADGEN_CPU="1", RSS_KB="51200", BENCH_GNUPLOT=gnuplot)
    res = subprocess.run([sys.executable, os.path.join(src, "bench/report.py"), run], env=env,
                         capture_output=True, text=True, timeout=120)
    expect(res.returncode == 0, "bench/report.py (gnuplot %s): exit %d: %s"
           % (gnuplot, res.returncode, res.stderr.strip()))
    with open(os.path.join(run, "results.md")) as f:
        md = f.read()
    with open(os.path.join(run, "results.json")) as f:
        return md, json.load(f), res.stderr


def table_rows(md):
    """table_rows: the Results table as {cell key: {column: value}}."""
    lines = md.split("## Results", 1)[1].split("\n## ", 1)[0].strip().splitlines()
    head = [h.strip() for h in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        vals = [v.strip() for v in line.strip("|").split("|")]
        row = dict(zip(head, vals))
        rows["%s-%s-%s" % (row["scenario"], row["type"], row["transport"])] = row
    return rows


def target_rows(md):
    """target_rows: the Targets table as {target: (measured, verdict)}."""
    lines = md.split("## Targets", 1)[1].split("\n## ", 1)[0].strip().splitlines()
    rows = {}
    for line in lines:
        vals = [v.strip() for v in line.strip("|").split("|")]
        if line.startswith("|") and len(vals) == 3 and vals[0] not in ("target", "---"):
            rows[vals[0]] = (vals[1], vals[2])
    return rows


MEMORY_SOAK = ("memory: flat over a 30-minute soak at 1,000 REST + 10,000 push connections (peak "
               "of the last 5 min <= 1.1 x the first 5 min's), <= 200 MB")
# target: (a piece of what was measured, the verdict) in report_fixture's run.
WANT_TARGETS = {
    "seat map REST >= 0.40 x nginx at 100 conns (load)": ("0.500 x", "PASS"),
    "seat map REST every connection served at 100 conns (load)": ("50% served, 5/5 probes", "FAIL"),
    "seat map REST p99 <= 2 x mean at 100 conns (load)": ("(1.00 x)", "PASS"),
    "seat map REST 0 errors or timeouts at 100 conns (load)": ("0", "PASS"),
    "seat map REST >= 0.40 x nginx at 1,000 conns (peak)": ("0.500 x", "PASS"),
    "seat map REST every connection served at 1,000 conns (peak)": ("100% served, 5/5 probes",
                                                                    "PASS"),
    "token issue REST >= 0.20 x nginx at 100 conns (load)": ("0.150 x", "FAIL"),
    "token issue REST every connection served at 100 conns (load)": ("15% served", "FAIL"),
    "token issue REST p99 <= 2 x mean at 100 conns (load)": ("(3.00 x)", "FAIL"),
    "token issue REST 0 errors at 100 conns (load)": ("2", "FAIL"),
    "token issue REST >= 0.15 x nginx at 1,000 conns (peak)": ("-", "not run"),
    "seat map NNG >= 1.5 x REST (load)": ("2.00 x", "PASS"),
    "seat map NNG >= 1.5 x REST (peak)": ("-", "not run"),
    "full flow >= 1,000 purchases/s over NNG (load, >= 60 s, invariants hold)":
        ("500/s (30000 payments / 60.0 s), invariants ok, seats left **0 (sold out)**; closed "
         "loop: 0.2 requests a purchase x 100.0 ms mean = 17 ms of the 200 ms a purchase took "
         "each of 100 VUs; CPU (mean % of a core): nngbench 70%, service-0 60%, bridge 50%, "
         "postgres 30%, redis 10%; service + bridge + edge 110% of their core; core-0 95% busy "
         "(every process of the machine)", "FAIL"),
    "full flow >= 500 purchases/s over REST (load, >= 60 s, invariants hold)":
        ("600/s (36000 payments / 60.0 s), invariants ok, seats left 200,000", "PASS"),
    "full flow >= 500 purchases/s over REST (soak, >= 60 s, invariants hold)":
        ("ran 5 s, not 60", "FAIL (too short)"),
    "long line: token issue at 1,000,000 waiting >= 0.90 x its empty-line rate":
        ("1,000,000 deep: 0.950 x (40000 -> 38000 calls/s); Redis CPU per call 14.0 -> 14.7 us",
         "PASS"),
    "long line: token status at 1,000,000 waiting >= 0.90 x its empty-line rate":
        ("0.850 x (60000 -> 51000 calls/s)", "FAIL"),
    "long line: <= 200 B of Redis per waiting token at 1,000,000":
        ("47.0 B (used_memory growth), 46.0 B (MEMORY USAGE of 48,396 keys)", "PASS"),
    "memory: service + bridge <= 200 MB at 1,000 REST connections + 10,000 push connections "
    "(peak)": ("53 MB at most (bridge 31, service-0 22 at 2 s), 10,000 of 10,000 push "
               "connections answered 200, 0 refused, 0 closed early", "PASS"),
    MEMORY_SOAK: ("1799 s sampled: 120.0 MB peak in the first 300 s, 144.0 MB in the last "
                  "(1.200 x), 144 MB at most; 9,990 of 10,000 push connections answered 200, 0 "
                  "refused, 10 closed early", "FAIL"),
    "freshness: instance 0 (writer) sees a seat change within 100 ms (p99), none missed":
        ("p50 1.00 ms, p99 8.00 ms, max 9.00 ms over 100 changes; 0 over 100 ms, 0 missed", "PASS"),
    "freshness: instance 1 sees a seat change within 100 ms (p99), none missed":
        ("p99 150.00 ms", "FAIL"),
    "freshness: bridge (REST) sees a seat change within 100 ms (p99), none missed":
        ("over 99 changes; 0 over 100 ms, 1 missed", "FAIL"),
}


def check_targets(md):
    rows = target_rows(md)
    for target, (piece, verdict) in WANT_TARGETS.items():
        got = rows.get(target)
        if expect(got is not None, "results.md: no target row %r (rows: %s)" % (target, sorted(rows))):
            expect(piece in got[0] and got[1] == verdict, "results.md target %r: %s, expected "
                   "%r in what was measured and %s" % (target, got, piece, verdict))
    for target, (_, verdict) in rows.items():
        expect(verdict in ("PASS", "FAIL", "FAIL (too short)", "FAIL (too shallow)") or
               verdict.startswith("not run"),
               "results.md target %r: verdict %r" % (target, verdict))
    expect(not any(t.startswith("freshness") and "another instance" in t for t in rows),
           "results.md: a freshness row of a missing instance though two were measured")
    expect("| load | nng | 30000 | 30000 | **0 (sold out)** |" in md,
           "results.md: the flow invariants do not mark flow-load-nng sold out")


def check_short_soak(src, run):
    """check_short_soak: a soak of a minute (--quick), flat and every push connection held,
    compares its first and last sixth and fails as too short."""
    cells_path = os.path.join(run, "cells.jsonl")
    with open(cells_path) as f:
        saved = f.read()
    samples_path = os.path.join(run, "cells", "memory-soak-http.samples.csv")
    with open(samples_path) as f:
        saved_samples = f.read()
    cells = [json.loads(l) for l in saved.splitlines()]
    for c in cells:
        if c["cell"] == "memory-soak-http":
            c["push"] = dict(c["push"], accepted=10000, closedEarly=0)
    try:
        with open(cells_path, "w") as f:
            f.writelines(json.dumps(c) + "\n" for c in cells)
        with open(samples_path, "w") as f:
            f.write(memory_soak_samples(60, 1.0))
        md, _, _ = run_report(src, run, "no-such-gnuplot")
        got = target_rows(md).get(MEMORY_SOAK)
        want = ("59 s sampled: 120.0 MB peak in the first 10 s, 120.0 MB in the last (1.000 x), "
                "120 MB at most; 10,000 of 10,000 push connections answered 200, 0 refused, 0 "
                "closed early; ran 59 s, not 1800", "FAIL (too short)")
        expect(got == want, "results.md, a one-minute soak: %s, expected %s" % (got, want))
    finally:
        with open(cells_path, "w") as f:
            f.write(saved)
        with open(samples_path, "w") as f:
            f.write(saved_samples)


def check_report(src, tmp):
    run = report_fixture(tmp)
    md, res, _ = run_report(src, run, os.path.join(tmp, "no-such-gnuplot"))
    rows = table_rows(md)
    want = {  # cell: (load gen CPU, served, probes, all served)
        "reference-load-nginx": ("69%", "100 (100%)", "5/5, 0.014 s", "yes"),
        "seats-load-http": ("69%", "50 (50%)", "5/5, 0.014 s", "**NO**"),
        "seats-load-nng": ("69%", "100 (100%)", "3/5, >2 s", "**NO**"),
        "flow-load-http": ("69%", "20 (20%) n/a", "5/5, 0.014 s", "yes"),
    }
    for key, (cpu, served, probes, ok) in want.items():
        row = rows.get(key)
        if not expect(row is not None, "results.md: no row for %s" % key):
            continue
        got = (row.get("load gen CPU"), row.get("served (Little)"), row.get("probes"),
               row.get("all served"))
        expect(got == (cpu, served, probes, ok), "results.md %s: load gen CPU, served, probes, "
               "all served = %s, expected %s" % (key, got, (cpu, served, probes, ok)))
    check_targets(md)
    expect(not any(k.startswith(("freshness", "line")) for k in rows),
           "results.md: freshness or the long line as a row of the Results table: %s" % sorted(rows))
    expect(rows.get("memory-soak-http", {}).get("x nginx") == "-",
           "results.md: the memory soak cell compared with nginx: %s" % rows.get("memory-soak-http"))
    check_short_soak(src, run)
    expect("| seats-peak-http | 1000 | 800/s | 1200.00 | 4800.00 | 4.00 x |" in md and
           "| seats-load-http | 100 |" not in md.split("## Warm-ups", 1)[-1].split("\n## ", 1)[0],
           "results.md: the warm-ups do not show seats-peak-http's alone (800/s, mean 1200 ms, "
           "p99 4800 ms, 4.00 x)")
    expect("No charts: gnuplot is not installed" in md,
           "results.md without gnuplot does not say that there are no charts")
    expect("| seats-load-http | 60% (max 70%), 22 MB |" in md,
           "results.md: the processes table does not show service-0 of seats-load-http as "
           "'60% (max 70%), 22 MB'")
    cells = {c["cell"]: c for c in res["cells"]}
    m = cells["seats-load-nng"]["measured"]
    expect(m["loadgen"]["cpuPct"] == 69.0 and m["probes"]["answered"] == 3 and
           m["allServed"] is False and m["served"]["littleLaw"] == 100.0 and
           m["processes"]["nngbench"]["cpuPctMean"] == 70.0,
           "results.json: seats-load-nng measured %s" % json.dumps(m))
    with open(os.path.join(run, m.get("rateFile", "none"))) as f:
        expect(f.readline().strip() == "elapsed_s,rate,p95_ms,vus" and len(f.readlines()) == 2,
               "the rate series of seats-load-nng is not 2 rows of elapsed_s,rate,p95_ms,vus")

    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        print("check_bench: gnuplot is not installed here: the charts themselves are not checked")
        return
    md, res, err = run_report(src, run, gnuplot)
    for c in res["cells"]:
        png = c["measured"].get("chart")
        if not expect(png, "no chart for %s with gnuplot: %s" % (c["cell"], err.strip())):
            continue
        with open(os.path.join(run, png), "rb") as f:
            expect(f.read(8) == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % png)
        expect("](%s)" % png in md, "results.md does not link %s" % png)
    # The memory cells chart service + bridge RSS on a linear scale beside the limit.
    for name in ("seats-peak-http", "memory-soak-http"):
        path = os.path.join(run, "cells", name + ".memory.csv")
        expect(os.path.exists(path), "no %s.memory.csv (the memory panel's data)" % name)


# ---- issue 11: the big map and best available ----------------------------------------------


def check_issue11(src, tmp):
    run = os.path.join(tmp, "run11")
    os.makedirs(os.path.join(run, "cells"))
    nng = dict(wrk_result(1000.0, 100.0), tool="nngbench", vus=100, vusMax=100)
    sql = {"seatsWithTwoLiveReservations": 0, "walletsOffLedgerOrNegative": 0,
           "confirmedWithoutExactlyOnePayment": 0}
    cells = [
        {"cell": "nginx-load", "scenario": "reference", "type": "load", "transport": "nginx",
         "connections": 100, "result": wrk_result(30000.0, 3.0)},
        {"cell": "seats-load-nng", "scenario": "seats", "type": "load", "transport": "nng",
         "connections": 100, "result": dict(nng, rate=20000.0)},
        {"cell": "bigmap-load-http", "scenario": "bigmap", "type": "load", "transport": "http",
         "connections": 100, "result": dict(wrk_result(400.0, 250.0), failures=3),
         "section": "A", "format": "full"},
        {"cell": "bigmap-load-nng", "scenario": "bigmap", "type": "load", "transport": "nng",
         "connections": 100, "result": dict(nng, rate=2500.0, section="A", compact=False)},
        # 1,784 seats SOLD for 892 payments over rpc: PASS.
        {"cell": "arena-load-nng", "scenario": "arena", "type": "load", "transport": "nng",
         "connections": 100, "result": dict(nng, durationSeconds=5.0, flow={
             "payments": 892, "soldSeats": 1784, "seatsLeft": 38122, "invariantsOk": True,
             "seatsPerPurchase": 2, "seatTakenRetries": 7, "notEnoughSeats": 1, "nothingLeft": 0}),
         "sqlInvariants": sql, "seatsTotal": 40000, "soldSeats": 1784, "seatsLeft": 38122},
        # 300 seats more than 2 x 689 payments: more than one pay in flight per connection.
        {"cell": "arena-load-http", "scenario": "arena", "type": "load", "transport": "http",
         "connections": 100, "result": dict(wrk_result(1000.0, 20.0), payments=689, seatTaken=4,
                                            notEnoughSeats=0, nothingLeft=0),
         "sqlInvariants": sql, "seatsTotal": 40000, "soldSeats": 1678, "seatsLeft": 38000},
    ]
    with open(os.path.join(run, "cells.jsonl"), "w") as f:
        f.writelines(json.dumps(c) + "\n" for c in cells)
    md, _, _ = run_report(src, run, os.path.join(tmp, "no-such-gnuplot"))
    if not expect("## Issue 11: a 2,000-seat section and best-available purchases" in md,
                  "results.md: no issue 11 section"):
        return
    part = md.split("## Issue 11", 1)[1].split("\n## ", 1)[0]
    for line, what in (
            ("| load | nng | A full | 2500 | 100.00 | 100.00 | 0 | 20000/s, 100.00, 100.00 ms | 30000 |",
             "the NNG section map beside the 50-seat map and nginx"),
            ("| load | http | A full | 400 | 250.00 | 250.00 | 3 | not run | 30000 |",
             "the REST section map with its errors, no 50-seat REST cell run"),
            ("| load | nng | 178.4 | 892 | 1000 | 100.00 | 100.00 | 0 | 7 | 1 | 0 | 1784 (2 x payments) "
             "| 38122 of 40000 |", "best available over NNG, SOLD = 2 x payments"),
            ("| load | http | 137.8 | 689 | 1000 | 20.00 | 20.00 | 0 | 4 | 0 | 0 | 1678 (2 x payments "
             "+300) | 38000 of 40000 |", "best available over REST, 300 seats more than paid")):
        expect(line in part, "issue 11 section: no line for %s: %s\n%s" % (what, line, part))
    verdicts = [l.rsplit("|", 2)[-2].strip() for l in part.splitlines()
                if l.startswith("| load | ") and " x payments" in l]
    expect(verdicts == ["PASS", "FAIL"], "issue 11 section: best available verdicts %s, "
           "expected PASS (nng) and FAIL (http: SOLD off 2 x payments)" % verdicts)
    row = table_rows(md).get("arena-load-nng", {})
    expect(row.get("served (Little)", "").endswith("n/a"),
           "results.md: the arena's closed loop judged by Little's law: %s" % row)

    # Every scenario bench/run takes (but slow) has a wrk and a k6 script and is nngbench's.
    with open(os.path.join(src, "bench/run")) as f:
        runner = f.read()
    with open(os.path.join(src, "bench/nngbench/nb_config.c")) as f:
        nngbench = f.read()
    for name in ("seats", "tokens", "flow", "bigmap", "arena"):
        expect(os.path.exists(os.path.join(src, "bench/wrk/%s.lua" % name)),
               "bench/wrk/%s.lua is missing" % name)
        expect(os.path.exists(os.path.join(src, "bench/k6/%s.js" % name)),
               "bench/k6/%s.js is missing" % name)
        expect('"%s"' % name in nngbench, "boxoffice-nngbench has no scenario %s" % name)
    expect("SCENARIOS=(seats tokens flow bigmap arena slow)" in runner,
           "bench/run does not run seats, tokens, flow, bigmap, arena and slow by default")


# ---- bench/run: the settings it changes are put back -----------------------------------

ORIGINAL = {"limits": {"userLoginsPerMinute": 10, "userTokenIssuesPerMinute": 30,
                      "addressRestConnections": 256},
            "admission": {"ratePerSecond": 50, "maxActive": 200, "tokenTtlSeconds": 600,
                          "holdTtlSeconds": 300}}


class FakeAdmin(BaseHTTPRequestHandler):
    """FakeAdmin: /readyz, GET/PUT/PATCH of /api/v1/admin/{limits,admission}, and the edge's
    GET /_edge/limits (the per-address cap in force: here at once what the limits say)."""
    state = {}
    log = []

    def log_message(self, *args):
        pass

    def reply(self, code, body=None):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def setting(self):
        name = self.path.rsplit("/", 1)[-1]
        if not self.path.startswith("/api/v1/admin/") or name not in self.state:
            return None
        return name

    def do_GET(self):
        if self.path == "/readyz":
            return self.reply(200, {"ready": True})
        if self.path == "/_edge/limits":
            cap = self.state["limits"].get("addressRestConnections", 0)
            data = ('{"addressRestConnections":%d}' % cap).encode()  # compact, as nginx writes it
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None
        name = self.setting()
        if name is None:
            return self.reply(404, {"error": "NOT_FOUND"})
        return self.reply(200, self.state[name])

    def do_PATCH(self):
        name = self.setting()
        if name is None:
            return self.reply(404, {"error": "NOT_FOUND"})
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.state[name].update(body)
        self.log.append((name, body))
        return self.reply(200, self.state[name])

    do_PUT = do_PATCH


def run_bench(src, tmp, port, stub_body, interrupt):
    """run_bench runs bench/run against the fake with a boxoffice-nngbench stub; returns its
    exit status and stderr."""
    FakeAdmin.state = json.loads(json.dumps(ORIGINAL))
    FakeAdmin.log = []
    bin_dir = os.path.join(tmp, "bin")
    os.makedirs(bin_dir, exist_ok=True)
    for tool in ("wrk", "nginx"):  # bench/run only looks for them before this point
        path = os.path.join(bin_dir, tool)
        with open(path, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(path, 0o755)
    stub = os.path.join(bin_dir, "nngbench-stub")
    marker = os.path.join(tmp, "stub-started")
    with open(stub, "w") as f:
        f.write("#!/bin/sh\ntouch '%s'\n%s\n" % (marker, stub_body))
    os.chmod(stub, 0o755)
    if os.path.exists(marker):
        os.unlink(marker)
    var = os.path.join(tmp, "var")
    os.makedirs(var, exist_ok=True)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"], BENCH_VAR=var,
               BENCH_HTTP_URL="http://127.0.0.1:%d" % port, BENCH_NNGBENCH=stub,
               BENCH_CLI="/bin/true", BOXOFFICE_ADMIN_KEY="k", BOXOFFICE_JWT_SECRET="s")
    proc = subprocess.Popen([os.path.join(src, "bench/run"), "--quick"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    if interrupt:
        deadline = time.time() + 30
        while not os.path.exists(marker) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
    return proc.returncode, err


def check_restore(src, tmp):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAdmin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for case, body, interrupt, code in (("a failure", "exit 1", False, 1),
                                            ("Ctrl-C", "sleep 30", True, 130)):
            rc, err = run_bench(src, tmp, server.server_address[1], body, interrupt)
            expect(rc == code, "bench/run, %s: exit %s, expected %d: %s" % (case, rc, code, err.strip()))
            changed = [n for n, b in FakeAdmin.log if b != ORIGINAL[n]]
            expect(sorted(set(changed)) == ["admission", "limits"],
                   "bench/run, %s: it changed %s before the stub ran, expected the limits and "
                   "admission" % (case, sorted(set(changed))))
            expect(FakeAdmin.state == ORIGINAL, "bench/run, %s: settings left at %s, expected %s"
                   % (case, FakeAdmin.state, ORIGINAL))
    finally:
        server.shutdown()


def main():
    if len(sys.argv) != 2:
        print("usage: check_bench.py SOURCE_DIR", file=sys.stderr)
        return 2
    src = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="check_bench.") as tmp:
        check_sample(src, tmp)
        check_report(src, tmp)
        check_issue11(src, tmp)
        check_restore(src, tmp)
    return plan_report.finish("check_bench", ERRORS,
                              "sampler, report columns and charts, settings put back")


if __name__ == "__main__":
    sys.exit(main())
