#!/usr/bin/env python3
"""Runs each HTTP case through both transports (mlbox_http_probe_curl and
mlbox_http_probe_socket) and checks each answer against what the case expects, and the
two answers against each other (the socket transport keeps the curl transport's contract).

  http_transport_cases.py BUILD_DIR WORK HTTP_PORT TLS_PORT PROXY_PORT CA
"""
import hashlib
import json
import os
import subprocess
import sys

build, work, http_port, tls_port, proxy_port, ca = sys.argv[1:7]
H = "http://127.0.0.1:%s" % http_port
T = "https://localhost:%s" % tls_port
BIG_SHA = hashlib.sha256(bytes((i * 7 + (i >> 8)) & 0xFF for i in range(3 * 1024 * 1024 + 17))).hexdigest()
payload = os.path.join(work, "payload.bin")
with open(payload, "wb") as f:
    f.write(os.urandom(5 * 1024 * 1024 + 3))
PAYLOAD_SHA = hashlib.sha256(open(payload, "rb").read()).hexdigest()
failures = []


def run(binary, args, env_extra):
    env = dict(os.environ)
    for k in ("http_proxy", "https_proxy", "all_proxy", "HTTPS_PROXY", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        env.pop(k, None)
    env.update(env_extra)
    p = subprocess.run([os.path.join(build, binary)] + args, env=env, capture_output=True, text=True, timeout=60)
    return json.loads(p.stdout.strip().splitlines()[-1])


# net::failure_name() spellings.
NAMES = {"none": "none", "resolve": "host not found", "connect": "connection failed", "reset": "connection reset",
         "timeout": "timed out", "tls": "TLS failure", "aborted": "aborted", "other": "transfer failed"}


def case(name, args, env=None, differ=(), **want):
    if isinstance(want.get("failure"), str):
        want["failure"] = NAMES[want["failure"]]
    answers = {}
    for transport in ("curl", "socket"):
        out = os.path.join(work, "out-%s.bin" % transport)
        a = [x.replace("{OUT}", out) for x in args]
        r = run("mlbox_http_probe_" + transport, a, env or {})
        if "{OUT}" in " ".join(args) and os.path.exists(out):
            r["file_sha256"] = hashlib.sha256(open(out, "rb").read()).hexdigest()
            os.remove(out)
        answers[transport] = r
        for key, expected in want.items():
            got = r.get(key)
            ok = expected(got) if callable(expected) else got == expected
            if not ok:
                failures.append("%s [%s]: %s = %r, expected %r (error: %s)" % (name, transport, key, got, expected, r.get("error")))
        if "failure" in r and r["failure"] != "none" and not r.get("error"):
            failures.append("%s [%s]: a failure without its reason" % (name, transport))
        for secret in ("s3cr3t", "Bearer tok"):
            if secret in r.get("error", ""):
                failures.append("%s [%s]: the error shows a credential" % (name, transport))
    c, s = answers["curl"], answers["socket"]
    for key in ("failure", "status", "body_bytes", "effective_url", "refused_redirect", "file_sha256", "exception"):
        if key not in differ and c.get(key) != s.get(key):
            failures.append("%s: %s differs: curl %r, socket %r" % (name, key, c.get(key), s.get(key)))
    print("%-28s curl=%s/%s socket=%s/%s" % (name, c.get("failure"), c.get("status"), s.get("failure"), s.get("status")))
    return answers


json_body = lambda r: json.loads(r["body"])

case("content-length", [H + "/text"], failure="none", status=200, body="hello")
case("head", ["--method", "HEAD", H + "/text"], failure="none", status=200, body="",
     headers=lambda h: h.get("content-length") == "5")
case("chunked", [H + "/chunked"], failure="none", status=200, body_bytes=sum(10 * (i + 1) for i in range(50)))
case("read-until-close", [H + "/until-close"], failure="none", status=200, body_bytes=100000)
case("stream-to-file", ["--out", "{OUT}", H + "/big"], failure="none", status=200, file_sha256=BIG_SHA,
     received=len(bytes(3 * 1024 * 1024 + 17)))
case("max-body", ["--max-body", "1000", H + "/big"], failure="other", status=200)
case("error-status-body", [H + "/status/503"], failure="none", status=503,
     body='{"errors":[{"code":"UNAVAILABLE"}]}')
case("error-status-not-sunk", ["--out", "{OUT}", H + "/status/404"], failure="none", status=404,
     body='{"errors":[{"code":"UNAVAILABLE"}]}', file_sha256=None)
a = case("put-file", ["--method", "PUT", "--data-file", payload, H + "/echo"], failure="none", status=201,
         sent=5 * 1024 * 1024 + 3)
for t, r in a.items():
    b = json_body(r)
    if b["sha256"] != PAYLOAD_SHA or b["content-length"] != str(5 * 1024 * 1024 + 3) or b["expect"] or b["transfer-encoding"]:
        failures.append("put-file [%s]: the server got %r" % (t, b))
a = case("post-string", ["--method", "POST", "--data", "a=1", "--header", "Content-Type: text/plain", H + "/echo"],
         failure="none", status=201)
for t, r in a.items():
    if json_body(r)["bytes"] != 3:
        failures.append("post-string [%s]: %r" % (t, r["body"]))
case("empty-put", ["--method", "PUT", "--data", "", H + "/echo"], failure="none", status=201,
     body=lambda b: json.loads(b)["content-length"] == "0")
case("no-follow", [H + "/redirect-relative"], failure="none", status=302)
case("relative-redirect", ["--follow", H + "/redirect-relative"], failure="none", status=200, body="hello",
     effective_url=H + "/text")
case("absolute-redirect", ["--follow", H + "/redirect-absolute"], failure="none", status=200, body="hello")
a = case("redirect-drops-auth", ["--follow", "--ca-cert", ca, "--header", "Authorization: Bearer tok",
                                 H + "/redirect-to-tls"], failure="none", status=200, effective_url=T + "/headers")
for t, r in a.items():
    if "authorization" in json_body(r):
        failures.append("redirect-drops-auth [%s]: Authorization followed the redirect to another host" % t)
case("redirect-to-plain-http", ["--follow", H + "/redirect-plain"],
     exception=lambda e: e is not None and "plain HTTP" in e and "nothing was sent" in e,
     env={"MLBOX_CONNECT_TO": "plain.example.test:%s:127.0.0.1:%s" % (http_port, http_port)})
case("redirect-loop", ["--follow", H + "/redirect-loop"], failure="other")
case("reset-mid-body", [H + "/reset-mid"], failure="reset")
case("bad-status-line", [H + "/bad-status"], failure=lambda f: f not in (None, "none"))
case("http2-status-line", [H + "/http2-status"], failure="none", status=200, body="ok")  # as libcurl reads it
case("stall", ["--stall-timeout", "2", H + "/stall"], failure="timeout")
case("refused", ["http://127.0.0.1:1/"], failure="connect")
case("no-such-host", ["https://no-such-host.invalid/"], failure="resolve")
case("tls-verified", ["--ca-cert", ca, T + "/text"], failure="none", status=200, body="hello")
case("tls-unknown-ca", [T + "/text"], failure="tls", env={"SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"})
case("tls-wrong-name", ["--ca-cert", ca, "https://wrong.example.test:%s/text" % tls_port], failure="tls",
     env={"MLBOX_CONNECT_TO": "wrong.example.test:%s:127.0.0.1:%s" % (tls_port, tls_port)})
case("tls-insecure-host", ["--insecure", "wrong.example.test", "https://wrong.example.test:%s/text" % tls_port],
     failure="none", status=200, env={"MLBOX_CONNECT_TO": "wrong.example.test:%s:127.0.0.1:%s" % (tls_port, tls_port)})
case("tls-bad-ca-file", ["--ca-cert", "/nonexistent/ca.pem", T + "/text"], failure="tls")
proxy = "http://user:s3cr3t@127.0.0.1:%s" % proxy_port
case("https-through-proxy", ["--ca-cert", ca, T + "/text"], failure="none", status=200, body="hello",
     env={"https_proxy": proxy})
# libcurl calls a refused CONNECT a reset; the socket transport, a failed connection.
case("proxy-wrong-password", ["--ca-cert", ca, T + "/text"], differ=("failure",),
     failure=lambda f: f in (NAMES["connect"], NAMES["reset"]), error=lambda e: "407" in e,
     env={"https_proxy": "http://user:wrong@127.0.0.1:%s" % proxy_port})
case("no_proxy-bypass", ["--ca-cert", ca, T + "/text"], failure="none", status=200,
     env={"https_proxy": "http://127.0.0.1:1", "no_proxy": "example.org,localhost"})
# Keep-alive: three requests in one process open one connection (the count itself is read
# over a connection of its own).
import urllib.request
count = lambda: int(urllib.request.urlopen(H + "/connections", timeout=10).read())
for transport in ("curl", "socket"):
    before = count()
    r = run("mlbox_http_probe_" + transport, ["--repeat", "3", H + "/text"], {})
    opened = count() - before - 1
    print("%-28s %s: %d connection(s) for 3 requests" % ("keep-alive", transport, opened))
    if r["failure"] != "none" or opened != 1:
        failures.append("keep-alive [%s]: %d connections for 3 requests" % (transport, opened))

if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("all cases agree")
