#!/usr/bin/env python3
"""check: a running stack answers alike through the edge and straight from the bridge.

Sends the same requests to the edge (nginx, 8080) and to the bridge behind it (8090) and
compares status, headers (those nginx adds aside: Server, Date, Connection; order aside)
and bodies: readiness, the page, the catalog, the push redirect (Location unchanged), the
bridge's errors (401 with WWW-Authenticate, 404, 405, 413, 415, 400), bodies up to and past
the bridge's limit. Then what only the edge does: its own 413 past 1 MB in the bridge's
JSON shape, HTTP/1.0 without Host, and the client's address for the rate limits: the
bridge trusts X-Forwarded-For from 127.0.0.1, the edge replaces a client's claim with the
client's address (it lowers addressLoginsPerMinute for a moment and puts it back), and the
cap on open connections per address nginx has loaded (GET /_edge/limits) is the admin's
addressRestConnections.

usage: bridge/edge/check.py [EDGE_URL BRIDGE_URL ADMIN_KEY_FILE]
       (default http://127.0.0.1:8080 http://127.0.0.1:8090 var/admin.key)
Exit 0 when everything matched; the differences are printed.
"""
import http.client
import json
import os
import socket
import sys
import time
import urllib.parse

ADDED_BY_NGINX = {"server", "date", "connection", "keep-alive"}
JSON = {"Content-Type": "application/json"}
FAILED = []


def hostport(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port or 80


def request(target, method, path, headers=None, body=None, chunked=False):
    """request: one request on a new connection; returns (status, [(header, value)], body)."""
    conn = http.client.HTTPConnection(*target, timeout=10)
    try:
        if chunked:
            conn.putrequest(method, path)
            for k, v in (headers or {}).items():
                conn.putheader(k, v)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for i in range(0, len(body), 1000):
                conn.send(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]), body[i:i + 1000]))
            conn.send(b"0\r\n\r\n")
        else:
            conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, [(k.lower(), v) for k, v in r.getheaders()], r.read()
    finally:
        conn.close()


def own_headers(headers):
    return sorted(h for h in headers if h[0] not in ADDED_BY_NGINX)


def verdict(ok, what):
    print("%-4s %s" % ("ok" if ok else "FAIL", what))
    if not ok:
        FAILED.append(what)


def alike(edge, bridge, label, method, path, headers=None, body=None, compare_body=True):
    a = request(edge, method, path, headers, body)
    b = request(bridge, method, path, headers, body)
    ok = a[0] == b[0] and own_headers(a[1]) == own_headers(b[1]) and (not compare_body or a[2] == b[2])
    detail = "%s (%d)" % (label, a[0])
    if not ok:
        detail += "\n     edge   %d %s %r\n     bridge %d %s %r" % (
            a[0], own_headers(a[1]), a[2][:160], b[0], own_headers(b[1]), b[2][:160])
    verdict(ok, detail)


def login_body(user, password="demo"):
    return json.dumps({"userId": user, "password": password}).encode()


def padded(n):
    """padded: a login body of exactly n bytes."""
    head, tail = b'{"userId":9,"password":"', b'"}'
    return head + b"x" * (n - len(head) - len(tail)) + tail


def check_alike(edge, bridge, key):
    alike(edge, bridge, "GET /readyz", "GET", "/readyz")
    alike(edge, bridge, "GET /healthz", "GET", "/healthz")
    alike(edge, bridge, "GET /metrics (status, headers)", "GET", "/metrics", compare_body=False)
    alike(edge, bridge, "GET / (the page)", "GET", "/")
    alike(edge, bridge, "HEAD /", "HEAD", "/")
    alike(edge, bridge, "GET concerts", "GET", "/api/v1/concerts")
    alike(edge, bridge, "no such route: 404", "GET", "/api/v1/nope")
    alike(edge, bridge, "PUT concerts: 405", "PUT", "/api/v1/concerts", JSON, b"{}")
    alike(edge, bridge, "push: 307 with its Location", "GET", "/api/v1/queue/events?token=abc&x=%20y")
    alike(edge, bridge, "where push is", "GET", "/api/v1/queue/push")
    alike(edge, bridge, "wrong password: 401", "POST", "/api/v1/sessions", JSON, login_body(7, "nope"))
    alike(edge, bridge, "no session: 401 with WWW-Authenticate", "GET", "/api/v1/users/7/points")
    alike(edge, bridge, "forged session: 401", "GET", "/api/v1/users/7/points",
          {"Authorization": "Bearer s1.7.1.abc"})
    alike(edge, bridge, "seat map without a token: 401", "GET", "/api/v1/schedules/1/seats")
    alike(edge, bridge, "seat map with a forged token: 401", "GET", "/api/v1/schedules/1/seats",
          {"Queue-Token": "v1.1.1.1.xx"})
    alike(edge, bridge, "text/plain body: 415", "POST", "/api/v1/sessions", {"Content-Type": "text/plain"}, b"x")
    alike(edge, bridge, "not JSON: 400", "POST", "/api/v1/sessions", JSON, b"{nope")
    alike(edge, bridge, "body of 16384 bytes (the bridge's limit)", "POST", "/api/v1/sessions", JSON,
          padded(16384))
    alike(edge, bridge, "body of 16385 bytes: the bridge's 413", "POST", "/api/v1/sessions", JSON, padded(16385))
    alike(edge, bridge, "body of 200 KB: the bridge's 413", "POST", "/api/v1/sessions", JSON, padded(200000))
    alike(edge, bridge, "admin without its key: 403", "GET", "/api/v1/admin/limits")
    alike(edge, bridge, "admin limits", "GET", "/api/v1/admin/limits", {"Admin-Key": key})


def check_edge_only(edge):
    st, _, body = request(edge, "POST", "/api/v1/sessions", JSON, padded(20000), chunked=True)
    verdict(st == 413 and b'"TOO_LARGE"' in body, "chunked body of 20 KB: the bridge's 413 (%d)" % st)
    st, hd, body = request(edge, "POST", "/api/v1/sessions", JSON, padded(2000000))
    verdict(st == 413 and dict(hd).get("content-type") == "application/json" and
            json.loads(body)["error"]["code"] == "TOO_LARGE",
            "body of 2 MB: the edge's own 413 TOO_LARGE as JSON (%d %r)" % (st, body[:80]))
    st, _, body = request(edge, "POST", "/api/v1/sessions", JSON, login_body(11))
    verdict(st == 201 and b'"session"' in body, "a login through the edge: %d" % st)
    with socket.create_connection(edge, timeout=5) as s:
        s.sendall(b"GET /readyz HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    verdict(data.startswith(b"HTTP/1.1 200"), "HTTP/1.0 without Host: %r" % data[:20])


def check_cap(edge, key):
    """check_cap: the edge's cap is addressRestConnections in force (the bridge rewrites the
    edge's limits file within a second of a change, and nginx reloads it)."""
    want = json.loads(request(edge, "GET", "/api/v1/admin/limits", {"Admin-Key": key})[2])
    want = want.get("addressRestConnections")
    deadline = time.time() + 5
    while True:
        st, _, body = request(edge, "GET", "/_edge/limits")
        got = json.loads(body).get("addressRestConnections") if st == 200 else None
        if got == want or time.time() > deadline:
            break
        time.sleep(0.2)
    verdict(got == want, "the edge's cap on open connections per address is the admin's: %s (%s)"
            % (got, want))


def check_address(edge, bridge, key):
    admin = dict(JSON, **{"Admin-Key": key})
    saved = request(edge, "GET", "/api/v1/admin/limits", {"Admin-Key": key})[2]
    base = 1000 + int(time.time()) % 50000  # users not limited by an earlier run's logins
    try:
        request(edge, "PATCH", "/api/v1/admin/limits", admin, b'{"addressLoginsPerMinute":3}')
        time.sleep(1.5)  # every worker reads the limits anew once a second
        claim = "10.%d.%d.9" % (base % 250, base // 250 % 250)
        codes = [request(bridge, "POST", "/api/v1/sessions", dict(JSON, **{"X-Forwarded-For": claim}),
                         login_body(base + i))[0] for i in range(4)]
        verdict(codes == [201, 201, 201, 429],
                "straight to the bridge, from 127.0.0.1, the claimed %s is limited: %s" % (claim, codes))
        for i in range(4):
            request(edge, "POST", "/api/v1/sessions", JSON, login_body(base + 10 + i))
        st, hd, _ = request(edge, "POST", "/api/v1/sessions",
                            dict(JSON, **{"X-Forwarded-For": "10.250.250.%d" % (base % 250)}),
                            login_body(base + 20))
        verdict(st == 429 and dict(hd).get("retry-after"),
                "through the edge a client's claimed address is replaced by its own: %d" % st)
    finally:
        request(edge, "PATCH", "/api/v1/admin/limits", admin, saved)


def main():
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help") or len(args) not in (0, 3):
        print(__doc__.strip())
        return 2
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    edge_url, bridge_url, key_file = args or ("http://127.0.0.1:8080", "http://127.0.0.1:8090",
                                              os.path.join(root, "var", "admin.key"))
    with open(key_file) as f:
        key = f.readline().strip()
    edge, bridge = hostport(edge_url), hostport(bridge_url)
    check_alike(edge, bridge, key)
    check_edge_only(edge)
    check_cap(edge, key)
    check_address(edge, bridge, key)
    print("check: %s" % ("%d failed" % len(FAILED) if FAILED else "the edge answers as the bridge does"))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
