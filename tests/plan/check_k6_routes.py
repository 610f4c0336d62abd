#!/usr/bin/env python3
"""check_k6_routes: the k6 scripts call only REST routes that exist.

TypeScript knows k6's API but not boxoffice's routes, so this check reads the scripts'
http.get/post/put/patch/del/request calls and every '/api/...' route name they carry
(the `name` tags) and fails when one is not in tests/plan/rest_routes.txt (the contract)
or not in the bridge's route table (bridge/br_router.c, when present), and when the
contract and that table do not name the same routes.

usage: check_k6_routes.py SOURCE_DIR
"""
import os
import re
import sys

import plan_report

# http.post(`${BASE_URL}/api/v1/queue/tokens`, ...) or http.request('PUT', `${BASE_URL}/...`)
CALL = re.compile(
    r"http\.(get|post|put|patch|del|head|options)\(\s*`\$\{BASE_URL\}([^`]*)`"
    r"|http\.request\(\s*['\"]([A-Z]+)['\"]\s*,\s*`\$\{BASE_URL\}([^`]*)`")
# Any other call of http.<method>( whose URL the pattern above could not read.
ANY_CALL = re.compile(r"http\.(get|post|put|patch|del|head|options|request)\(")
# A route named in a string literal ('...' or "..."), e.g. a name tag.
NAMED = re.compile(r"""['"](/(?:api|healthz|readyz|metrics)[^'"\s]*)['"]""")
BRIDGE_ROUTE = re.compile(r'\{\s*"([A-Z]+)"\s*,\s*"(/[^"]*)"')
PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\{[^}]*\}")
METHODS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "del": "DELETE",
           "head": "HEAD", "options": "OPTIONS"}


def shape(path):
    """shape turns /a/${id}/b and /a/{concertId}/b into /a/{}/b (query string dropped)."""
    return PLACEHOLDER.sub("{}", path.split("?", 1)[0])


def read_routes(path):
    routes = set()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 2 or not parts[1].startswith("/"):
                sys.exit(f"{path}:{n}: expected 'METHOD /path', got {line!r}")
            routes.add((parts[0].upper(), shape(parts[1])))
    return routes


def scripts(k6_dir):
    for root, dirs, files in os.walk(k6_dir):
        dirs[:] = [d for d in dirs if d != "node_modules"]
        for name in sorted(files):
            if name.endswith(".js"):
                yield os.path.join(root, name)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    src = sys.argv[1]
    k6_dir = os.path.join(src, "bench", "k6")
    contract = read_routes(os.path.join(src, "tests", "plan", "rest_routes.txt"))
    contract_paths = {p for _, p in contract}
    bridge = None
    router = os.path.join(src, "bridge", "br_router.c")
    if os.path.exists(router):
        with open(router, encoding="utf-8") as f:
            bridge = {(m, shape(p)) for m, p in BRIDGE_ROUTE.findall(f.read())}

    errors = []
    calls = 0
    if bridge is not None:
        # The contract and the bridge's table name the same routes, so neither drifts.
        for method, route in sorted(contract - bridge):
            errors.append(f"tests/plan/rest_routes.txt: {method} {route} is not served by the "
                          "bridge (bridge/br_router.c)")
        for method, route in sorted(bridge - contract):
            errors.append(f"bridge/br_router.c: {method} {route} is missing from "
                          "tests/plan/rest_routes.txt")
    for path in scripts(k6_dir):
        rel = os.path.relpath(path, src)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        read = 0
        for m in CALL.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            method = METHODS[m.group(1)] if m.group(1) else m.group(3)
            route = shape(m.group(2) if m.group(1) else m.group(4))
            read += 1
            if (method, route) not in contract:
                errors.append(f"{rel}:{line}: {method} {route} is not a REST route (tests/plan/rest_routes.txt)")
            elif bridge is not None and (method, route) not in bridge:
                errors.append(f"{rel}:{line}: {method} {route} is not served by the bridge (bridge/br_router.c)")
        found = len(ANY_CALL.findall(text))
        if found != read:
            errors.append(f"{rel}: {found} http calls but only {read} with a readable "
                          f"`${{BASE_URL}}/...` template URL; write URLs that way")
        calls += read
        for m in NAMED.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            if shape(m.group(1)) not in contract_paths:
                errors.append(f"{rel}:{line}: route name {m.group(1)} is not a REST route")
    if calls == 0:
        errors.append(f"no http calls found under {os.path.relpath(k6_dir, src)}")
    return plan_report.finish(
        "check_k6_routes", errors,
        f"{calls} calls in the k6 scripts, all on known routes"
        + ("" if bridge is not None else " (bridge route table not found, contract only)"))


if __name__ == "__main__":
    sys.exit(main())
