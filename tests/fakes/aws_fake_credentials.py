"""Credential services for aws_fake.py: STS (query protocol, checked against the botocore
model sts-2011-06-15 in --specs), the IAM Identity Center portal's GetRoleCredentials
(checked against models/sso-2019-06-10.service-2.json, copied from botocore 1.43.11),
the EC2 instance metadata service (IMDSv2 only) and an ECS container credentials endpoint.

Every credential set these hand out is added to the fake's accepted keys, so the other
plug-ins (ECR, Batch, Logs, S3) verify requests signed with them, session token included.

STS:
  - AssumeRole must be SigV4-signed (service "sts") by a known key; the role must be in
    --sts-role (any when none is given).
  - AssumeRoleWithWebIdentity is unsigned (the model's auth is smithy.api#noAuth). Its
    WebIdentityToken must be an RS256 JWT signed by the --oidc-key public key (alg none and
    other algorithms refused), iss = --oidc-issuer, aud = --oidc-audience, exp in the
    future, iat not in the future, sub present. Failures answer STS's codes:
    InvalidIdentityToken, ExpiredTokenException, IDPRejectedClaimException.
  - GetCallerIdentity answers for whichever key signed it.
  Unknown actions, a Version other than 2011-06-15, unknown or missing parameters and
  model violations are refused (ValidationError / InvalidAction), as XML ErrorResponse.
IMDS: PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds (1..21600); every
  GET without a valid X-aws-ec2-metadata-token answers 401 (IMDSv1 is off).
ECS: GET /ecs/credentials needs Authorization equal to --container-auth-token.
SSO: GET /federation/credentials?role_name&account_id needs x-amz-sso_bearer_token equal to
  --sso-access-token (401 UnauthorizedException otherwise) and the --sso-role ACCOUNT/ROLE.
Every issued secret is logged only as its key id.
"""
import base64, datetime, json, os, secrets, time
from urllib.parse import parse_qsl, urlparse

from aws_fake import AwsFault

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

HERE = os.path.dirname(os.path.abspath(__file__))


def add_arguments(ap):
    ap.add_argument("--sts-role", action="append", default=[],
                    help="a role ARN STS lets callers assume (any when none is given)")
    ap.add_argument("--sts-duration", type=int, default=3600,
                    help="lifetime of issued credentials, seconds")
    ap.add_argument("--oidc-key", help="PEM public key of the OIDC issuer (web identity)")
    ap.add_argument("--oidc-issuer", default="https://token.actions.githubusercontent.com")
    ap.add_argument("--oidc-audience", default="sts.amazonaws.com")
    ap.add_argument("--imds-role", help="serve IMDSv2 with this instance role")
    ap.add_argument("--container-auth-token", help="serve ECS credentials at /ecs/credentials")
    ap.add_argument("--sso-access-token", help="serve the SSO portal; the bearer token it takes")
    ap.add_argument("--sso-role", default="123456789012/MLBoxDeveloper",
                    help="ACCOUNT/ROLE the SSO user may use")


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Issuer:
    """Hands out temporary credentials and registers them with the fake."""

    def __init__(self, fake):
        self.fake = fake

    def issue(self, principal):
        key = "ASIA" + secrets.token_hex(8).upper()
        secret = secrets.token_urlsafe(30)
        token = "FwoGZXIvYXdzE" + secrets.token_urlsafe(60)
        exp = int(time.time()) + self.fake.args.sts_duration
        with self.fake.lock:
            self.fake.creds[key] = (secret, token)
            self.fake.principals[key] = principal
        self.fake.log({"service": "credentials", "issued": key, "principal": principal,
                       "time": time.time()})
        return {"AccessKeyId": key, "SecretAccessKey": secret, "SessionToken": token,
                "Expiration": exp}


class Sts:
    NAME = "sts"
    MODEL = "sts-2011-06-15.service-2.json"
    VALIDATION_ERROR = "ValidationError"

    def __init__(self, fake, model):
        self.fake, self.model, self.args = fake, model, fake.args
        self.issuer = Issuer(fake)
        self.calls = {}
        self.oidc_key = None
        if self.args.oidc_key:
            with open(self.args.oidc_key, "rb") as f:
                self.oidc_key = serialization.load_pem_public_key(f.read())

    def state(self):
        return {"calls": self.calls}

    def control(self, cmd, args):
        raise AwsFault("UnknownControl", cmd, 404)

    # -- the query protocol -------------------------------------------------------------

    def parse_params(self, op, params, errors):
        """Flat query parameters -> the input structure (lists as X.member.N)."""
        shape_name = self.model.operations[op].get("input", {}).get("shape")
        if not shape_name:
            if params:
                errors.append(f"{op} takes no parameters")
            return {}
        members = self.model.shapes[shape_name].get("members", {})
        data = {}
        for k, v in params.items():
            top, _, rest = k.partition(".")
            if top not in members:
                errors.append(f"unknown parameter '{top}' (known: {', '.join(sorted(members))})")
                continue
            shape = self.model.shapes[members[top]["shape"]]
            if shape["type"] == "list":
                # Name.member.N[.Field]
                parts = rest.split(".")
                if len(parts) < 2 or parts[0] != "member" or not parts[1].isdigit():
                    errors.append(f"'{k}': list members are {top}.member.N")
                    continue
                lst = data.setdefault(top, {})
                item = lst.setdefault(int(parts[1]), {} if len(parts) > 2 else None)
                if len(parts) > 2:
                    item[parts[2]] = v
                else:
                    lst[int(parts[1])] = v
                continue
            if rest:
                errors.append(f"'{k}': {top} is not a list or structure")
                continue
            t = shape["type"]
            if t in ("integer", "long"):
                try:
                    v = int(v)
                except ValueError:
                    errors.append(f"{top}: '{v}' is not an integer")
                    continue
            elif t == "boolean":
                if v not in ("true", "false"):
                    errors.append(f"{top}: '{v}' is not a boolean")
                    continue
                v = v == "true"
            data[top] = v
        for k, v in list(data.items()):
            if isinstance(v, dict):
                data[k] = [v[i] for i in sorted(v)]
        return data

    def handle(self, method, raw_path, headers, body):
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        if method == "GET":
            params = dict(parse_qsl(urlparse(raw_path).query, keep_blank_values=True))
        action = params.pop("Action", None)
        version = params.pop("Version", None)
        op = None
        try:
            if action not in self.model.operations:
                raise AwsFault("InvalidAction", f"Could not find operation {action} for version "
                               f"{version}", 400)
            op = action
            if version != self.model.meta["apiVersion"]:
                raise AwsFault("InvalidAction", f"Could not find operation {action} for version "
                               f"{version}", 400)
            auth = self.model.operations[op].get("auth") or []
            unsigned = "smithy.api#noAuth" in auth or \
                self.model.operations[op].get("authtype") == "none"
            signer = None
            if not unsigned or any(k.lower() == "authorization" for k, _ in headers):
                from aws_fake import verify_sigv4
                verify_sigv4(method, raw_path, headers, body, self.fake.creds, self.args.region,
                             [self.model.signing_name])
                signer = self.signing_key(headers)
            errors = []
            data = self.parse_params(op, params, errors)
            spec = self.model.operations[op]
            if "input" in spec:
                self.model.validate(spec["input"]["shape"], data, "", errors)
            if errors:
                raise AwsFault("ValidationError",
                               f"{len(errors)} validation error(s) detected: " + "; ".join(errors))
            self.calls[op] = self.calls.get(op, 0) + 1
            result = getattr(self, "op_" + op, None)
            if result is None:
                raise AwsFault("UnsupportedOperation", f"the fake does not implement {op}")
            out = result(data, signer)
            logged = {k: v for k, v in data.items() if k != "WebIdentityToken"}
            self.fake.log({"service": "sts", "operation": op, "input": logged,
                           "signed": signer is not None, "time": time.time()})
            return 200, {"Content-Type": "text/xml"}, self.render(op, out).encode()
        except AwsFault as f:
            self.fake.log({"service": "sts", "rejected" if op is None or f.code in (
                "InvalidSignatureException", "ValidationError", "InvalidAction",
                "IncompleteSignatureException", "MissingAuthenticationTokenException",
                "UnrecognizedClientException", "SignatureDoesNotMatch") else "error": f.code,
                "operation": op, "message": f.message.split("\n")[0], "time": time.time()})
            code = {"InvalidSignatureException": "SignatureDoesNotMatch",
                    "UnrecognizedClientException": "InvalidClientTokenId"}.get(f.code, f.code)
            xml = ("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
                   f"<Type>Sender</Type><Code>{code}</Code><Message>{esc(f.message)}</Message>"
                   f"</Error><RequestId>{secrets.token_hex(8)}</RequestId></ErrorResponse>")
            return f.status, {"Content-Type": "text/xml"}, xml.encode()

    @staticmethod
    def signing_key(headers):
        for k, v in headers:
            if k.lower() == "authorization":
                return v.split("Credential=", 1)[1].split("/", 1)[0]
        return None

    def render(self, op, out):
        inner = to_xml(out)
        return (f"<{op}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                f"<{op}Result>{inner}</{op}Result><ResponseMetadata><RequestId>"
                f"{secrets.token_hex(8)}</RequestId></ResponseMetadata></{op}Response>")

    # -- operations ---------------------------------------------------------------------

    def check_role(self, arn):
        if self.args.sts_role and arn not in self.args.sts_role:
            raise AwsFault("AccessDenied", f"Not authorized to perform sts:AssumeRole on {arn}",
                           403)

    def assume(self, arn, session):
        role = arn.rsplit("/", 1)[-1]
        account = arn.split(":")[4] or self.args.account
        user = f"arn:aws:sts::{account}:assumed-role/{role}/{session}"
        return {"Credentials": self.issuer.issue(user),
                "AssumedRoleUser": {
                    "Arn": user, "AssumedRoleId": f"AROA{secrets.token_hex(6).upper()}:{session}"}}

    def op_AssumeRole(self, data, signer):
        self.check_role(data["RoleArn"])
        out = self.assume(data["RoleArn"], data["RoleSessionName"])
        self.fake.log({"service": "sts", "assumed_by": signer, "role": data["RoleArn"],
                       "time": time.time()})
        return out

    def op_AssumeRoleWithWebIdentity(self, data, signer):
        claims = self.verify_jwt(data["WebIdentityToken"])
        self.check_role(data["RoleArn"])
        out = self.assume(data["RoleArn"], data["RoleSessionName"])
        out.update({"SubjectFromWebIdentityToken": claims["sub"], "Audience": claims["aud"],
                    "Provider": claims["iss"]})
        return out

    def op_GetCallerIdentity(self, data, signer):
        principal = self.fake.principals.get(signer, f"arn:aws:iam::{self.args.account}:user/test")
        return {"UserId": signer, "Account": self.args.account, "Arn": principal}

    def verify_jwt(self, token):
        if self.oidc_key is None:
            raise AwsFault("InvalidIdentityToken", "No OpenIDConnect provider found in your "
                           "account for this issuer")
        parts = token.split(".")
        if len(parts) != 3:
            raise AwsFault("InvalidIdentityToken", "The web identity token is not a JWT")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
        except (ValueError, TypeError):
            raise AwsFault("InvalidIdentityToken", "The web identity token is malformed")
        if header.get("alg") != "RS256":
            raise AwsFault("InvalidIdentityToken",
                           f"Unsupported token algorithm {header.get('alg')!r}")
        try:
            self.oidc_key.verify(sig, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(),
                                 hashes.SHA256())
        except InvalidSignature:
            raise AwsFault("InvalidIdentityToken", "The web identity token signature is invalid")
        if claims.get("iss") != self.args.oidc_issuer:
            raise AwsFault("InvalidIdentityToken",
                           "No OpenIDConnect provider found in your account for "
                           f"{claims.get('iss')}")
        aud = claims.get("aud")
        if aud != self.args.oidc_audience and not (
                isinstance(aud, list) and self.args.oidc_audience in aud):
            raise AwsFault("InvalidIdentityToken", "Incorrect token audience")
        now = time.time()
        if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
            raise AwsFault("ExpiredTokenException",
                           "Token expired: current date/time must be before the expiration "
                           "date/time")
        if isinstance(claims.get("iat"), (int, float)) and claims["iat"] > now + 60:
            raise AwsFault("InvalidIdentityToken", "The token was issued in the future")
        if not claims.get("sub"):
            raise AwsFault("IDPRejectedClaimException", "The token has no sub claim")
        if isinstance(aud, list):
            claims["aud"] = self.args.oidc_audience
        return claims


def esc(text):
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def to_xml(value):
    if isinstance(value, dict):
        return "".join(f"<{k}>{to_xml(v)}</{k}>" for k, v in value.items())
    if isinstance(value, int) and not isinstance(value, bool) and value > 10 ** 9:
        return iso(value)  # timestamps (Expiration)
    return esc(value)


class MetadataEndpoints:
    """IMDSv2, the ECS container endpoint and the SSO portal, routed by path."""

    def __init__(self, fake):
        self.fake, self.args = fake, fake.args
        self.issuer = Issuer(fake)
        self.imds_tokens = {}
        self.sso_model = None
        if self.args.sso_access_token:
            from aws_fake import Model
            self.sso_model = Model(os.path.join(HERE, "models", "sso-2019-06-10.service-2.json"))

    def route(self, method, raw_path, headers):
        path = raw_path.split("?")[0]
        hdr = {k.lower(): v for k, v in headers}
        if path.startswith("/latest/") and self.args.imds_role:
            return self.imds(method, path, hdr)
        if path == "/ecs/credentials" and self.args.container_auth_token:
            return self.ecs(method, hdr)
        if path == "/federation/credentials" and self.sso_model:
            return self.sso(method, raw_path, hdr)
        return None

    def reply(self, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else (
            json.dumps(body) if not isinstance(body, str) else body).encode()
        return status, {"Content-Type": ctype}, data

    def creds_json(self, principal):
        c = self.issuer.issue(principal)
        return {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": c["AccessKeyId"],
                "SecretAccessKey": c["SecretAccessKey"], "Token": c["SessionToken"],
                "Expiration": iso(c["Expiration"]), "LastUpdated": iso(time.time())}

    def imds(self, method, path, hdr):
        if method == "PUT" and path == "/latest/api/token":
            ttl = hdr.get("x-aws-ec2-metadata-token-ttl-seconds", "")
            if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                self.fake.log({"service": "imds", "rejected": "bad ttl", "time": time.time()})
                return self.reply(400, "", "text/plain")
            tok = secrets.token_urlsafe(32)
            self.imds_tokens[tok] = time.time() + int(ttl)
            self.fake.log({"service": "imds", "operation": "token", "time": time.time()})
            return self.reply(200, tok, "text/plain")
        tok = hdr.get("x-aws-ec2-metadata-token")
        if method != "GET" or tok not in self.imds_tokens or self.imds_tokens[tok] < time.time():
            self.fake.log({"service": "imds", "rejected": "no session token (IMDSv1)",
                           "path": path, "time": time.time()})
            return self.reply(401, "", "text/plain")
        base = "/latest/meta-data/iam/security-credentials/"
        if path == base:
            return self.reply(200, self.args.imds_role, "text/plain")
        if path == base + self.args.imds_role:
            self.fake.log({"service": "imds", "operation": "credentials", "time": time.time()})
            return self.reply(200, self.creds_json(
                f"arn:aws:iam::{self.args.account}:role/{self.args.imds_role}"))
        return self.reply(404, "", "text/plain")

    def ecs(self, method, hdr):
        if method != "GET" or hdr.get("authorization") != self.args.container_auth_token:
            self.fake.log({"service": "ecs", "rejected": "authorization", "time": time.time()})
            return self.reply(401, {"code": "AccessDenied",
                                    "message": "Authorization header is missing or wrong"})
        self.fake.log({"service": "ecs", "operation": "credentials", "time": time.time()})
        return self.reply(200, self.creds_json(f"arn:aws:iam::{self.args.account}:role/task"))

    def sso(self, method, raw_path, hdr):
        # GetRoleCredentials is unsigned (authtype none): the bearer token is the proof.
        op, _ = self.sso_model.rest_route(method, raw_path.split("?")[0])
        query = dict(parse_qsl(urlparse(raw_path).query, keep_blank_values=True))
        spec = self.sso_model.operations.get(op or "", {})
        shape = self.sso_model.shapes[spec["input"]["shape"]] if spec else {"members": {}}
        data, errors = {}, []
        for name, m in shape["members"].items():
            loc, wire = m.get("location"), m.get("locationName")
            if loc == "querystring" and wire in query:
                data[name] = query.pop(wire)
            elif loc == "header" and wire.lower() in hdr:
                data[name] = hdr[wire.lower()]
        if op != "GetRoleCredentials":
            errors.append(f"no operation answers {method} /federation/credentials")
        if query:
            errors.append(f"unknown query parameters {sorted(query)}")
        if op:
            self.sso_model.validate(spec["input"]["shape"], data, "", errors)
        if errors:
            self.fake.log({"service": "sso", "rejected": "InvalidRequestException",
                           "message": "; ".join(errors), "time": time.time()})
            return (400, {"Content-Type": "application/json",
                          "x-amzn-ErrorType": "InvalidRequestException"},
                    json.dumps({"message": "; ".join(errors)}).encode())
        if data["accessToken"] != self.args.sso_access_token:
            self.fake.log({"service": "sso", "rejected": "UnauthorizedException",
                           "time": time.time()})
            return (401, {"Content-Type": "application/json",
                          "x-amzn-ErrorType": "UnauthorizedException"},
                    json.dumps({"message": "Session token not found or invalid"}).encode())
        if f"{data['accountId']}/{data['roleName']}" != self.args.sso_role:
            return (403, {"Content-Type": "application/json",
                          "x-amzn-ErrorType": "ForbiddenException"},
                    json.dumps({"message": "No access"}).encode())
        c = self.issuer.issue(f"arn:aws:sts::{data['accountId']}:assumed-role/"
                              f"{data['roleName']}/sso")
        self.fake.log({"service": "sso", "operation": "GetRoleCredentials",
                       "input": {"roleName": data["roleName"], "accountId": data["accountId"]},
                       "time": time.time()})
        return self.reply(200, {"roleCredentials": {
            "accessKeyId": c["AccessKeyId"], "secretAccessKey": c["SecretAccessKey"],
            "sessionToken": c["SessionToken"], "expiration": c["Expiration"] * 1000}})
