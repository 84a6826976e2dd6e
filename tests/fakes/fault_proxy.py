#!/usr/bin/env python3
"""An HTTP proxy for tests that injects faults between a client and a registry.

  fault_proxy.py --port P --upstream 127.0.0.1:R [--drop-body-every N]
                 [--status 503:5 --status 429:7] [--drop-response-every N]
                 [--reject-oci] [--throttle BYTES_PER_S] [--stats FILE]

Works as a reverse proxy (requests with a path go to --upstream) and as a forward proxy
(absolute-URI requests, as curl sends them through http_proxy). Request bodies are read
completely before anything is forwarded (store-and-forward, like many load balancers), so
a dropped request never reaches the registry half-written.

Faults (counted per kind, deterministic):
  --drop-body-every N      every Nth request with a body >= 64 KiB: read half, then close
  --status CODE:N          every Nth request: answer CODE without forwarding
                           (429 and 503 carry Retry-After: 1)
  --drop-response-every N  every Nth response with a body >= 64 KiB: send half, then close
  --reject-oci             PUT of an OCI manifest -> 400 MANIFEST_INVALID (as old registries)
--stats FILE gets a JSON object after every request: counts of requests, faults by kind,
and body bytes received from the client / forwarded upstream per method.
"""
import argparse, json, socket, sys, threading, time
from urllib.parse import urlsplit

BIG = 64 * 1024


class Stats:
    def __init__(self, path):
        self.path, self.lock = path, threading.Lock()
        self.data = {"requests": 0, "faults": {}, "received": {}, "forwarded": {},
                     "faults_on_body_requests": 0}

    def add(self, section, key, n=1):
        with self.lock:
            d = self.data[section] if section != "requests" else None
            if d is None:
                self.data["requests"] += n
            else:
                d[key] = d.get(key, 0) + n
            self.flush()

    def bump(self, key, n=1):
        with self.lock:
            self.data[key] += n
            self.flush()

    def flush(self):
        if self.path:
            with open(self.path + ".tmp", "w") as f:
                json.dump(self.data, f)
            import os
            os.replace(self.path + ".tmp", self.path)


class Plan:
    def __init__(self, a):
        self.a, self.lock = a, threading.Lock()
        self.n_all = self.n_body = self.n_resp = 0
        self.statuses = [tuple(int(x) for x in s.split(":")) for s in a.status]

    def request_fault(self, method, length):
        with self.lock:
            self.n_all += 1
            for code, every in self.statuses:
                if self.n_all % every == 0:
                    return ("status", code)
            if length >= BIG:
                self.n_body += 1
                if self.a.drop_body_every and self.n_body % self.a.drop_body_every == 0:
                    return ("drop-body", None)
        return None

    def response_fault(self, length):
        if length < BIG or not self.a.drop_response_every:
            return False
        with self.lock:
            self.n_resp += 1
            return self.n_resp % self.a.drop_response_every == 0


def read_headers(f):
    lines = []
    while True:
        line = f.readline()
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            return lines
        lines.append(line.decode("latin-1").rstrip("\r\n"))


def header(lines, name):
    for l in lines:
        k, _, v = l.partition(":")
        if k.strip().lower() == name:
            return v.strip()
    return None


def read_chunked(f):
    out = b""
    while True:
        line = f.readline()
        out += line
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while True:
                t = f.readline()
                out += t
                if t in (b"\r\n", b"\n", b""):
                    return out
        out += f.read(size + 2)


def send_simple(sock, status, reason, body=b"", extra=()):
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}",
            "Content-Type: application/json"] + list(extra)
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)


def handle(client, args, plan, stats):
    f = client.makefile("rb")
    try:
        while True:
            line = f.readline()
            if not line:
                return
            method, target, _ = line.decode("latin-1").split(" ", 2)
            lines = read_headers(f)
            if lines is None:
                return
            length = int(header(lines, "content-length") or 0)
            if target.startswith("http://"):
                u = urlsplit(target)
                host, port = u.hostname, u.port or 80
                path = u.path + ("?" + u.query if u.query else "")
            else:
                host, port = args.upstream.rsplit(":", 1)
                path = target
            stats.add("requests", None)
            fault = plan.request_fault(method, length)
            if fault and fault[0] == "drop-body":
                got = f.read(length // 2)
                stats.add("received", method, len(got))
                stats.add("faults", "drop-body")
                stats.bump("faults_on_body_requests")
                client.shutdown(socket.SHUT_RDWR)
                return
            body = f.read(length) if length else b""
            stats.add("received", method, len(body))
            if fault and fault[0] == "status":
                code = fault[1]
                stats.add("faults", str(code))
                if length >= BIG:
                    stats.bump("faults_on_body_requests")
                extra = ["Retry-After: 1"] if code in (429, 503) else []
                err = {"errors": [{"code": "TOOMANYREQUESTS" if code == 429 else "UNAVAILABLE",
                                   "message": "injected by fault_proxy"}]}
                send_simple(client, code, "Injected", json.dumps(err).encode(), extra)
                continue
            ctype = header(lines, "content-type") or ""
            if (args.reject_oci and method == "PUT" and "/manifests/" in path
                    and ctype.startswith("application/vnd.oci.image.manifest")):
                stats.add("faults", "reject-oci")
                err = {"errors": [{"code": "MANIFEST_INVALID", "message": "manifest invalid",
                                   "detail": "OCI manifests are not accepted here"}]}
                send_simple(client, 400, "Bad Request", json.dumps(err).encode())
                continue
            up = socket.create_connection((host, int(port)))
            keep = [l for l in lines if l.split(":")[0].strip().lower()
                    not in ("connection", "proxy-connection", "keep-alive")]
            req = f"{method} {path} HTTP/1.1\r\n" + "".join(l + "\r\n" for l in keep) + \
                "Connection: close\r\n\r\n"
            up.sendall(req.encode("latin-1"))
            if body:
                step = 256 * 1024
                for i in range(0, len(body), step):
                    up.sendall(body[i:i + step])
                    if args.throttle:
                        time.sleep(min(step, len(body) - i) / args.throttle)
                stats.add("forwarded", method, len(body))
            uf = up.makefile("rb")
            status_line = uf.readline()
            rlines = read_headers(uf) or []
            status = int(status_line.split()[1])
            if method == "HEAD" or status in (204, 304) or status < 200:
                rbody = b""
            elif header(rlines, "content-length") is not None:
                rbody = uf.read(int(header(rlines, "content-length")))
            elif (header(rlines, "transfer-encoding") or "").lower() == "chunked":
                rbody = read_chunked(uf)
            else:
                rbody = uf.read()
            up.close()
            rkeep = [l for l in rlines if l.split(":")[0].strip().lower()
                     not in ("connection", "keep-alive")]
            head = status_line.decode("latin-1").rstrip("\r\n") + "\r\n" + \
                "".join(l + "\r\n" for l in rkeep) + "Connection: keep-alive\r\n\r\n"
            if plan.response_fault(len(rbody)):
                stats.add("faults", "drop-response")
                client.sendall(head.encode("latin-1") + rbody[:len(rbody) // 2])
                client.shutdown(socket.SHUT_RDWR)
                return
            client.sendall(head.encode("latin-1") + rbody)
    except (ConnectionError, OSError, ValueError):
        return
    finally:
        try:
            client.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", default="127.0.0.1:5000")
    ap.add_argument("--drop-body-every", type=int, default=0)
    ap.add_argument("--drop-response-every", type=int, default=0)
    ap.add_argument("--status", action="append", default=[])
    ap.add_argument("--reject-oci", action="store_true")
    ap.add_argument("--throttle", type=float, default=0)
    ap.add_argument("--stats", default="")
    a = ap.parse_args()
    plan, stats = Plan(a), Stats(a.stats)
    stats.flush()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", a.port))
    srv.listen(64)
    print(f"fault proxy on 127.0.0.1:{a.port}", file=sys.stderr, flush=True)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=handle, args=(c, a, plan, stats), daemon=True).start()


if __name__ == "__main__":
    main()
