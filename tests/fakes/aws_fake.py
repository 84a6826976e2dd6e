#!/usr/bin/env python3
"""A strict fake of AWS JSON APIs for tests, driven by the official botocore models.

  aws_fake.py --specs DIR --port-file F --log requests.jsonl --access-key AKID \
              --secret-key SECRET [--session-token T] [--region us-east-1] \
              [--account 123456789012] [--services ecr,batch,logs] [service options]

It loads <DIR>/<service>-<version>.service-2.json for each plug-in and REJECTS, with the
error shapes AWS uses ({"__type": code, "message": ...} and x-amzn-ErrorType):
  - requests without a valid SigV4 signature (recomputed here from the raw request, with
    the standard library only): unknown access key (UnrecognizedClientException), wrong
    or missing session token, a scope naming another region/service/date, a date more
    than 5 minutes off (InvalidSignatureException: Signature expired), a signature that
    does not match (InvalidSignatureException);
  - unknown operations (JSON 1.1 X-Amz-Target or rest-json method+URI), a wrong
    Content-Type;
  - inputs with unknown members, missing required members, wrong types, enum values the
    model does not list, or strings/lists/numbers outside min/max/pattern (walked
    recursively through structures, lists and maps).
Accepted requests go to the service plug-in (in-memory state) and are logged, one JSON
line each: {"service", "operation", "input", "target", "content_type", "time"}.
Plug-ins live in aws_fake_services.py; STS (query protocol), the SSO portal, IMDSv2 and
the ECS credentials endpoint in aws_fake_credentials.py (see there). GET /__fake/state returns every plug-in's state;
POST /__fake/<service>/<command> drives a plug-in (see each plug-in); POST /__fake/throttle
{"count": N} makes the next N API requests answer 400 ThrottlingException.
"""
import argparse, datetime, gzip, hashlib, hmac, json, os, re, sys, threading, time, traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Plug-ins import AwsFault from "aws_fake": make that this module when run as a script.
sys.modules.setdefault("aws_fake", sys.modules[__name__])


class AwsFault(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


# ---------------------------------------------------------------------------------------
# SigV4 verification


def remove_dot_segments(path):
    if not path:
        return "/"
    out = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
        else:
            out.append(seg)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and out else ""
    return first + "/".join(out) + last


def canonical_query(query):
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        pairs.append((quote(unquote(k), safe="-_.~"), quote(unquote(v), safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def canonical_value(v):
    return " ".join(v.split())


def hmac_sha256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def expected_signature(secret, amz_date, region, service, string_to_sign):
    k = hmac_sha256(("AWS4" + secret).encode(), amz_date[:8])
    k = hmac_sha256(k, region)
    k = hmac_sha256(k, service)
    k = hmac_sha256(k, "aws4_request")
    return hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest()


AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
    r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$")


def verify_sigv4(method, raw_path, headers, body, creds, region, signing_names, normalize=True,
                 max_skew=300, now=None):
    """Raises AwsFault unless the request carries a valid signature. `headers` is a list of
    (name, value) as received. Returns the signing service name used."""
    auth = [v for k, v in headers if k.lower() == "authorization"]
    if not auth:
        raise AwsFault("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
    m = AUTH_RE.match(auth[0].strip())
    if not m:
        raise AwsFault("IncompleteSignatureException",
                       f"Authorization header requires Credential, SignedHeaders and Signature "
                       f"parameters: {auth[0][:40]}...", 403)
    key_id, scope_date, scope_region, scope_service, signed, signature = m.groups()
    if key_id not in creds:
        raise AwsFault("UnrecognizedClientException",
                       "The security token included in the request is invalid.", 400)
    secret, token = creds[key_id]
    hdr = {}
    for k, v in headers:
        hdr.setdefault(k.lower(), []).append(v)
    amz_date = (hdr.get("x-amz-date") or [""])[0]
    if not re.fullmatch(r"\d{8}T\d{6}Z", amz_date):
        raise AwsFault("IncompleteSignatureException", "X-Amz-Date header is missing or malformed",
                       403)
    if scope_date != amz_date[:8]:
        raise AwsFault("InvalidSignatureException",
                       f"Credential should be scoped to a valid date: {amz_date[:8]}", 403)
    regions = {region} if isinstance(region, str) else set(region)
    if scope_region not in regions:
        raise AwsFault("InvalidSignatureException",
                       f"Credential should be scoped to a valid region, not '{scope_region}'", 403)
    if scope_service not in signing_names:
        raise AwsFault("InvalidSignatureException",
                       f"Credential should be scoped to correct service: '{signing_names[0]}'", 403)
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    now = time.time() if now is None else now
    if abs(now - when) > max_skew:
        raise AwsFault("InvalidSignatureException",
                       f"Signature expired: {amz_date} is now earlier/later than the allowed "
                       f"window", 403)
    signed_names = signed.split(";")
    if "host" not in signed_names:
        raise AwsFault("InvalidSignatureException", "'Host' must be a 'SignedHeader'", 403)
    got_token = (hdr.get("x-amz-security-token") or [None])[0]
    if token and got_token != token:
        raise AwsFault("UnrecognizedClientException" if got_token is None else "ExpiredTokenException",
                       "The security token included in the request is invalid." if got_token is None
                       else "The security token included in the request is expired", 403)
    if not token and got_token is not None:
        raise AwsFault("UnrecognizedClientException",
                       "The security token included in the request is invalid.", 403)
    if got_token is not None and "x-amz-security-token" not in signed_names:
        raise AwsFault("InvalidSignatureException",
                       "X-Amz-Security-Token must be signed", 403)
    for n in signed_names:
        if n not in hdr:
            raise AwsFault("InvalidSignatureException",
                           f"Signed header '{n}' is not in the request", 403)
    path, _, query = raw_path.partition("?")
    curi = quote(remove_dot_segments(path), safe="/~") if normalize else (path or "/")
    payload_hash = (hdr.get("x-amz-content-sha256") or [None])[0]
    if payload_hash is None or payload_hash == "":
        payload_hash = hashlib.sha256(body).hexdigest()
    elif payload_hash != "UNSIGNED-PAYLOAD" and payload_hash != hashlib.sha256(body).hexdigest():
        raise AwsFault("XAmzContentSHA256Mismatch",
                       "The provided 'x-amz-content-sha256' header does not match what was "
                       "computed.", 400)
    canonical_headers = "".join(
        f"{n}:{','.join(canonical_value(v) for v in hdr[n])}\n" for n in signed_names)
    creq = "\n".join([method, curi, canonical_query(query), canonical_headers, signed,
                      payload_hash])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date,
                     f"{scope_date}/{scope_region}/{scope_service}/aws4_request",
                     hashlib.sha256(creq.encode()).hexdigest()])
    want = expected_signature(secret, amz_date, scope_region, scope_service, sts)
    if not hmac.compare_digest(want, signature):
        raise AwsFault("InvalidSignatureException",
                       "The request signature we calculated does not match the signature you "
                       "provided. Check your AWS Secret Access Key and signing method.\n\n"
                       f"The Canonical String for this request should have been\n'{creq}'\n\n"
                       f"The String-to-Sign should have been\n'{sts}'\n", 403)
    return scope_service


# ---------------------------------------------------------------------------------------
# Input validation against the botocore shapes


class Model:
    def __init__(self, path):
        if not os.path.exists(path) and os.path.exists(path + ".gz"):
            path += ".gz"  # the EC2 model is stored gzipped
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt") as f:
            self.doc = json.load(f)
        self.meta = self.doc["metadata"]
        self.shapes = self.doc["shapes"]
        self.operations = self.doc["operations"]
        self.signing_name = self.meta.get("signingName") or self.meta["endpointPrefix"]
        self.protocol = self.meta["protocol"]
        self._patterns = {}

    def rest_route(self, method, path):
        """(operation name, uri params) for a rest-json request."""
        for name, op in self.operations.items():
            http = op["http"]
            if http["method"] != method:
                continue
            uri = http["requestUri"].split("?")[0]
            rx = "^" + re.sub(r"\\\{([A-Za-z0-9_]+)\\\+?\\\}", r"(?P<\1>[^/]+)", re.escape(uri)) + "$"
            m = re.match(rx, path)
            if m:
                return name, {k: unquote(v) for k, v in m.groupdict().items()}
        return None, None

    def pattern(self, p):
        if p not in self._patterns:
            try:
                self._patterns[p] = re.compile(p)
            except re.error:
                self._patterns[p] = None
        return self._patterns[p]

    def validate(self, shape_name, value, path, errors, body_only=False):
        shape = self.shapes[shape_name]
        t = shape["type"]
        where = path or "input"
        if t == "structure":
            if not isinstance(value, dict):
                errors.append(f"{where}: expected an object, got {type(value).__name__}")
                return
            members = shape.get("members", {})
            for k, v in value.items():
                if k not in members:
                    errors.append(f"{where}: unknown member '{k}' (known: {', '.join(sorted(members))})")
                    continue
                if v is None:
                    continue
                self.validate(members[k]["shape"], v, f"{path}.{k}" if path else k, errors)
            for r in shape.get("required", []):
                loc = members.get(r, {}).get("location")
                if body_only and loc in ("uri", "querystring", "header", "headers"):
                    continue
                if value.get(r) is None:
                    errors.append(f"{(path + '.') if path else ''}{r}: required member is missing")
        elif t == "list":
            if not isinstance(value, list):
                errors.append(f"{where}: expected a list, got {type(value).__name__}")
                return
            for i, v in enumerate(value):
                self.validate(shape["member"]["shape"], v, f"{where}[{i}]", errors)
            self.check_range(shape, len(value), where, errors, "length")
        elif t == "map":
            if not isinstance(value, dict):
                errors.append(f"{where}: expected a map, got {type(value).__name__}")
                return
            for k, v in value.items():
                self.validate(shape["key"]["shape"], k, f"{where}{{{k}}}", errors)
                self.validate(shape["value"]["shape"], v, f"{where}[{k}]", errors)
        elif t == "string":
            if not isinstance(value, str):
                errors.append(f"{where}: expected a string, got {type(value).__name__} {value!r}")
                return
            if "enum" in shape and value not in shape["enum"]:
                known = shape["enum"] if len(shape["enum"]) <= 20 else \
                    shape["enum"][:20] + [f"... {len(shape['enum']) - 20} more"]
                errors.append(f"{where}: '{value}' is not one of {known}")
            self.check_range(shape, len(value), where, errors, "length")
            p = shape.get("pattern")
            rx = self.pattern(p) if p else None
            if rx is not None and not rx.fullmatch(value):
                errors.append(f"{where}: '{value}' does not match pattern {p}")
        elif t in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                errors.append(f"{where}: expected an integer, got {value!r}")
                return
            self.check_range(shape, value, where, errors, "value")
        elif t in ("double", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                errors.append(f"{where}: expected a number, got {value!r}")
        elif t == "boolean":
            if not isinstance(value, bool):
                errors.append(f"{where}: expected a boolean, got {value!r}")
        elif t == "timestamp":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                errors.append(f"{where}: expected a timestamp, got {value!r}")
        elif t == "blob":
            if not isinstance(value, str):
                errors.append(f"{where}: expected base64 text, got {value!r}")
        else:
            errors.append(f"{where}: unsupported shape type {t}")

    @staticmethod
    def check_range(shape, n, where, errors, what):
        if "min" in shape and n < shape["min"]:
            errors.append(f"{where}: {what} {n} is below the minimum {shape['min']}")
        if "max" in shape and n > shape["max"]:
            errors.append(f"{where}: {what} {n} is above the maximum {shape['max']}")


# ---------------------------------------------------------------------------------------
# The server


class Fake:
    def __init__(self, args):
        import aws_fake_credentials, aws_fake_services
        self.args = args
        # Key id -> (secret, session token); the credential services add what they issue.
        self.creds = {args.access_key: (args.secret_key, args.session_token or "")}
        # Signatures may be scoped to --region and each --extra-region.
        self.regions = [args.region] + list(args.extra_region or [])
        self.principals = {}
        self.lock = threading.RLock()
        self.throttle = 0  # the next N API requests answer ThrottlingException
        self.log_lock = threading.Lock()
        self.plugins = {}
        import aws_fake_ec2, aws_fake_pricing
        plugins = dict(aws_fake_services.PLUGINS, sts=aws_fake_credentials.Sts,
                       **aws_fake_pricing.PLUGINS, **aws_fake_ec2.PLUGINS)
        for name in args.services.split(","):
            cls = plugins[name]
            model = Model(os.path.join(args.specs, cls.MODEL))
            self.plugins[name] = cls(self, model)
        self.endpoints = aws_fake_credentials.MetadataEndpoints(self)
        self.by_target = {p.model.meta.get("targetPrefix"): p for p in self.plugins.values()
                          if p.model.meta.get("targetPrefix")}

    def log(self, entry):
        if not self.args.log:
            return
        with self.log_lock, open(self.args.log, "a") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")

    def error_code(self, plugin):
        return plugin.VALIDATION_ERROR if plugin else "ValidationException"

    def handle(self, method, raw_path, headers, body):
        """Returns (status, headers, body bytes)."""
        path = raw_path.split("?")[0]
        if path.startswith("/__fake/"):
            return self.control(method, path, body)
        routed = self.endpoints.route(method, raw_path, headers)
        if routed is not None:
            return routed
        hdr = {k.lower(): v for k, v in headers}
        if hdr.get("content-type", "").startswith(
                "application/x-www-form-urlencoded") and "x-amz-target" not in hdr:
            # The query protocols (STS: query, EC2: ec2): Action=...&Version=... form
            # bodies, XML answers; the plug-in is the one the signature is scoped to
            # (unsigned requests are STS's AssumeRoleWithWebIdentity).
            scope = re.search(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/",
                              hdr.get("authorization", ""))
            name = scope.group(1) if scope else "sts"
            plugin = next((p for p in self.plugins.values()
                           if p.model.protocol in ("query", "ec2")
                           and p.model.signing_name == name), None)
            if plugin is not None:
                return plugin.handle(method, raw_path, headers, body)
        with self.lock:
            throttled = self.throttle > 0
            self.throttle -= 1 if throttled else 0
        if throttled:
            self.log({"throttled": True, "path": path, "time": time.time()})
            body = {"__type": "ThrottlingException", "message": "Rate exceeded"}
            return 400, {"Content-Type": "application/x-amz-json-1.1",
                         "x-amzn-ErrorType": "ThrottlingException"}, json.dumps(body).encode()
        if self.args.s3_proxy and "/s3/aws4_request" in hdr.get("authorization", ""):
            return self.s3_proxy(method, raw_path, headers, body)
        target = hdr.get("x-amz-target")
        plugin = None
        try:
            if target:
                prefix, _, op = target.partition(".")
                plugin = self.by_target.get(prefix)
                if plugin is None:
                    raise AwsFault("UnknownOperationException",
                                   f"unknown X-Amz-Target prefix '{prefix}'")
            else:
                plugin = next((p for p in self.plugins.values() if p.model.protocol == "rest-json"
                               and p.model.rest_route(method, path)[0]), None)
                if plugin is None:
                    raise AwsFault("UnknownOperationException",
                                   f"no operation of {', '.join(self.plugins)} answers {method} {path}",
                                   404)
            model = plugin.model
            verify_sigv4(method, raw_path, headers, body, self.creds, self.regions,
                         [model.signing_name])
            if target:
                if op not in model.operations:
                    raise AwsFault("UnknownOperationException",
                                   f"{model.meta['serviceId']} has no operation '{op}'")
                ctype = hdr.get("content-type", "")
                if ctype != "application/x-amz-json-1.1":
                    raise AwsFault("SerializationException",
                                   f"Content-Type must be application/x-amz-json-1.1, got '{ctype}'")
                uri_params = {}
            else:
                op, uri_params = model.rest_route(method, path)
                ctype = hdr.get("content-type", "")
                if body and not ctype.startswith("application/json"):
                    raise AwsFault(plugin.VALIDATION_ERROR,
                                   f"Content-Type must be application/json, got '{ctype}'")
            try:
                data = json.loads(body.decode() or "{}")
            except ValueError as e:
                raise AwsFault("SerializationException", f"body is not JSON: {e}")
            spec = model.operations[op]
            errors = []
            if "input" in spec:
                model.validate(spec["input"]["shape"], data, "", errors,
                               body_only=not target)
            elif data:
                errors.append("this operation takes no input")
            if errors:
                raise AwsFault(plugin.VALIDATION_ERROR,
                               f"{len(errors)} validation error(s) detected: " + "; ".join(errors))
            data.update(uri_params)
            scope = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/", hdr.get("authorization", ""))
            try:
                with self.lock:
                    plugin.region = scope.group(1) if scope else self.args.region
                    out = plugin.call(op, data)
            except AwsFault as f:
                # A well-formed request the service answers with an error (not a rejection).
                self.log({"service": plugin.NAME, "operation": op, "input": data,
                          "error": f.code, "time": time.time()})
                f.logged = True
                raise
            self.log({"service": plugin.NAME, "operation": op, "input": data,
                      "target": target, "content_type": ctype, "time": time.time()})
            return 200, {"Content-Type": "application/x-amz-json-1.1" if target
                         else "application/json"}, json.dumps(out).encode()
        except AwsFault as f:
            if getattr(f, "logged", False):
                body = {"__type": f.code, "message": f.message}
                return f.status, {"Content-Type": "application/x-amz-json-1.1",
                                  "x-amzn-ErrorType": f.code}, json.dumps(body).encode()
            rejected = {"service": plugin.NAME if plugin else None, "rejected": f.code,
                        "message": f.message.split("\n")[0], "target": target, "path": path,
                        "time": time.time()}
            self.log(rejected)
            body = {"__type": f.code, "message": f.message}
            return f.status, {"Content-Type": "application/x-amz-json-1.1",
                              "x-amzn-ErrorType": f.code}, json.dumps(body).encode()

    def s3_proxy(self, method, raw_path, headers, body):
        """S3 requests: SigV4 verified the S3 way (path as sent, x-amz-content-sha256 checked)
        and then passed to --s3-proxy (s3rver, which does not verify SigV4 itself)."""
        import http.client
        try:
            verify_sigv4(method, raw_path, headers, body, self.creds, self.regions, ["s3"],
                         normalize=False)
            if not any(k.lower() == "x-amz-content-sha256" for k, _ in headers):
                raise AwsFault("InvalidRequest", "Missing required header for this request: "
                               "x-amz-content-sha256", 400)
        except AwsFault as f:
            code = {"InvalidSignatureException": "SignatureDoesNotMatch",
                    "UnrecognizedClientException": "InvalidAccessKeyId"}.get(f.code, f.code)
            self.log({"service": "s3", "rejected": code, "message": f.message.split("\n")[0],
                      "path": raw_path, "time": time.time()})
            xml = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>"
                   f"<Message>{f.message.split(chr(10))[0]}</Message></Error>")
            return f.status, {"Content-Type": "application/xml"}, xml.encode()
        host = self.args.s3_proxy.split("//", 1)[1].rstrip("/")
        conn = http.client.HTTPConnection(host, timeout=60)
        fwd = {k: v for k, v in headers if k.lower() not in ("host", "connection")}
        fwd["Host"] = host
        conn.request(method, raw_path, body=body, headers=fwd)
        r = conn.getresponse()
        data = r.read()
        self.log({"service": "s3", "operation": f"{method} {raw_path.split('?')[0]}",
                  "query": raw_path.partition("?")[2], "status": r.status, "time": time.time()})
        out = {k: v for k, v in r.getheaders()
               if k.lower() not in ("content-length", "connection", "transfer-encoding", "date",
                                    "server")}
        if method == "HEAD" and r.getheader("Content-Length") is not None:
            # A HEAD answer has no body but tells the object's size.
            out["Content-Length"] = r.getheader("Content-Length")
        return r.status, out, data

    def control(self, method, path, body):
        parts = path.split("/")[2:]
        with self.lock:
            if parts == ["throttle"]:
                self.throttle = json.loads(body.decode() or "{}").get("count", 1)
                out = {"throttle": self.throttle}
            elif parts == ["state"]:
                out = {n: p.state() for n, p in self.plugins.items()}
            elif len(parts) == 2 and parts[0] in self.plugins:
                args = json.loads(body.decode() or "{}")
                out = self.plugins[parts[0]].control(parts[1], args)
            else:
                return 404, {"Content-Type": "application/json"}, b'{"error":"unknown control"}'
        return 200, {"Content-Type": "application/json"}, json.dumps(out, default=str).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def dispatch(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        try:
            status, headers, out = self.server.fake.handle(self.command, self.path,
                                                           list(self.headers.items()), body)
        except Exception:
            traceback.print_exc()
            status, headers, out = 500, {"Content-Type": "application/json"}, json.dumps(
                {"__type": "InternalFailure", "message": "fake crashed"}).encode()
        self.send_response(status)
        length = headers.pop("Content-Length", None) if self.command == "HEAD" else None
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", length if length is not None else str(len(out)))
        self.send_header("x-amzn-RequestId", os.urandom(8).hex())
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = dispatch


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--specs", required=True, help="folder with the botocore service JSON")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--session-token")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--extra-region", action="append", default=[],
                    help="another region signatures may be scoped to (repeatable)")
    ap.add_argument("--account", default="123456789012")
    ap.add_argument("--services", default="ecr")
    ap.add_argument("--s3-proxy", help="verify S3 SigV4 requests, then forward them here")
    import aws_fake_credentials, aws_fake_services
    import aws_fake_ec2, aws_fake_pricing
    aws_fake_services.add_arguments(ap)
    aws_fake_credentials.add_arguments(ap)
    aws_fake_pricing.add_arguments(ap)
    aws_fake_ec2.add_arguments(ap)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.fake = Fake(args)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(server.server_address[1]))
        os.replace(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
