#!/usr/bin/env python3
"""influx_roundtrip: boxoffice-nngbench's points reach InfluxDB and the dashboard reads them.

1. Starts a private influxd (Debian's influxdb 1.x) from a generated configuration in a
   temporary folder (meta/data/wal there, loopback ports picked free, reporting off) and
   waits for /ping.
2. Runs DRIVER (test_plan_nngbench: throwaway PostgreSQL, Redis and service, then
   boxoffice-nngbench --scenario=tokens --type=load --quick --duration=2 --influx=... ).
3. Reads the points back: SELECT count(value) FROM nng_reqs / nng_req_duration / vus
   WHERE run='<run id>' must count points; the tags tool=nngbench, scenario, type are set;
   nng_req_duration carries p95, p99 and max.
4. Writes a few k6-shaped points (k6's InfluxDB output: http_reqs, http_req_duration, ...)
   and runs every InfluxQL query of grafana/dashboards/*.json against the database
   (Grafana's macros and variables substituted): each must parse, and every panel query
   must return data.
   The service instance's /metrics (saved by DRIVER) must declare every service series of
   tests/plan/known_series.txt [prometheus] (the boxoffice_bridge_* ones are the bridge's).
5. Stops influxd (TERM, then KILL) and removes the folder.

usage: influx_roundtrip.py --driver PATH --source-dir DIR [--influxd PATH] [--keep]
"""
import argparse
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

DB = "boxoffice"
RUN_ID = "test"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp, http_port, rpc_port):
    conf = os.path.join(tmp, "influxdb.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(f"""reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{tmp}/meta"

[data]
  dir = "{tmp}/data"
  wal-dir = "{tmp}/wal"
  query-log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false

[subscriber]
  enabled = false
""")
    return conf


class Influx:
    def __init__(self, url):
        self.url = url

    def ping(self):
        try:
            with urllib.request.urlopen(self.url + "/ping", timeout=1) as r:
                return r.status == 204
        except (urllib.error.URLError, OSError):
            return False

    def query(self, q, db=DB, method="GET"):
        params = {"q": q}
        if db:
            params["db"] = db
        data = None
        url = self.url + "/query"
        if method == "POST":
            data = urllib.parse.urlencode(params).encode()
        else:
            url += "?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(url, data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            return {"error": f"HTTP {e.code}: {e.read().decode(errors='replace')}"}

    def write(self, lines):
        req = urllib.request.Request(f"{self.url}/write?db={DB}&precision=ms",
                                     data="\n".join(lines).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            if r.status != 204:
                raise RuntimeError(f"write answered {r.status}")


def series_of(result):
    """Returns (error, series list) of the first statement of a /query answer."""
    if "error" in result:
        return result["error"], []
    res = (result.get("results") or [{}])[0]
    if "error" in res:
        return res["error"], []
    return None, res.get("series") or []


def k6_points():
    """A few points shaped like k6's InfluxDB (v1) output, one second apart."""
    now = int(time.time() * 1000)
    tags = "tool=k6,type=load,run=k6test"
    http = tags + ",scenario=seats,name=/api/v1/schedules/{scheduleId}/seats,method=GET,status=200"
    lines = []
    for i in range(5):
        t = now - (5 - i) * 1000
        lines += [f"http_reqs,{http} value=1 {t}",
                  f"http_req_duration,{http} value={3 + i * 0.5} {t}",
                  f"http_req_failed,{http} value=0 {t}",
                  f"vus,{tags} value=100 {t}",
                  f"data_sent,{tags},scenario=seats value=120 {t}",
                  f"data_received,{tags},scenario=seats value=2400 {t}"]
    return lines


def grafana_substitute(q):
    """Replaces Grafana's macros and template variables the way Grafana would."""
    for var in ("tool", "scenario", "type", "run"):
        q = q.replace(f"/^${var}$/", "/^.*$/")
    return (q.replace("$timeFilter", "time > now() - 1h")
             .replace("$__interval_ms", "1000")
             .replace("$__interval", "1s"))


def dashboard_queries(src):
    """Yields (where, query, is_panel) for every InfluxQL query of the dashboards."""
    for path in sorted(glob.glob(os.path.join(src, "grafana", "dashboards", "*.json"))):
        rel = os.path.relpath(path, src)
        with open(path, encoding="utf-8") as f:
            dash = json.load(f)

        def panels(ps):
            for p in ps or []:
                yield p
                yield from panels(p.get("panels"))

        for p in panels(dash.get("panels")):
            for t in p.get("targets") or []:
                ds = t.get("datasource") or p.get("datasource") or {}
                if isinstance(ds, dict) and ds.get("type") == "influxdb" and t.get("query"):
                    yield f"{rel}: panel {p.get('title')!r} {t.get('refId')}", t["query"], True
        for v in (dash.get("templating") or {}).get("list", []):
            ds = v.get("datasource") or {}
            if isinstance(ds, dict) and ds.get("type") == "influxdb" and isinstance(v.get("query"), str):
                yield f"{rel}: variable ${v.get('name')}", v["query"], False


def check_metrics(path, src):
    """The service's /metrics text names every non-bridge Prometheus series the dashboards may use."""
    import re
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    present = set(re.findall(r"^(?:# (?:TYPE|HELP) )?([a-zA-Z_:][a-zA-Z0-9_:]*)", text, re.MULTILINE))
    histograms = set(re.findall(r"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) histogram", text, re.MULTILINE))
    section, missing, n = None, [], 0
    with open(os.path.join(src, "tests", "plan", "known_series.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line.startswith("["):
                section = line
            elif line and section == "[prometheus]" and not line.startswith("boxoffice_bridge_"):
                n += 1
                base = re.sub(r"_(bucket|sum|count)$", "", line)
                if line not in present and base not in histograms:
                    missing.append(line)
    print(f"  service /metrics: {n - len(missing)} of {n} known service series declared")
    return [f"the service's /metrics does not write {m} (tests/plan/known_series.txt)" for m in missing]


def check(influx, src):
    errors = []
    # The bench's own points, by run id.
    for m in ("nng_reqs", "nng_req_duration", "vus"):
        err, series = series_of(influx.query(f"SELECT count(value) FROM {m} WHERE run='{RUN_ID}'"))
        n = series[0]["values"][0][1] if series else 0
        print(f"  {m}: {n} points with run='{RUN_ID}'" + (f" (error: {err})" if err else ""))
        if err or not n:
            errors.append(f"no {m} points with run='{RUN_ID}'" + (f": {err}" if err else ""))
    for m in ("nng_req_failed", "data_sent", "data_received"):
        err, series = series_of(influx.query(f"SELECT count(value) FROM {m} WHERE run='{RUN_ID}'"))
        n = series[0]["values"][0][1] if series else 0
        print(f"  {m}: {n} points with run='{RUN_ID}'")
        if err or not n:
            errors.append(f"no {m} points with run='{RUN_ID}'" + (f": {err}" if err else ""))
    err, series = series_of(influx.query(
        f"SELECT count(p95), count(p99), count(max) FROM nng_req_duration WHERE run='{RUN_ID}'"))
    if err or not series or not all(series[0]["values"][0][1:]):
        errors.append("nng_req_duration lacks the fields p95, p99, max" + (f": {err}" if err else ""))
    for key, want in (("tool", "nngbench"), ("scenario", "tokens"), ("type", "load")):
        err, series = series_of(influx.query(
            f"SHOW TAG VALUES FROM nng_reqs WITH KEY = \"{key}\" WHERE run='{RUN_ID}'"))
        values = {v[1] for s in series for v in s.get("values", [])}
        if want not in values:
            errors.append(f"nng_reqs: tag {key}={want} missing (found {sorted(values)})")

    # The dashboard's queries against real data (the bench's and k6-shaped points).
    influx.write(k6_points())
    nq = 0
    for where, q, is_panel in dashboard_queries(src):
        nq += 1
        err, series = series_of(influx.query(grafana_substitute(q)))
        if err:
            errors.append(f"{where}: InfluxDB rejects the query: {err}\n    {q}")
        elif is_panel and not series:
            errors.append(f"{where}: no data for the query\n    {grafana_substitute(q)}")
    print(f"  {nq} dashboard InfluxQL queries run against the data")
    if nq == 0:
        errors.append("no InfluxQL queries found in grafana/dashboards")
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--driver", required=True, help="test_plan_nngbench binary")
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--influxd", default=shutil.which("influxd") or "/usr/bin/influxd")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    if not os.access(args.influxd, os.X_OK):
        print(f"influx_roundtrip: {args.influxd} not found (Debian package influxdb)", file=sys.stderr)
        return 1

    tmp = tempfile.mkdtemp(prefix="boxoffice-influx-")
    http_port, rpc_port = free_port(), free_port()
    while rpc_port == http_port:
        rpc_port = free_port()
    conf = write_config(tmp, http_port, rpc_port)
    log = open(os.path.join(tmp, "influxd.log"), "wb")
    proc = subprocess.Popen([args.influxd, "-config", conf], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    influx = Influx(f"http://127.0.0.1:{http_port}")
    errors = []
    try:
        deadline = time.monotonic() + 20
        while not influx.ping():
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                with open(os.path.join(tmp, "influxd.log"), errors="replace") as f:
                    sys.stderr.write(f.read()[-3000:])
                print("influx_roundtrip: influxd did not answer /ping", file=sys.stderr)
                return 1
            time.sleep(0.1)
        print(f"influxd {influx.url} (pid {proc.pid}, folder {tmp})")
        err, _ = series_of(influx.query(f'CREATE DATABASE "{DB}"', db=None, method="POST"))
        if err:
            print(f"influx_roundtrip: CREATE DATABASE: {err}", file=sys.stderr)
            return 1

        metrics = os.path.join(tmp, "service-metrics.txt")
        env = dict(os.environ, BOXOFFICE_TEST_INFLUX_URL=influx.url, BOXOFFICE_TEST_RUN_ID=RUN_ID,
                   BOXOFFICE_TEST_METRICS_OUT=metrics)
        print(f"running {args.driver}")
        sys.stdout.flush()
        rc = subprocess.call([args.driver], env=env, timeout=240)
        if rc != 0:
            errors.append(f"{os.path.basename(args.driver)} failed (exit {rc})")
        else:
            errors += check(influx, args.source_dir)
            errors += check_metrics(metrics, args.source_dir)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    for e in errors:
        print(f"influx_roundtrip: {e}", file=sys.stderr)
    if errors:
        return 1
    print("influx_roundtrip: nngbench points read back; dashboard queries answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
