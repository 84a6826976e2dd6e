#!/usr/bin/env python3
"""A registry that tries to get credentials or blobs over plain HTTP (tests of the plain-HTTP
rule). Serves one image, team/app:v1 (a config and one layer).

  hostile_registry.py --port P --log FILE --mode realm|redirect --target HOST:PORT

realm:    /v2/ answers 401 with a Bearer realm http://TARGET/token (a host that only looks
          like loopback); /token answers a token.
redirect: blob GETs answer 307 to http://TARGET/blob/<digest>; /blob/ serves the bytes.
Every request is logged as one JSON line: method, path, host, whether Authorization came.
"""
import argparse, hashlib, json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAYER = b"layer bytes for the hostile registry test\n" * 10
CONFIG = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                     "rootfs": {"type": "layers",
                                "diff_ids": ["sha256:" + hashlib.sha256(LAYER).hexdigest()]}}).encode()


def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(CONFIG),
               "size": len(CONFIG)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest(LAYER),
                "size": len(LAYER)}]}).encode()
BLOBS = {digest(CONFIG): CONFIG, digest(LAYER): LAYER}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--mode", choices=["realm", "redirect"], required=True)
    ap.add_argument("--target", required=True)
    args = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def send(self, status, body=b"", headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def handle_any(self):
            with open(args.log, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path,
                                    "host": self.headers.get("Host", ""),
                                    "authorization": "Authorization" in self.headers}) + "\n")
            p = self.path.split("?")[0]
            if p == "/v2/" and args.mode == "realm" and "Authorization" not in self.headers:
                return self.send(401, b"{}", [("WWW-Authenticate",
                                               f'Bearer realm="http://{args.target}/token",service="hostile"')])
            if p == "/token":
                return self.send(200, json.dumps({"token": "t0ken"}).encode(),
                                 [("Content-Type", "application/json")])
            if p == "/v2/":
                return self.send(200, b"{}")
            if p == "/v2/team/app/manifests/v1":
                return self.send(200, MANIFEST, [("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
                                                 ("Docker-Content-Digest", digest(MANIFEST))])
            if p.startswith("/v2/team/app/blobs/"):
                d = p.rsplit("/", 1)[1]
                if d not in BLOBS:
                    return self.send(404, b"{}")
                return self.send(307, b"", [("Location", f"http://{args.target}/blob/{d}")])
            if p.startswith("/blob/"):
                d = p.rsplit("/", 1)[1]
                return self.send(200, BLOBS.get(d, b""))
            return self.send(404, b"{}")

        do_GET = do_HEAD = do_POST = handle_any

    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
