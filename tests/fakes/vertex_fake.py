#!/usr/bin/env python3
"""Vertex AI CustomJob + Cloud Logging + Cloud Storage (JSON API) fake, for tests.

  vertex_fake.py --port P (0 = any; see --port-file) --oauth-issued FILE
                 [--port-file FILE] [--requests FILE] [--preempt-spot]
                 [--log-page-size N] [--list-page-size N]

Every request needs "Authorization: Bearer T" with T an unexpired token that
gcp_oauth_fake.py issued (its --issued record); otherwise 401 UNAUTHENTICATED.

Vertex AI (aiplatform v1; bodies parsed strictly with google.protobuf.json_format.Parse
into google.cloud.aiplatform.v1.CustomJob compiled by protoc from the specs, unknown fields
refused, JSON names must be lowerCamelCase, output-only fields refused, required fields
checked; 400 INVALID_ARGUMENT names the problem):
  POST /v1/projects/{p}/locations/{r}/customJobs        -> CustomJob (state QUEUED)
  GET  /v1/projects/{p}/locations/{r}/customJobs/{id}   -> each GET advances the job:
       QUEUED -> PENDING -> RUNNING (attempt 1) [-> RUNNING attempt 2 after a worker restart,
       for SPOT jobs under --preempt-spot] -> SUCCEEDED (outputs written to the GCS fake
       under baseOutputDirectory: model/model.pt, model/history.json)
  GET  /v1/projects/{p}/locations/{r}/customJobs        -> list (pageToken)
  POST /v1/projects/{p}/locations/{r}/customJobs/{id}:cancel -> CANCELLING, then CANCELLED
Cloud Logging: POST /v2/entries:list {resourceNames, filter (resource.type="ml_job" AND
  resource.labels.job_id="ID" [AND timestamp>="T"]), orderBy, pageSize, pageToken}: one
  entry set per attempt, each attempt on its own VM (labels compute.googleapis.com/resource_id).
Cloud Storage: GET /storage/v1/b/{b}/o?prefix=&pageToken=, GET /storage/v1/b/{b}/o/{o}?alt=media,
  POST /upload/storage/v1/b/{b}/o?uploadType=media|resumable&name=, PUT {session} with
  Content-Range (308 + Range until complete).
Each Vertex request is appended to --requests as one JSON line {method, path, body,
user_project (the x-goog-user-project header)}.
POST /__fake/hold {"on": true} (no token needed) keeps RUNNING jobs running (a GET does not
end them) until {"on": false}: a test then plays the container meanwhile.
"""
import argparse, base64, hashlib, json, os, re, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlparse

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

SPECS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "specs")


def compile_custom_job(specs):
    """protoc the aiplatform v1 CustomJob (and its imports) into a descriptor set."""
    tmp = tempfile.mkdtemp(prefix="vertex-fake-")
    inc = os.path.join(tmp, "inc", "google", "cloud", "aiplatform", "v1")
    os.makedirs(inc)
    src = os.path.join(specs, "gcp", "aiplatform-v1")
    for f in os.listdir(src):
        if f.endswith(".proto"):
            os.symlink(os.path.join(src, f), os.path.join(inc, f))
    out = os.path.join(tmp, "custom_job.pb")
    subprocess.run(["protoc", "-I", os.path.join(tmp, "inc"), "-I", os.path.join(specs, "gcp", "common"),
                    "-I", "/usr/include", "--include_imports", "--descriptor_set_out=" + out,
                    "google/cloud/aiplatform/v1/custom_job.proto"], check=True)
    fds = descriptor_pb2.FileDescriptorSet()
    with open(out, "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    desc = pool.FindMessageTypeByName("google.cloud.aiplatform.v1.CustomJob")
    return message_factory.MessageFactory(pool).GetPrototype(desc), desc


OUTPUT_ONLY = ["name", "state", "createTime", "startTime", "endTime", "updateTime", "error",
               "webAccessUris", "satisfiesPzs", "satisfiesPzi"]


def check_json_names(value, desc, path):
    """protobuf JSON wants lowerCamelCase json_name keys (Parse also takes snake_case)."""
    if not isinstance(value, dict):
        return
    fields = {f.json_name: f for f in desc.fields}
    for key, v in value.items():
        f = fields.get(key)
        if f is None:
            raise ValueError(f"{path}.{key}: not a field of {desc.full_name} (JSON names are lowerCamelCase)")
        if f.message_type is None:
            continue
        if f.message_type.GetOptions().map_entry:
            continue
        if f.message_type.full_name.startswith("google.protobuf."):
            continue
        if f.label == f.LABEL_REPEATED:
            for i, item in enumerate(v if isinstance(v, list) else []):
                check_json_names(item, f.message_type, f"{path}.{key}[{i}]")
        else:
            check_json_names(v, f.message_type, f"{path}.{key}")


def validate_custom_job(body, cls, desc):
    if not isinstance(body, dict):
        raise ValueError("the body is not a JSON object")
    check_json_names(body, desc, "customJob")
    json_format.Parse(json.dumps(body), cls(), ignore_unknown_fields=False)
    for f in OUTPUT_ONLY:
        if f in body:
            raise ValueError(f"customJob.{f} is output only")
    if not body.get("displayName"):
        raise ValueError("customJob.displayName is required")
    pools = body.get("jobSpec", {}).get("workerPoolSpecs", [])
    if not pools:
        raise ValueError("customJob.jobSpec.workerPoolSpecs is required")
    for i, p in enumerate(pools):
        where = f"customJob.jobSpec.workerPoolSpecs[{i}]"
        if not p:
            continue  # an empty pool is allowed (unused slot), as in gcloud's specs
        ms = p.get("machineSpec", {})
        if not ms.get("machineType"):
            raise ValueError(f"{where}.machineSpec.machineType is required")
        if ("acceleratorType" in ms) != ("acceleratorCount" in ms):
            raise ValueError(f"{where}.machineSpec: acceleratorType and acceleratorCount go together")
        if int(p.get("replicaCount", "0")) < 1:
            raise ValueError(f"{where}.replicaCount must be at least 1")
        if i == 0 and int(p.get("replicaCount", "0")) != 1:
            raise ValueError(f"{where}.replicaCount: the chief pool has exactly 1 replica")
        cs = p.get("containerSpec")
        if not cs or not cs.get("imageUri"):
            raise ValueError(f"{where}.containerSpec.imageUri is required")
    out = body.get("jobSpec", {}).get("baseOutputDirectory", {}).get("outputUriPrefix")
    if out is not None and not out.startswith("gs://"):
        raise ValueError("customJob.jobSpec.baseOutputDirectory.outputUriPrefix must be gs://")


def now_rfc3339(offset=0.0):
    t = time.time() + offset
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


class State:
    def __init__(self, args):
        self.args = args
        self.cls, self.desc = compile_custom_job(args.specs)
        self.lock = threading.RLock()
        self.jobs = {}     # name -> job dict
        self.steps = {}    # name -> list of states still to go
        self.logs = {}     # job id -> entries
        self.objects = {}  # (bucket, name) -> bytes
        self.sessions = {}
        self.next_id = 1000
        self.hold = False  # RUNNING jobs stay RUNNING (POST /__fake/hold)

    def token_ok(self, header):
        if not header.startswith("Bearer "):
            return False
        tok = header[7:]
        try:
            with open(self.args.oauth_issued) as f:
                for line in f:
                    rec = json.loads(line)
                    if rec["token"] == tok and rec["exp"] > time.time():
                        return True
        except FileNotFoundError:
            pass
        return False

    def add_logs(self, job_id, attempt, lines):
        vm = f"{7000000000 + int(job_id) * 10 + attempt}"
        entries = self.logs.setdefault(job_id, [])
        for i, text in enumerate(lines):
            entries.append({
                "insertId": f"{job_id}-{attempt}-{i}",
                "timestamp": now_rfc3339(len(entries) * 0.001),
                "severity": "INFO",
                "resource": {"type": "ml_job", "labels": {"job_id": job_id, "project_id": "p",
                                                          "task_name": "workerpool0-0"}},
                "labels": {"compute.googleapis.com/resource_id": vm,
                           "ml.googleapis.com/tpu_worker_id": ""},
                "textPayload": text,
            })

    def put_object(self, bucket, name, data):
        self.objects[(bucket, name)] = data

    def advance(self, name):
        job = self.jobs[name]
        steps = self.steps[name]
        if not steps or (self.hold and steps[0] == "SUCCEEDED"):
            return job
        kind = steps.pop(0)
        job_id = name.rsplit("/", 1)[1]
        job["updateTime"] = now_rfc3339()
        if kind == "PENDING":
            job["state"] = "JOB_STATE_PENDING"
        elif kind == "RUN1":
            job["state"] = "JOB_STATE_RUNNING"
            job["startTime"] = now_rfc3339()
            lines = ["mlbox-trainer: attempt 1 starting", "epoch 1/2 loss=0.90"]
            if "RUN2" in steps:
                lines += ["SIGTERM: the spot VM is being reclaimed; checkpoint saved at epoch 1"]
            self.add_logs(job_id, 1, lines)
        elif kind == "RUN2":
            self.add_logs(job_id, 2, ["mlbox-trainer: attempt 2 starting, resuming from epoch 1",
                                      "epoch 2/2 loss=0.40"])
        elif kind == "SUCCEEDED":
            job["state"] = "JOB_STATE_SUCCEEDED"
            job["endTime"] = now_rfc3339()
            self.add_logs(job_id, 2 if job.get("_restarted") else 1, ["training finished"])
            out = job["jobSpec"].get("baseOutputDirectory", {}).get("outputUriPrefix")
            if out:
                bucket, _, prefix = out[5:].partition("/")
                prefix = prefix.rstrip("/") + "/" if prefix else ""
                self.put_object(bucket, prefix + "model/model.pt", b"TORCHSCRIPT" + job_id.encode() * 100)
                self.put_object(bucket, prefix + "model/history.json",
                                json.dumps({"epochs": [{"epoch": 1, "loss": 0.9},
                                                       {"epoch": 2, "loss": 0.4}]}).encode())
        elif kind == "CANCELLED":
            job["state"] = "JOB_STATE_CANCELLED"
            job["endTime"] = now_rfc3339()
        return job


def public(job):
    return {k: v for k, v in job.items() if not k.startswith("_")}


def make_handler(st):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send(self, status, body=b"", ctype="application/json", headers=()):
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def error(self, code, status, message):
            self.send(code, {"error": {"code": code, "message": message, "status": status}})

        def body(self):
            n = int(self.headers.get("Content-Length", "0"))
            return self.rfile.read(n)

        def record(self, body):
            if st.args.requests:
                with st.lock, open(st.args.requests, "a") as f:
                    f.write(json.dumps({"method": self.command, "path": self.path, "body": body,
                                        "user_project": self.headers.get("x-goog-user-project")})
                            + "\n")

        def handle_any(self):
            raw = self.body()
            if self.path == "/__fake/hold" and self.command == "POST":
                with st.lock:
                    st.hold = bool(json.loads(raw or b"{}").get("on", True))
                return self.send(200, {"hold": st.hold})
            if not st.token_ok(self.headers.get("Authorization", "")):
                return self.error(401, "UNAUTHENTICATED",
                                  "Request had invalid authentication credentials. Expected OAuth 2 "
                                  "access token, login cookie or other valid authentication credential.")
            url = urlparse(self.path)
            q = parse_qs(url.query)
            with st.lock:
                if url.path.startswith("/v1/"):
                    return self.vertex(url, q, raw)
                if url.path == "/v2/entries:list" and self.command == "POST":
                    return self.entries_list(raw)
                if url.path.startswith("/storage/v1/b/") or url.path.startswith("/upload/") \
                        or url.path.startswith("/resumable/"):
                    return self.gcs(url, q, raw)
            self.error(404, "NOT_FOUND", f"no route for {self.command} {url.path}")

        do_GET = do_POST = do_PUT = do_DELETE = handle_any

        # --- Vertex AI -------------------------------------------------------------------
        def vertex(self, url, q, raw):
            body = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self.error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
            self.record(body)
            m = re.fullmatch(r"/v1/projects/([^/]+)/locations/([^/]+)/customJobs", url.path)
            if m and self.command == "POST":
                try:
                    validate_custom_job(body, st.cls, st.desc)
                except Exception as e:  # json_format.ParseError, ValueError
                    return self.error(400, "INVALID_ARGUMENT", f"Invalid JSON payload received. {e}")
                st.next_id += 1
                name = f"projects/{m.group(1)}/locations/{m.group(2)}/customJobs/{st.next_id}"
                job = dict(body, name=name, state="JOB_STATE_QUEUED", createTime=now_rfc3339(),
                           updateTime=now_rfc3339())
                spot = body.get("jobSpec", {}).get("scheduling", {}).get("strategy") == "SPOT"
                steps = ["PENDING", "RUN1"]
                if spot and st.args.preempt_spot:
                    steps.append("RUN2")
                    job["_restarted"] = True
                steps.append("SUCCEEDED")
                st.jobs[name] = job
                st.steps[name] = steps
                return self.send(200, public(job))
            if m and self.command == "GET":
                parent = f"projects/{m.group(1)}/locations/{m.group(2)}/"
                names = sorted(n for n in st.jobs if n.startswith(parent))
                start = int(q.get("pageToken", ["0"])[0] or 0)
                size = st.args.list_page_size
                page = names[start:start + size]
                out = {"customJobs": [public(st.jobs[n]) for n in page]}
                if start + size < len(names):
                    out["nextPageToken"] = str(start + size)
                return self.send(200, out)
            m = re.fullmatch(r"/v1/(projects/[^/]+/locations/[^/]+/customJobs/[^/:]+)(:cancel)?", url.path)
            if m and m.group(1) in st.jobs:
                name = m.group(1)
                if m.group(2) and self.command == "POST":
                    job = st.jobs[name]
                    if job["state"] in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"):
                        return self.error(400, "FAILED_PRECONDITION",
                                          f"Cannot cancel job {name} in state {job['state']}")
                    job["state"] = "JOB_STATE_CANCELLING"
                    st.steps[name] = ["CANCELLED"]
                    return self.send(200, {})
                if not m.group(2) and self.command == "GET":
                    return self.send(200, public(st.advance(name)))
            if m:
                return self.error(404, "NOT_FOUND", f'The CustomJob "{m.group(1)}" does not exist.')
            self.error(404, "NOT_FOUND", f"no route for {self.command} {url.path}")

        # --- Cloud Logging -----------------------------------------------------------------
        def entries_list(self, raw):
            try:
                req = json.loads(raw)
            except ValueError:
                return self.error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
            allowed = {"resourceNames", "filter", "orderBy", "pageSize", "pageToken", "projectIds"}
            unknown = set(req) - allowed
            if unknown:
                return self.error(400, "INVALID_ARGUMENT", f"Unknown name(s) {sorted(unknown)}")
            if not req.get("resourceNames"):
                return self.error(400, "INVALID_ARGUMENT", "resourceNames is required")
            flt = req.get("filter", "")
            if 'resource.type="ml_job"' not in flt:
                return self.error(400, "INVALID_ARGUMENT", "this fake only serves ml_job logs")
            m = re.search(r'resource\.labels\.job_id="([^"]+)"', flt)
            if not m:
                return self.error(400, "INVALID_ARGUMENT", "filter names no resource.labels.job_id")
            entries = list(st.logs.get(m.group(1), []))
            t = re.search(r'timestamp>="([^"]+)"', flt)
            if t:
                entries = [e for e in entries if e["timestamp"] >= t.group(1)]
            if req.get("orderBy", "timestamp asc") == "timestamp desc":
                entries.reverse()
            start = int(req.get("pageToken") or 0)
            size = min(int(req.get("pageSize", 1000)), st.args.log_page_size)
            out = {"entries": entries[start:start + size]}
            if start + size < len(entries):
                out["nextPageToken"] = str(start + size)
            self.send(200, out)

        # --- Cloud Storage -----------------------------------------------------------------
        def object_json(self, bucket, name):
            data = st.objects[(bucket, name)]
            return {"kind": "storage#object", "bucket": bucket, "name": name, "size": str(len(data)),
                    "md5Hash": base64.b64encode(hashlib.md5(data).digest()).decode()}

        def gcs(self, url, q, raw):
            m = re.fullmatch(r"/storage/v1/b/([^/]+)/o", url.path)
            if m and self.command == "GET":
                bucket, prefix = m.group(1), q.get("prefix", [""])[0]
                names = sorted(n for (b, n) in st.objects if b == bucket and n.startswith(prefix))
                start = int(q.get("pageToken", ["0"])[0] or 0)
                page = names[start:start + 2]  # small pages: clients must follow nextPageToken
                out = {"kind": "storage#objects", "items": [self.object_json(bucket, n) for n in page]}
                if start + 2 < len(names):
                    out["nextPageToken"] = str(start + 2)
                return self.send(200, out)
            m = re.fullmatch(r"/storage/v1/b/([^/]+)/o/(.+)", url.path)
            if m and self.command == "GET":
                key = (m.group(1), unquote(m.group(2)))
                if key not in st.objects:
                    return self.error(404, "NOT_FOUND", f"No such object: {key[0]}/{key[1]}")
                if q.get("alt", [""])[0] == "media":
                    return self.send(200, st.objects[key], "application/octet-stream")
                return self.send(200, self.object_json(*key))
            m = re.fullmatch(r"/upload/storage/v1/b/([^/]+)/o", url.path)
            if m and self.command == "POST":
                bucket, name = m.group(1), q.get("name", [""])[0]
                kind = q.get("uploadType", [""])[0]
                if not name:
                    return self.error(400, "INVALID_ARGUMENT", "name is required")
                if kind == "media":
                    st.put_object(bucket, name, raw)
                    return self.send(200, self.object_json(bucket, name))
                if kind == "resumable":
                    total = int(self.headers.get("X-Upload-Content-Length", "-1"))
                    sid = f"s{len(st.sessions) + 1}"
                    st.sessions[sid] = {"bucket": bucket, "name": name, "data": b"", "total": total}
                    host = self.headers.get("Host")
                    return self.send(200, b"", headers=[("Location", f"http://{host}/resumable/{sid}")])
                return self.error(400, "INVALID_ARGUMENT", f"uploadType {kind!r} not supported")
            m = re.fullmatch(r"/resumable/(s\d+)", url.path)
            if m and self.command == "PUT" and m.group(1) in st.sessions:
                s = st.sessions[m.group(1)]
                cr = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", self.headers.get("Content-Range", ""))
                if not cr or int(cr.group(1)) != len(s["data"]) or \
                        int(cr.group(2)) - int(cr.group(1)) + 1 != len(raw):
                    return self.error(400, "INVALID_ARGUMENT", "bad Content-Range")
                s["data"] += raw
                if len(s["data"]) < int(cr.group(3)):
                    return self.send(308, b"", headers=[("Range", f"bytes=0-{len(s['data']) - 1}")])
                st.put_object(s["bucket"], s["name"], s["data"])
                return self.send(200, self.object_json(s["bucket"], s["name"]))
            self.error(404, "NOT_FOUND", f"no route for {self.command} {url.path}")

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", default="")
    ap.add_argument("--oauth-issued", required=True)
    ap.add_argument("--requests", default="")
    ap.add_argument("--specs", default=os.environ.get("MLBOX_SPECS_DIR", SPECS))
    ap.add_argument("--preempt-spot", action="store_true")
    ap.add_argument("--log-page-size", type=int, default=2)
    ap.add_argument("--list-page-size", type=int, default=2)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(State(args)))
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(args.port_file + ".tmp", args.port_file)
    print(f"vertex fake on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
