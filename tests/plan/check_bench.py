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
  never PASS), with the flow's purchases/s and seats left (0: sold out);
- bench/run, against a fake admin API, puts back the rate limits and the admission settings
  it read when it fails after changing them and when it is interrupted (Ctrl-C).

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


def check_sample(src, tmp):
    # A tree: a shell whose children are a busy loop and a sleep.
    tree = subprocess.Popen(["bash", "-c", "bash -c 'while :; do :; done' & sleep 5 & wait"])
    busy = None
    out = os.path.join(tmp, "s.csv")
    try:
        deadline = time.time() + 5
        while len(children(tree.pid)) < 2 and time.time() < deadline:
            time.sleep(0.05)
        for kid in children(tree.pid):
            with open("/proc/%d/cmdline" % kid, "rb") as f:
                if b"while" in f.read():
                    busy = kid
        if not expect(busy is not None, "bench/sample check: the busy loop did not start"):
            return
        sampler = subprocess.Popen([os.path.join(src, "bench/sample"), "--interval", "0.5", out,
                                    "tree=+%d" % tree.pid, "busy=%d" % busy,
                                    "shell=%d" % tree.pid, "gone=999999999"])
        time.sleep(2.3)
        sampler.send_signal(signal.SIGTERM)
        rc = sampler.wait(timeout=5)
        busy_seconds = cpu_seconds(busy)
    finally:
        if busy is not None:
            os.kill(busy, signal.SIGKILL)
        tree.kill()  # its sleep ends by itself
        tree.wait()
    expect(rc == 0, "bench/sample: exit %s on SIGTERM, expected 0" % rc)
    with open(out) as f:
        lines = f.read().splitlines()
    want = ("elapsed_s,tree_cpu_pct,tree_rss_mb,busy_cpu_pct,busy_rss_mb,shell_cpu_pct,"
            "shell_rss_mb,gone_cpu_pct,gone_rss_mb")
    if not expect(lines and lines[0] == want, "bench/sample: header %r, expected %r" % (lines[:1], want)):
        return
    rows = [l.split(",") for l in lines[1:]]
    expect(3 <= len(rows) <= 5, "bench/sample: %d rows in 2.3 s at 0.5 s, expected 4" % len(rows))
    for r in rows:
        if not expect(len(r) == 9, "bench/sample: row %r has %d fields" % (r, len(r))):
            return
        expect(r[7] == "" and r[8] == "", "bench/sample: a missing pid must give empty fields: %r" % r)
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
           "postgres_cpu_pct,postgres_rss_mb,redis_cpu_pct,redis_rss_mb,%s_cpu_pct,%s_rss_mb\n"
           "1.0,50.0,20.0,40.0,30.0,20.0,200.0,10.0,8.0,60.0,5.0\n"
           "2.0,70.0,22.0,60.0,31.0,40.0,210.0,10.0,8.0,80.0,5.0\n"
           "3.0,,,50.0,32.0,30.0,205.0,10.0,8.0,70.0,5.0\n")


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
    with open(os.path.join(run, "cells.jsonl"), "w") as f:
        f.writelines(json.dumps(c) + "\n" for c in cells)
    answered = "".join("answered 0.%03d http=200\n" % (10 + i) for i in range(5))
    for c in cells:
        name, tool = c["cell"], c["result"]["tool"]
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
    with open(os.path.join(cells_dir, "seats-load-nng.progress"), "w") as f:
        f.write("[  1.0s] vus=100  requests=1000      rate=1000/s p95=120.00ms failures=0\n"
                "[  2.0s] vus=100  requests=2000      rate=1000/s p95=110.00ms failures=0\n")
    return run


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


# target: (a piece of what was measured, the verdict) in report_fixture's run.
WANT_TARGETS = {
    "seat map REST >= 0.40 x nginx at 100 conns (load)": ("0.500 x", "PASS"),
    "seat map REST every connection served at 100 conns (load)": ("50% served, 5/5 probes", "FAIL"),
    "seat map REST p99 <= 2 x mean at 100 conns (load)": ("(1.00 x)", "PASS"),
    "seat map REST 0 errors or timeouts at 100 conns (load)": ("0", "PASS"),
    "seat map REST >= 0.40 x nginx at 1,000 conns (peak)": ("-", "not run"),
    "seat map REST every connection served at 1,000 conns (peak)": ("-", "not run"),
    "token issue REST >= 0.20 x nginx at 100 conns (load)": ("0.150 x", "FAIL"),
    "token issue REST every connection served at 100 conns (load)": ("15% served", "FAIL"),
    "token issue REST p99 <= 2 x mean at 100 conns (load)": ("(3.00 x)", "FAIL"),
    "token issue REST 0 errors at 100 conns (load)": ("2", "FAIL"),
    "token issue REST >= 0.15 x nginx at 1,000 conns (peak)": ("-", "not run"),
    "seat map NNG >= 1.5 x REST (load)": ("2.00 x", "PASS"),
    "seat map NNG >= 1.5 x REST (peak)": ("-", "not run"),
    "full flow >= 1,000 purchases/s over NNG (load, >= 60 s, invariants hold)":
        ("500/s (30000 payments / 60.0 s), invariants ok, seats left **0 (sold out)**", "FAIL"),
    "full flow >= 500 purchases/s over REST (load, >= 60 s, invariants hold)":
        ("600/s (36000 payments / 60.0 s), invariants ok, seats left 200,000", "PASS"),
    "full flow >= 500 purchases/s over REST (soak, >= 60 s, invariants hold)":
        ("ran 5 s, not 60", "FAIL (too short)"),
}


def check_targets(md):
    rows = target_rows(md)
    for target, (piece, verdict) in WANT_TARGETS.items():
        got = rows.get(target)
        if expect(got is not None, "results.md: no target row %r (rows: %s)" % (target, sorted(rows))):
            expect(piece in got[0] and got[1] == verdict, "results.md target %r: %s, expected "
                   "%r in what was measured and %s" % (target, got, piece, verdict))
    for target, (_, verdict) in rows.items():
        if target.startswith(("long line", "memory")):
            expect(verdict.startswith("not measured"), "results.md target %r: %s, expected "
                   "'not measured ...'" % (target, verdict))
        expect(verdict in ("PASS", "FAIL", "FAIL (too short)", "not run") or
               verdict.startswith("not measured"),
               "results.md target %r: verdict %r" % (target, verdict))
    expect(any(t.startswith("long line") for t in rows) and any(t.startswith("memory") for t in rows),
           "results.md: no long-line or memory target row")
    expect("| load | nng | 30000 | 30000 | **0 (sold out)** |" in md,
           "results.md: the flow invariants do not mark flow-load-nng sold out")


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


# ---- bench/run: the settings it changes are put back -----------------------------------

ORIGINAL = {"limits": {"userLoginsPerMinute": 10, "userTokenIssuesPerMinute": 30},
            "admission": {"ratePerSecond": 50, "maxActive": 200, "tokenTtlSeconds": 600,
                          "holdTtlSeconds": 300}}


class FakeAdmin(BaseHTTPRequestHandler):
    """FakeAdmin: /readyz and GET/PUT/PATCH of /api/v1/admin/{limits,admission}."""
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
        check_restore(src, tmp)
    return plan_report.finish("check_bench", ERRORS,
                              "sampler, report columns and charts, settings put back")


if __name__ == "__main__":
    sys.exit(main())
