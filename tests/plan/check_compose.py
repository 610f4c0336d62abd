#!/usr/bin/env python3
"""check_compose: compose.yaml is valid and carries what the plan relies on.

Runs `docker-compose -f compose.yaml config -q` (the Compose schema and interpolation),
then reads the resolved configuration (`config`) and checks: the services exist; service
and bridge run 1 CPU / 1 GB limits, the service 2 replicas and migrates at start; no
public default secret is left (no `change-me`, no key set when nothing is set) and the
one-shot `secrets` service makes the token secret, admin key and JWT key in a volume the
service and k6 read them from unless the environment sets them; redis runs with AOF; the edge (nginx) publishes 8080 and proxies to the bridge on 8090, which
publishes no REST port and trusts X-Forwarded-For from the edge's fixed address alone; k6
sits under the bench profile writing to InfluxDB and reaching REST through the edge; every
bind-mounted file or folder, the Dockerfile and the sources it copies exist in the source
tree.

usage: check_compose.py SOURCE_DIR [DOCKER_COMPOSE]
"""
import ipaddress
import os
import subprocess
import sys

import yaml

REQUIRED = ["postgres", "redis", "secrets", "migrate", "service", "bridge", "edge", "influxdb", "grafana",
            "prometheus", "k6"]

# The keys compose makes on first start: file in the secrets volume -> the variable the
# service reads (k6 reads the admin and JWT keys under its own names).
SECRET_FILES = {"token_secret": "BOXOFFICE_TOKEN_SECRET", "admin_key": "BOXOFFICE_ADMIN_KEY",
                "jwt_secret": "BOXOFFICE_JWT_SECRET"}
K6_SECRETS = {"admin_key": "ADMIN_KEY", "jwt_secret": "JWT_SECRET"}


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    src = os.path.abspath(sys.argv[1])
    dc = sys.argv[2] if len(sys.argv) == 3 else "docker-compose"
    compose = os.path.join(src, "compose.yaml")
    base = [dc, "--project-directory", src, "-f", compose]
    r = subprocess.run(base + ["config", "-q"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        print(f"check_compose: {dc} config -q rejects compose.yaml", file=sys.stderr)
        return 1
    print(f"check_compose: {dc} -f compose.yaml config -q: ok")
    r = subprocess.run(base + ["--profile", "bench", "config"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        return 1
    cfg = yaml.safe_load(r.stdout)
    services = cfg.get("services", {})
    errors = []
    for name in REQUIRED:
        if name not in services:
            errors.append(f"service {name} missing")
    if errors:
        return report(errors)

    def limits(name):
        lim = ((services[name].get("deploy") or {}).get("resources") or {}).get("limits") or {}
        if float(lim.get("cpus", 0)) != 1.0 or str(lim.get("memory", "")).upper() not in ("1G", "1GB", "1024M"):
            errors.append(f"{name}: deploy.resources.limits must be cpus 1, memory 1G (got {lim})")

    limits("service")
    limits("bridge")
    if (services["service"].get("deploy") or {}).get("replicas") != 2:
        errors.append("service: deploy.replicas must be 2")
    env = services["service"].get("environment") or {}
    for k in ("BOXOFFICE_DATABASE_URL", "BOXOFFICE_REDIS_URL"):
        if not env.get(k):
            errors.append(f"service: environment {k} missing")
    errors += check_secrets(compose, r.stdout, services)
    if str(env.get("BOXOFFICE_MIGRATE")) != "1":
        errors.append("service: BOXOFFICE_MIGRATE must be 1")
    mig = " ".join(services["migrate"].get("command") or [])
    if "--migrate=2" not in mig or "--seed-file=db/seed.sql" not in mig:
        errors.append(f"migrate: command must run --migrate=2 --seed-file=db/seed.sql (got {mig})")
    if "--appendonly" not in " ".join(services["redis"].get("command") or []):
        errors.append("redis: must run with --appendonly yes")
    if not str(services["postgres"].get("image", "")).startswith("postgres:15"):
        errors.append("postgres: image postgres:15")
    if not services["postgres"].get("healthcheck"):
        errors.append("postgres: healthcheck missing")
    if not str(services["influxdb"].get("image", "")).startswith("influxdb:1.8"):
        errors.append("influxdb: image influxdb:1.8")
    k6 = services["k6"]
    if "bench" not in (k6.get("profiles") or []):
        errors.append("k6: must be under profiles: [bench]")
    k6env = k6.get("environment") or {}
    if k6env.get("K6_OUT") != "influxdb=http://influxdb:8086/k6":
        errors.append(f"k6: K6_OUT must be influxdb=http://influxdb:8086/k6 (got {k6env.get('K6_OUT')})")
    if k6env.get("BASE_URL") != "http://edge:8080":
        errors.append("k6: BASE_URL must be http://edge:8080 (REST goes through the edge)")
    bridge_cmd = " ".join(services["bridge"].get("command") or [])
    if "--rpc-urls=" not in bridge_cmd or "--listen=0.0.0.0:8090" not in bridge_cmd:
        errors.append(f"bridge: command must listen on 0.0.0.0:8090 and name --rpc-urls (got {bridge_cmd})")
    errors += check_edge(cfg, services, bridge_cmd)

    # Bind mounts and build files must exist.
    for name, svc in services.items():
        for v in svc.get("volumes") or []:
            source = v.get("source") if isinstance(v, dict) else v.split(":", 1)[0]
            vtype = v.get("type") if isinstance(v, dict) else ("bind" if source.startswith(("/", ".")) else "volume")
            if vtype == "bind" and not os.path.exists(source):
                errors.append(f"{name}: mounts {source}, which does not exist")
        build = svc.get("build")
        if isinstance(build, dict):
            context = build.get("context", src)
            df = os.path.join(context, build.get("dockerfile", "Dockerfile"))
            if not os.path.exists(df):
                errors.append(f"{name}: Dockerfile {df} missing")
            else:
                errors += [f"{name}: {e}" for e in dockerfile_copies(df, context)]
    if errors:
        return report(errors)
    print(f"check_compose: {len(services)} services; limits, replicas, the edge, profiles and mounts as planned")
    return 0


def mounted_at(svc, volume):
    """mounted_at: where svc mounts the named volume, or None."""
    for v in svc.get("volumes") or []:
        source, target = (v.get("source"), v.get("target")) if isinstance(v, dict) else v.split(":")[:2]
        if source == volume:
            return target
    return None


def check_secrets(compose, resolved, services):
    """check_secrets: with nothing set no secret has a value: no `change-me` default in the file
    or the resolved configuration, and every key variable of the service and k6 is empty; the
    one-shot `secrets` service writes each key file into the `secrets` volume when missing; the
    service and k6 mount that volume, wait for it and read each key from it unless set."""
    errors = []
    with open(compose, encoding="utf-8") as f:
        if "change-me" in f.read().lower():
            errors.append("compose.yaml: a `change-me` default secret remains")
    if "change-me" in resolved.lower():
        errors.append("config: a `change-me` default secret remains after interpolation")
    gen = services["secrets"]
    at = mounted_at(gen, "secrets")
    script = " ".join(gen.get("command") or [])
    if at is None:
        errors.append("secrets: must mount the `secrets` volume")
        return errors
    for name in SECRET_FILES:
        if name not in script or "/dev/urandom" not in script or "-s " not in script:
            errors.append(f"secrets: must make {at}/{name} from /dev/urandom when missing (-s)")
    for svc_name, wanted in (("service", SECRET_FILES), ("k6", K6_SECRETS)):
        svc = services[svc_name]
        env = svc.get("environment") or {}
        entry = " ".join(svc.get("entrypoint") or [])
        if mounted_at(svc, "secrets") != at:
            errors.append(f"{svc_name}: must mount the `secrets` volume at {at} (read-only)")
        dep = ((svc.get("depends_on") or {}).get("secrets") or {}).get("condition")
        if dep != "service_completed_successfully":
            errors.append(f"{svc_name}: must depend on `secrets` having completed")
        for name, var in wanted.items():
            if env.get(var):
                errors.append(f"{svc_name}: {var} has a value with nothing set: a public default")
            # "${VAR:=$(cat DIR/FILE)}" after interpolation ($$ kept by config).
            if f"{var}:=" not in entry or f"/{name}" not in entry or at not in entry:
                errors.append(f"{svc_name}: entrypoint must set {var} from {at}/{name} unless set")
    return errors


def published(svc):
    """published: the container ports a service publishes on the host."""
    ports = []
    for p in svc.get("ports") or []:
        target = p.get("target") if isinstance(p, dict) else str(p).split(":")[-1].split("/")[0]
        ports.append(int(target))
    return ports


def check_edge(cfg, services, bridge_cmd):
    """check_edge: the edge publishes 8080 and proxies to bridge:8090 once the bridge is healthy;
    the bridge publishes push (8081) but no REST port and trusts exactly the edge's fixed
    address on a network both share, inside that network's subnet."""
    errors = []
    edge, bridge = services["edge"], services["bridge"]
    if published(edge) != [8080]:
        errors.append(f"edge: must publish 8080 alone (got {published(edge)})")
    if sorted(published(bridge)) != [8081]:
        errors.append(f"bridge: must publish push (8081) alone, REST only through the edge "
                      f"(got {published(bridge)})")
    env = edge.get("environment") or {}
    if env.get("EDGE_BRIDGE") != "bridge:8090" or str(env.get("EDGE_LISTEN")) != "8080":
        errors.append(f"edge: EDGE_BRIDGE must be bridge:8090 and EDGE_LISTEN 8080 (got {env})")
    if ((edge.get("depends_on") or {}).get("bridge") or {}).get("condition") != "service_healthy":
        errors.append("edge: must depend on the bridge being healthy (nginx resolves bridge at start)")
    if "8080/readyz" not in " ".join((edge.get("healthcheck") or {}).get("test") or []):
        errors.append("edge: healthcheck must ask http://127.0.0.1:8080/readyz")
    trusted = [a.split("=", 1)[1] for a in bridge_cmd.split() if a.startswith("--trusted-proxy=")]
    shared = set(edge.get("networks") or {}) & set(bridge.get("networks") or {})
    addrs = {n: ((edge.get("networks") or {}).get(n) or {}).get("ipv4_address") for n in shared}
    if len(trusted) != 1 or trusted[0] not in addrs.values():
        errors.append(f"bridge: --trusted-proxy must be the edge's fixed address on a network both "
                      f"share (trusted {trusted}, edge's {addrs})")
        return errors
    net = [n for n, a in addrs.items() if a == trusted[0]][0]
    subnets = [c.get("subnet") for c in ((cfg.get("networks") or {}).get(net) or {}).get("ipam", {}).get("config") or []]
    if not any(ipaddress.ip_address(trusted[0]) in ipaddress.ip_network(s) for s in subnets if s):
        errors.append(f"networks.{net}: the edge's address {trusted[0]} is in no subnet of it ({subnets})")
    return errors


def dockerfile_copies(path, context):
    """Every COPY/ADD source (not --from a stage) of the Dockerfile exists in the context."""
    errors = []
    with open(path, encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].upper() not in ("COPY", "ADD"):
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        if any(w.startswith("--from") for w in words[1:]) or len(args) < 2:
            continue
        for source in args[:-1]:
            if not os.path.exists(os.path.join(context, source)):
                errors.append(f"{os.path.basename(path)}: COPY source {source} not in the build context")
    return errors


def report(errors):
    for e in errors:
        print(f"check_compose: {e}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
