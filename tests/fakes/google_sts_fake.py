#!/usr/bin/env python3
"""Google Security Token Service and IAM Credentials fakes for workload identity federation.

  google_sts_fake.py --port-file F --issued FILE --oidc-key ISSUER.pub --audience AUD
      [--oidc-issuer URL] [--allowed-audience A]... [--service-account EMAIL]...
      [--subject-file F --subject-auth SECRET] [--log FILE]

Shapes follow google_sts_schema.json (from google/identity/sts/v1 and
google/iam/credentials/v1). Everything outside them is refused.
POST /v1/token (form): the token exchange. grant_type, requested_token_type and
  subject_token_type must be the schema's values; audience must be --audience (the
  workload identity provider); scope must include cloud-platform or iam; subject_token must be an
  RS256 JWT signed by --oidc-key (alg none and others refused), iss = --oidc-issuer, aud one
  of --allowed-audience (default: "https:" + --audience's resource with
  iam.googleapis.com), exp in the future, sub present. Errors are OAuth JSON
  {"error": "invalid_grant" | "invalid_request" | "invalid_target", "error_description"}.
POST /v1/projects/-/serviceAccounts/EMAIL:generateAccessToken (JSON {scope, lifetime,
  delegates}): the Bearer token must be one this fake (or gcp_oauth_fake.py, via --issued)
  issued and unexpired; EMAIL must be a --service-account; errors are Google API JSON.
GET /subject: the --subject-file's token as {"value": ...}, only with header
  "X-Subject-Auth: --subject-auth" (a url-sourced credential_source).
Each issued access token is appended to --issued ({token, principal, exp, scope}), the
file token_server.py and vertex_fake.py check Bearer tokens against. --log gets one JSON
line per request (never a token).
"""
import argparse, base64, datetime, json, os, re, secrets, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

SCHEMA = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     "google_sts_schema.json")))
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
IAM_SCOPE = "https://www.googleapis.com/auth/iam"


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Refused(Exception):
    def __init__(self, status, body, outcome):
        super().__init__(outcome)
        self.status, self.body, self.outcome = status, body, outcome


def oauth_error(error, description, status=400):
    return Refused(status, {"error": error, "error_description": description}, error)


def api_error(code, status, message):
    return Refused(code, {"error": {"code": code, "message": message, "status": status}}, status)


class Fake:
    def __init__(self, args):
        self.args = args
        with open(args.oidc_key, "rb") as f:
            self.oidc_key = serialization.load_pem_public_key(f.read())
        self.allowed = args.allowed_audience or [
            "https://iam.googleapis.com/" + args.audience.removeprefix("//iam.googleapis.com/")]
        self.lock = threading.Lock()

    def log(self, **entry):
        if self.args.log:
            with self.lock, open(self.args.log, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def issue(self, principal, scope, kind, ttl=3600):
        token = f"ya29.{kind}-" + secrets.token_urlsafe(24)
        exp = int(time.time()) + ttl
        with self.lock, open(self.args.issued, "a") as f:
            f.write(json.dumps({"token": token, "principal": principal, "exp": exp,
                                "scope": scope, "kind": kind}) + "\n")
        return token, exp

    def issued(self, token):
        try:
            with open(self.args.issued) as f:
                for line in f:
                    rec = json.loads(line)
                    if rec["token"] == token and rec["exp"] > time.time():
                        return rec
        except FileNotFoundError:
            pass
        return None

    # --- STS ---------------------------------------------------------------------------
    def exchange(self, form):
        spec = SCHEMA["sts_exchange_token_request"]
        unknown = sorted(set(form) - set(spec["fields"]))
        if unknown:
            raise oauth_error("invalid_request", f"Invalid request: unknown parameters {unknown}")
        for r in spec["required"]:
            if not form.get(r):
                raise oauth_error("invalid_request", f"Invalid value for \"{r}\": missing")
        for field in ("grant_type", "requested_token_type", "subject_token_type"):
            if form[field] not in spec[field]:
                raise oauth_error("invalid_request", f"Invalid value for \"{field}\".")
        if form.get("audience") != self.args.audience:
            raise oauth_error("invalid_target", "The target service indicated by the \"audience\" "
                              "parameters is invalid. This might either be because the pool or "
                              "provider is disabled or deleted or because it doesn't exist.")
        # cloud-platform to call APIs with the federated token; iam to impersonate with it
        # (google-auth asks for that one when it will impersonate).
        if not {CLOUD_PLATFORM, IAM_SCOPE} & set(form.get("scope", "").split()):
            raise oauth_error("invalid_scope", f"The scope must include {CLOUD_PLATFORM} or "
                              f"{IAM_SCOPE}")
        claims = self.verify(form["subject_token"])
        principal = (f"principal://iam.googleapis.com/"
                     f"{self.args.audience.removeprefix('//iam.googleapis.com/').split('/providers/')[0]}"
                     f"/subject/{claims['sub']}")
        token, exp = self.issue(principal, form["scope"], "sts")
        return {"access_token": token, "issued_token_type": form["requested_token_type"],
                "token_type": "Bearer", "expires_in": exp - int(time.time())}

    def verify(self, jwt):
        parts = jwt.split(".")
        if len(parts) != 3:
            raise oauth_error("invalid_grant", "Unable to parse the ID Token.")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
        except (ValueError, TypeError):
            raise oauth_error("invalid_grant", "Unable to parse the ID Token.")
        if header.get("alg") != "RS256":
            raise oauth_error("invalid_grant", f"Unsupported ID Token algorithm {header.get('alg')}.")
        try:
            self.oidc_key.verify(sig, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(),
                                 hashes.SHA256())
        except InvalidSignature:
            raise oauth_error("invalid_grant", "Invalid JWT signature.")
        if claims.get("iss") != self.args.oidc_issuer:
            raise oauth_error("invalid_grant", "The issuer in ID Token does not match the "
                              "provider's issuer.")
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if not any(a in self.allowed for a in auds):
            raise oauth_error("invalid_grant", "The audience in ID Token does not match the "
                              "expected audience.")
        now = time.time()
        if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
            raise oauth_error("invalid_grant", "The ID Token has expired.")
        if isinstance(claims.get("iat"), (int, float)) and claims["iat"] > now + 60:
            raise oauth_error("invalid_grant", "The ID Token was issued in the future.")
        if not claims.get("sub"):
            raise oauth_error("invalid_grant", "The ID Token has no sub claim.")
        return claims

    # --- IAM Credentials -----------------------------------------------------------------
    def generate(self, email, headers, raw):
        auth = headers.get("authorization", "")
        rec = self.issued(auth[7:]) if auth.startswith("Bearer ") else None
        if rec is None:
            raise api_error(401, "UNAUTHENTICATED", "Request had invalid authentication "
                            "credentials. Expected OAuth 2 access token.")
        if email not in self.args.service_account:
            raise api_error(403, "PERMISSION_DENIED", f"Permission 'iam.serviceAccounts."
                            f"getAccessToken' denied on resource (or it may not exist).")
        if not headers.get("content-type", "").startswith("application/json"):
            raise api_error(400, "INVALID_ARGUMENT", "Content-Type must be application/json")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise api_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        spec = SCHEMA["iam_generate_access_token_request"]
        if not isinstance(body, dict):
            raise api_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        unknown = sorted(set(body) - set(spec["fields"]))
        if unknown:
            raise api_error(400, "INVALID_ARGUMENT", f"Invalid JSON payload received. Unknown "
                            f"name {unknown[0]!r}: Cannot find field.")
        scope = body.get("scope")
        if not isinstance(scope, list) or not scope or not all(isinstance(s, str) for s in scope):
            raise api_error(400, "INVALID_ARGUMENT", "Scope required.")
        delegates = body.get("delegates") or []  # proto3 JSON: null is the default
        if not isinstance(delegates, list) or not all(
                isinstance(d, str) and re.match(spec["delegates_pattern"], d) for d in delegates):
            raise api_error(400, "INVALID_ARGUMENT", "delegates must be "
                            "projects/-/serviceAccounts/EMAIL")
        lifetime = body.get("lifetime", "3600s")
        if not isinstance(lifetime, str) or not re.match(spec["lifetime_pattern"], lifetime) \
                or float(lifetime[:-1]) > spec["max_lifetime_seconds"]:
            raise api_error(400, "INVALID_ARGUMENT", f"Invalid lifetime {lifetime!r}")
        token, exp = self.issue(email, " ".join(scope), "impersonated", int(float(lifetime[:-1])))
        self.log(path="generateAccessToken", account=email, caller=rec["principal"],
                 delegates=delegates, outcome="200")
        expire = datetime.datetime.fromtimestamp(exp, datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        return {"accessToken": token, "expireTime": expire}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        fake = self.server.fake
        if self.path == "/subject" and fake.args.subject_file:
            if self.headers.get("X-Subject-Auth") != fake.args.subject_auth:
                fake.log(path="/subject", outcome="401")
                return self.reply(401, {"message": "missing X-Subject-Auth"})
            with open(fake.args.subject_file) as f:
                fake.log(path="/subject", outcome="200")
                return self.reply(200, {"value": f.read().strip()})
        self.reply(404, {"error": {"code": 404, "status": "NOT_FOUND", "message": self.path}})

    def do_POST(self):
        fake = self.server.fake
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = self.path.split("?")[0]
        try:
            if path == "/v1/token":
                if not headers.get("content-type", "").startswith(
                        "application/x-www-form-urlencoded"):
                    raise oauth_error("invalid_request", "Content-Type must be "
                                      "application/x-www-form-urlencoded")
                pairs = parse_qsl(raw.decode(), keep_blank_values=True)
                form = dict(pairs)
                if len(form) != len(pairs):
                    raise oauth_error("invalid_request", "a parameter is repeated")
                out = fake.exchange(form)
                fake.log(path=path, grant_type=form["grant_type"],
                         subject_token_type=form["subject_token_type"],
                         audience=form["audience"], scope=form["scope"], outcome="200")
                return self.reply(200, out)
            m = re.fullmatch(r"/v1/projects/-/serviceAccounts/([^/:]+):generateAccessToken", path)
            if m:
                return self.reply(200, fake.generate(unquote(m.group(1)), headers, raw))
            raise api_error(404, "NOT_FOUND", f"no route for POST {path}")
        except Refused as r:
            err = r.body.get("error")
            desc = err["message"] if isinstance(err, dict) else r.body.get("error_description")
            fake.log(path=path, outcome=f"{r.status} {r.outcome}", description=desc)
            self.reply(r.status, r.body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--issued", required=True)
    ap.add_argument("--log")
    ap.add_argument("--oidc-key", required=True)
    ap.add_argument("--oidc-issuer", default="https://token.actions.githubusercontent.com")
    ap.add_argument("--audience", required=True,
                    help="//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/"
                         "P/providers/V")
    ap.add_argument("--allowed-audience", action="append", default=[])
    ap.add_argument("--service-account", action="append", default=[])
    ap.add_argument("--subject-file")
    ap.add_argument("--subject-auth", default="")
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.fake = Fake(args)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
