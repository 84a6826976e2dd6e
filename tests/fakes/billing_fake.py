#!/usr/bin/env python3
"""Cloud Billing Catalog API + Compute Engine regions.get fake, for tests.

  billing_fake.py --oauth-issued FILE --skus FILE [--port-file F] [--requests F]
                  [--page-size N] [--regions FILE] [--quota-infos FILE]

Every request needs "Authorization: Bearer T" with T an unexpired token gcp_oauth_fake.py
issued (its --issued record); otherwise 401 UNAUTHENTICATED. A token issued without the
cloud-platform (or cloud-billing) scope gets 403 PERMISSION_DENIED.

GET /v1/services/{service}/skus  (google.cloud.billing.v1.CloudCatalog.ListSkus)
  Query parameters are checked against ListSkusRequest, compiled by protoc from
  schemas/google/cloud/billing/v1/cloud_catalog.proto (a trimmed copy of googleapis'):
  only its fields' JSON names (pageSize, pageToken, currencyCode, startTime, endTime) and
  the system parameters (alt=json, prettyPrint, fields, key) are accepted, with their
  types (pageSize an int32 in 1..5000, times RFC 3339); anything else is 400
  INVALID_ARGUMENT naming it. currencyCode other than USD: 400 (the fake prices in USD).
  The SKUs come from --skus (a JSON list), each parsed at start-up with
  json_format.ParseDict into the Sku message (a fixture the real API could not send is
  refused). Pages hold min(pageSize, --page-size) SKUs; nextPageToken is opaque and an
  unknown pageToken is 400. An unknown service is 404 NOT_FOUND.
GET /compute/v1/projects/{project}/regions/{region}  (compute.regions.get)
  From --regions FILE {"project": {"region": [{"metric", "limit", "usage"}]}}: the Region
  resource's name, status and quotas (Quota: metric, limit, usage, owner: the fields of
  the compute v1 discovery document's Quota schema, trimmed into schemas/compute_quota.json
  and checked against it at start-up). Unknown project or region: 404.
GET /v1/projects/{project}/locations/global/services/{service}/quotaInfos
  (google.api.cloudquotas.v1.CloudQuotas.ListQuotaInfos) from --quota-infos FILE
  {"project": [QuotaInfo, ...]}: every QuotaInfo is parsed at start-up with
  json_format.ParseDict into the message compiled from
  schemas/google/api/cloudquotas/v1/cloudquotas.proto (a trimmed copy of googleapis'), so
  a fixture with an unknown field or a bad enum is refused. Query parameters: the JSON names
  of ListQuotaInfosRequest (pageSize int32 >= 1, pageToken) and the system ones; anything
  else is 400. Only the project's QuotaInfos of {service}; pages of min(pageSize,
  --page-size); an unknown pageToken is 400; an unknown project 403 (as the API answers).
Each request is appended to --requests as one JSON line {method, path}.
"""
import argparse, json, os, re, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEM_PARAMS = {"alt", "prettyPrint", "fields", "key", "$.xgafv"}


def compile_catalog():
    tmp = tempfile.mkdtemp(prefix="billing-fake-")
    out = os.path.join(tmp, "catalog.pb")
    subprocess.run(["protoc", "-I", os.path.join(HERE, "schemas"), "-I", "/usr/include",
                    "--include_imports", "--descriptor_set_out=" + out,
                    "google/cloud/billing/v1/cloud_catalog.proto"], check=True)
    fds = descriptor_pb2.FileDescriptorSet()
    with open(out, "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    get = lambda n: message_factory.MessageFactory(pool).GetPrototype(
        pool.FindMessageTypeByName("google.cloud.billing.v1." + n))
    return get("Sku"), pool.FindMessageTypeByName("google.cloud.billing.v1.ListSkusRequest")


def compile_cloudquotas():
    tmp = tempfile.mkdtemp(prefix="cloudquotas-fake-")
    out = os.path.join(tmp, "cloudquotas.pb")
    subprocess.run(["protoc", "-I", os.path.join(HERE, "schemas"),
                    "--include_imports", "--descriptor_set_out=" + out,
                    "google/api/cloudquotas/v1/cloudquotas.proto"], check=True)
    fds = descriptor_pb2.FileDescriptorSet()
    with open(out, "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    name = lambda n: "google.api.cloudquotas.v1." + n
    info = message_factory.MessageFactory(pool).GetPrototype(
        pool.FindMessageTypeByName(name("QuotaInfo")))
    return info, pool.FindMessageTypeByName(name("ListQuotaInfosRequest"))


class Fake:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        sku_cls, self.list_request = compile_catalog()
        with open(args.skus) as f:
            self.skus = json.load(f)
        for i, sku in enumerate(self.skus):
            try:
                json_format.ParseDict(sku, sku_cls())  # unknown fields or bad types: refused
            except json_format.ParseError as e:
                sys.exit(f"--skus[{i}] is not a google.cloud.billing.v1.Sku: {e}")
        self.quota_infos = {}
        if args.quota_infos:
            info_cls, self.list_quota_infos = compile_cloudquotas()
            with open(args.quota_infos) as f:
                self.quota_infos = json.load(f)
            for project, infos in self.quota_infos.items():
                for i, info in enumerate(infos):
                    try:
                        json_format.ParseDict(info, info_cls())
                    except json_format.ParseError as e:
                        sys.exit(f"--quota-infos {project}[{i}] is not a "
                                 f"google.api.cloudquotas.v1.QuotaInfo: {e}")
        self.regions = {}
        if args.regions:
            with open(args.regions) as f:
                self.regions = json.load(f)
            with open(os.path.join(HERE, "schemas", "compute_quota.json")) as f:
                schema = json.load(f)["Quota"]
            for project, regions in self.regions.items():
                for region, quotas in regions.items():
                    for q in quotas:
                        for k, v in q.items():
                            prop = schema["properties"].get(k)
                            if prop is None:
                                sys.exit(f"--regions {project}/{region}: Quota has no '{k}'")
                            if k == "metric" and v not in prop["enum"]:
                                sys.exit(f"--regions {project}/{region}: metric {v} is not "
                                         "in the compute v1 Quota.metric enum")

    def token_scope(self, header):
        if not header.startswith("Bearer "):
            return None
        tok = header[7:]
        try:
            with open(self.args.oauth_issued) as f:
                for line in f:
                    rec = json.loads(line)
                    if rec["token"] == tok and rec["exp"] > time.time():
                        return rec.get("scope") or ""
        except FileNotFoundError:
            pass
        return None

    def check_list_params(self, q):
        fields = {f.json_name: f for f in self.list_request.fields}
        for k, vs in q.items():
            if k in SYSTEM_PARAMS:
                continue
            f = fields.get(k)
            if f is None or k == "parent":
                raise ValueError(f"Invalid JSON payload received. Unknown name \"{k}\": "
                                 "Cannot bind query parameter.")
            if len(vs) != 1:
                raise ValueError(f"{k}: repeated, but the field is not repeated")
            v = vs[0]
            if k == "pageSize":
                if not re.fullmatch(r"-?\d+", v) or not 1 <= int(v) <= 5000:
                    raise ValueError(f"Invalid value at 'page_size' (TYPE_INT32), \"{v}\"")
            if k in ("startTime", "endTime") and not re.fullmatch(
                    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", v):
                raise ValueError(f"Invalid value at '{f.name}' (type.googleapis.com/"
                                 f"google.protobuf.Timestamp), Field '{f.name}', Invalid time "
                                 f"format: {v}")
            if k == "currencyCode" and v != "USD":
                raise ValueError(f"the fake prices in USD only, not {v}")


def make_handler(st):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def error(self, code, status, message):
            self.send(code, {"error": {"code": code, "message": message, "status": status}})

        def do_GET(self):
            if st.args.requests:
                with st.lock, open(st.args.requests, "a") as f:
                    f.write(json.dumps({"method": "GET", "path": self.path}) + "\n")
            scope = st.token_scope(self.headers.get("Authorization", ""))
            if scope is None:
                return self.error(401, "UNAUTHENTICATED",
                                  "Request had invalid authentication credentials. Expected "
                                  "OAuth 2 access token, login cookie or other valid "
                                  "authentication credential.")
            if scope and not any(s in scope for s in ("cloud-platform", "cloud-billing",
                                                      "compute")):
                return self.error(403, "PERMISSION_DENIED",
                                  "Request had insufficient authentication scopes.")
            url = urlparse(self.path)
            q = parse_qs(url.query, keep_blank_values=True)
            m = re.fullmatch(r"/v1/services/([^/]+)/skus", url.path)
            if m:
                return self.list_skus(m.group(1), q)
            m = re.fullmatch(r"/compute/v1/projects/([^/]+)/regions/([^/]+)", url.path)
            if m:
                return self.region(m.group(1), m.group(2), q)
            m = re.fullmatch(r"/v1/projects/([^/]+)/locations/([^/]+)/services/([^/]+)"
                             r"/quotaInfos", url.path)
            if m and st.args.quota_infos:
                return self.quota_infos(m.group(1), m.group(2), m.group(3), q)
            self.error(404, "NOT_FOUND", f"no route for GET {url.path}")

        def do_POST(self):
            self.error(405, "METHOD_NOT_ALLOWED", "the fake answers GET only")

        def list_skus(self, service, q):
            try:
                st.check_list_params(q)
            except ValueError as e:
                return self.error(400, "INVALID_ARGUMENT", str(e))
            skus = [s for s in st.skus if s["name"].startswith(f"services/{service}/")]
            if not skus:
                return self.error(404, "NOT_FOUND", f"Service services/{service} not found.")
            start = 0
            token = q.get("pageToken", [""])[0]
            if token:
                m = re.fullmatch(r"p(\d+)", token)
                if not m or int(m.group(1)) >= len(skus):
                    return self.error(400, "INVALID_ARGUMENT", "Invalid page token.")
                start = int(m.group(1))
            size = min(int(q.get("pageSize", ["5000"])[0]), st.args.page_size)
            out = {"skus": skus[start:start + size]}
            out["nextPageToken"] = f"p{start + size}" if start + size < len(skus) else ""
            self.send(200, out)

        def quota_infos(self, project, location, service, q):
            fields = {f.json_name for f in st.list_quota_infos.fields} - {"parent"}
            for k, vs in q.items():
                if k in SYSTEM_PARAMS:
                    continue
                if k not in fields:
                    return self.error(400, "INVALID_ARGUMENT", f"Invalid JSON payload received."
                                      f" Unknown name \"{k}\": Cannot bind query parameter.")
                if len(vs) != 1:
                    return self.error(400, "INVALID_ARGUMENT", f"{k}: not a repeated field")
            if location != "global":
                return self.error(400, "INVALID_ARGUMENT", "The location must be 'global'.")
            if project not in st.quota_infos:
                return self.error(403, "PERMISSION_DENIED", f"Permission denied on resource "
                                  f"project {project}.")
            size = q.get("pageSize", [""])[0]
            if size and (not re.fullmatch(r"\d+", size) or not 1 <= int(size) <= 2**31 - 1):
                return self.error(400, "INVALID_ARGUMENT",
                                  f"Invalid value at 'page_size' (TYPE_INT32), \"{size}\"")
            infos = [i for i in st.quota_infos[project] if i.get("service") == service]
            start = 0
            token = q.get("pageToken", [""])[0]
            if token:
                m = re.fullmatch(r"q(\d+)", token)
                if not m or int(m.group(1)) >= len(infos):
                    return self.error(400, "INVALID_ARGUMENT", "Invalid page token.")
                start = int(m.group(1))
            n = min(int(size) if size else st.args.page_size, st.args.page_size)
            out = {"quotaInfos": infos[start:start + n]}
            if start + n < len(infos):
                out["nextPageToken"] = f"q{start + n}"
            self.send(200, out)

        def region(self, project, region, q):
            for k in q:
                if k not in SYSTEM_PARAMS:
                    return self.error(400, "INVALID_ARGUMENT", f"Unknown parameter '{k}'")
            if project not in st.regions:
                return self.error(404, "NOT_FOUND", f"The resource 'projects/{project}' was "
                                  "not found")
            if region not in st.regions[project]:
                return self.error(404, "NOT_FOUND", f"The resource 'projects/{project}/regions/"
                                  f"{region}' was not found")
            self.send(200, {"kind": "compute#region", "name": region, "status": "UP",
                            "selfLink": f"https://www.googleapis.com/compute/v1/projects/"
                                        f"{project}/regions/{region}",
                            "quotas": st.regions[project][region]})

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--oauth-issued", required=True)
    ap.add_argument("--skus", required=True)
    ap.add_argument("--regions")
    ap.add_argument("--quota-infos")
    ap.add_argument("--requests")
    ap.add_argument("--page-size", type=int, default=4)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(Fake(args)))
    server.daemon_threads = True
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
