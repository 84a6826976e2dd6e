#!/usr/bin/env python3
"""A small registry token server for tests (the distribution token spec, RS256 JWTs).

  token_server.py --port P --key key.pem --cert cert.pem --issuer I --service S \
                  --user alice:secret [--refresh-token TOKEN=alice] [--log FILE]

GET  /token?service=S&scope=repository:x:pull,push   Basic auth -> {"token","expires_in"}
POST /token  grant_type=password|refresh_token (OAuth2) -> {"access_token",...}
Known users get every action they ask for; anonymous requests get pull only on
repositories under "public/"; wrong passwords get 401. With --oauth-issued FILE (the record
gcp_oauth_fake.py writes), user "oauth2accesstoken" is accepted when its password is an
unexpired access token listed there, as gcr.io / Artifact Registry accept ADC tokens. Each token issued is appended to
--log as one JSON line (user, scopes) so tests can count them. Signing uses the openssl CLI.
"""
import argparse, base64, json, subprocess, sys, threading, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    def __init__(self, args):
        self.args = args
        self.users = dict(u.split(":", 1) for u in args.user)
        self.refresh = dict(r.split("=", 1) for r in args.refresh_token)
        with open(args.cert) as f:
            pem = "".join(l for l in f.read().splitlines() if "-----" not in l)
        self.x5c = [pem]
        self.lock = threading.Lock()

    def password_ok(self, user, password):
        if user == "oauth2accesstoken" and self.args.oauth_issued:
            with open(self.args.oauth_issued) as f:
                for line in f:
                    rec = json.loads(line)
                    if rec["token"] == password and rec["exp"] > time.time():
                        return True
            return False
        return user in self.users and self.users[user] == password

    def sign(self, user, scopes):
        access = []
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) < 3 or parts[0] != "repository":
                continue
            name, actions = ":".join(parts[1:-1]), parts[-1].split(",")
            if user is None:
                actions = [a for a in actions if a == "pull" and name.startswith("public/")]
            access.append({"type": "repository", "name": name, "actions": actions})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        claims = {"iss": self.args.issuer, "sub": user or "", "aud": self.args.service,
                  "exp": now + self.args.expires_in, "nbf": now - 10, "iat": now,
                  "jti": str(uuid.uuid4()), "access": access}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.args.key],
                             input=signing_input.encode(), capture_output=True, check=True).stdout
        if self.args.log:
            with self.lock, open(self.args.log, "a") as f:
                f.write(json.dumps({"user": user, "scopes": scopes}) + "\n")
        return signing_input + "." + b64url(sig)


def make_handler(ts):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="token"')
            self.end_headers()
            self.wfile.write(body)

        def basic_user(self):
            h = self.headers.get("Authorization", "")
            if not h.startswith("Basic "):
                return None, True
            user, _, pw = base64.b64decode(h[6:]).decode().partition(":")
            return user, ts.password_ok(user, pw)

        def do_GET(self):
            q = parse_qs(urlparse(self.path).query)
            if q.get("service", [""])[0] != ts.args.service:
                return self.reply(400, {"error": "unknown service"})
            user, ok = self.basic_user()
            if not ok:
                return self.reply(401, {"error": "bad credentials"})
            token = ts.sign(user, q.get("scope", []))
            self.reply(200, {"token": token, "access_token": token,
                             "expires_in": ts.args.expires_in})

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            form = parse_qs(self.rfile.read(n).decode())
            grant = form.get("grant_type", [""])[0]
            if grant == "refresh_token":
                user = ts.refresh.get(form.get("refresh_token", [""])[0])
            elif grant == "password":
                user = form.get("username", [""])[0]
                if not ts.password_ok(user, form.get("password", [""])[0]):
                    user = None
            else:
                return self.reply(400, {"error": "unsupported_grant_type"})
            if user is None:
                return self.reply(401, {"error": "invalid_grant"})
            scopes = " ".join(form.get("scope", [])).split()
            token = ts.sign(user, scopes)
            self.reply(200, {"access_token": token, "expires_in": ts.args.expires_in,
                             "scope": " ".join(scopes)})

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", default="mlbox-test-issuer")
    ap.add_argument("--service", default="mlbox-test-registry")
    ap.add_argument("--user", action="append", default=[])
    ap.add_argument("--refresh-token", action="append", default=[])
    ap.add_argument("--expires-in", type=int, default=300)
    ap.add_argument("--log", default="")
    ap.add_argument("--oauth-issued", default="")
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(TokenServer(args)))
    print(f"token server on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
