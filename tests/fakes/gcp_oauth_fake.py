#!/usr/bin/env python3
"""A Google OAuth2 token endpoint and GCE metadata server for tests.

  gcp_oauth_fake.py --port P --issued FILE
      [--service-account EMAIL=PUBLIC_KEY.pem]...   keys whose JWTs are accepted
      [--refresh-token CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN]...  authorized_user grants
      [--metadata-email EMAIL] [--expires-in SECONDS] [--log FILE]

POST /token (application/x-www-form-urlencoded):
  grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT
      The JWT must be RS256 (alg=none and other algorithms are refused), signed by the
      private key of a known service account (verified against its public key), with
      iss = that account, aud = this endpoint's URL (http://127.0.0.1:P/token) or Google's
      (https://oauth2.googleapis.com/token, which gcloud's google-auth always uses), scope
      present, iat not in the future (60 s skew) and exp - iat <= 3600 and exp not passed.
  grant_type=refresh_token&client_id&client_secret&refresh_token
Errors are Google's OAuth JSON: 400 {"error": "invalid_grant", "error_description": ...}.
GET / and GET /computeMetadata/v1/instance/service-accounts/default/token are the
metadata server: they require "Metadata-Flavor: Google" (403 otherwise) and answer with it.
GET /tokeninfo?access_token=T is an introspection endpoint (like Google's).

Every access token issued is appended to --issued as one JSON line {token, principal, exp,
scope} so other fakes (token_server.py, vertex_fake.py) can check Bearer tokens. --log
gets one JSON line per request {path, grant_type, outcome} (never the token).
"""
import argparse, base64, json, os, secrets, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token"


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class OAuthError(Exception):
    def __init__(self, status, error, description):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


class Fake:
    def __init__(self, args):
        self.args = args
        self.keys = {}
        for spec in args.service_account:
            email, path = spec.split("=", 1)
            with open(path, "rb") as f:
                self.keys[email] = serialization.load_pem_public_key(f.read())
        self.refresh = {}
        for spec in args.refresh_token:
            cid, secret, token = spec.split(":", 2)
            self.refresh[token] = (cid, secret)
        self.lock = threading.Lock()
        self.issued = {}

    def issue(self, principal, scope):
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        exp = int(time.time()) + self.args.expires_in
        rec = {"token": token, "principal": principal, "exp": exp, "scope": scope}
        with self.lock:
            self.issued[token] = rec
            with open(self.args.issued, "a") as f:
                f.write(json.dumps(rec) + "\n")
        return {"access_token": token, "expires_in": self.args.expires_in, "token_type": "Bearer"}

    def log(self, **entry):
        if self.args.log:
            with self.lock, open(self.args.log, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def jwt_grant(self, assertion, audiences):
        parts = assertion.split(".")
        if len(parts) != 3:
            raise OAuthError(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
        except Exception:
            raise OAuthError(400, "invalid_grant", "Invalid JWT: malformed")
        if header.get("alg") != "RS256":
            raise OAuthError(400, "invalid_grant",
                             f"Invalid JWT: alg {header.get('alg')!r} is not allowed (RS256 only)")
        iss = claims.get("iss")
        key = self.keys.get(iss)
        if key is None:
            raise OAuthError(400, "invalid_grant", "Invalid grant: account not found")
        try:
            key.verify(sig, (parts[0] + "." + parts[1]).encode(), padding.PKCS1v15(),
                       hashes.SHA256())
        except InvalidSignature:
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        if claims.get("aud") not in audiences:
            raise OAuthError(400, "invalid_grant",
                             f"Invalid JWT: aud {claims.get('aud')!r} is not one of {audiences!r}")
        if not claims.get("scope"):
            raise OAuthError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        now = int(time.time())
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int):
            raise OAuthError(400, "invalid_grant", "Invalid JWT: iat and exp must be integers")
        if iat > now + 60 or exp <= now or exp - iat > 3600:
            raise OAuthError(400, "invalid_grant",
                             "Invalid JWT: Token must be a short-lived token (60 minutes) and in "
                             "a reasonable timeframe. Check your iat and exp values in the JWT claim.")
        return self.issue(iss, claims["scope"])

    def refresh_grant(self, form):
        token = form.get("refresh_token", [""])[0]
        want = self.refresh.get(token)
        got = (form.get("client_id", [""])[0], form.get("client_secret", [""])[0])
        if want is None:
            raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
        if want != got:
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        return self.issue("user:" + got[0], "https://www.googleapis.com/auth/cloud-platform")


def make_handler(fake):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, status, obj, metadata=False):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if metadata:
                self.send_header("Metadata-Flavor", "Google")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/tokeninfo":
                tok = parse_qs(url.query).get("access_token", [""])[0]
                rec = fake.issued.get(tok)
                if rec is None or rec["exp"] < time.time():
                    return self.reply(400, {"error": "invalid_token"})
                return self.reply(200, {"sub": rec["principal"], "scope": rec["scope"],
                                        "exp": rec["exp"]})
            if url.path in ("/", TOKEN_PATH, "/computeMetadata/v1/"):
                if self.headers.get("Metadata-Flavor") != "Google":
                    fake.log(path=url.path, outcome="403 no Metadata-Flavor")
                    return self.reply(403, {"error": "Missing Metadata-Flavor:Google header."},
                                      metadata=True)
                if url.path != TOKEN_PATH:
                    return self.reply(200, {}, metadata=True)
                fake.log(path=url.path, grant_type="metadata", outcome="200")
                return self.reply(200, fake.issue(fake.args.metadata_email,
                                                  "https://www.googleapis.com/auth/cloud-platform"),
                                  metadata=True)
            self.reply(404, {"error": "not found"})

        def do_POST(self):
            url = urlparse(self.path)
            n = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(n).decode()
            if url.path != "/token":
                return self.reply(404, {"error": "not found"})
            if not self.headers.get("Content-Type", "").startswith(
                    "application/x-www-form-urlencoded"):
                return self.reply(400, {"error": "invalid_request",
                                        "error_description": "form body expected"})
            form = parse_qs(raw)
            grant = form.get("grant_type", [""])[0]
            audiences = [f"http://127.0.0.1:{fake.args.port}/token",
                         "https://oauth2.googleapis.com/token"]
            try:
                if grant == JWT_BEARER:
                    out = fake.jwt_grant(form.get("assertion", [""])[0], audiences)
                elif grant == "refresh_token":
                    out = fake.refresh_grant(form)
                else:
                    raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")
            except OAuthError as e:
                fake.log(path=url.path, grant_type=grant, outcome=f"{e.status} {e.error}: {e.description}")
                return self.reply(e.status, {"error": e.error, "error_description": e.description})
            fake.log(path=url.path, grant_type=grant, outcome="200")
            self.reply(200, out)

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", default="", help="write the port here (for --port 0)")
    ap.add_argument("--issued", required=True)
    ap.add_argument("--service-account", action="append", default=[])
    ap.add_argument("--refresh-token", action="append", default=[])
    ap.add_argument("--metadata-email", default="default-compute@fake-project.iam.gserviceaccount.com")
    ap.add_argument("--expires-in", type=int, default=3600)
    ap.add_argument("--log", default="")
    args = ap.parse_args()
    open(args.issued, "a").close()
    fake = Fake(args)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(fake))
    args.port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(args.port))
        os.rename(args.port_file + ".tmp", args.port_file)
    print(f"gcp oauth fake on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
