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
  POST /v1/projects/{p}/locations/{r}/hyperparameterTuningJobs -> HyperparameterTuningJob,
       validated against hyperparameter_tuning_job.proto + study.proto (tests/fakes/protos,
       trimmed from googleapis) and the service's rules (metrics and parameters required, one
       value spec each, discrete values increasing, log scale > 0, GRID_SEARCH without DOUBLE
       parameters, trialJobSpec checked as a CustomJob's jobSpec)
  GET  /v1/{name of a tuning job} -> each GET advances it: QUEUED -> PENDING -> RUNNING; then
       trials start (up to parallelTrialCount, maxTrialCount in all; values from the study:
       grid in order, else seeded random), each a CustomJob of its own, ACTIVE for a step and
       then SUCCEEDED with a finalMeasurement (the trial's outputs written under
       baseOutputDirectory/<trial id>/ as mlbox-trainer writes them); --hpt-fail-trial N makes
       trial N INFEASIBLE (its CustomJob FAILED), --hpt-preempt-trial N restarts trial N's VM
       once (attempt 2 in its logs); a trial whose CustomJob is cancelled is INFEASIBLE. The job
       ends SUCCEEDED when a trial did, else FAILED.
  POST /v1/{name of a tuning job}:cancel -> CANCELLING, then CANCELLED (active trials stop)
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
POST /__fake/hpt/external {"on": true, "metrics_dir": DIR}: tuning trials started from then on
are played by the test (the real mlbox-trainer): no emulated failure, restart or outputs; a
trial stays ACTIVE until DIR/<trial id>/output.metrics exists — the file cloudml-hypertune
writes, which the trainer writes for the user — and its last report becomes the trial's
finalMeasurement, as the service takes it. GET /__fake/hpt/trials lists every trial with its
CustomJob's containerSpec (the appended arguments) and output directory.
"""
import argparse, base64, hashlib, json, os, re, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlparse

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sweep_trial_score import trial_score  # noqa: E402

SPECS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "specs")


TRIMMED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "protos", "aiplatform-v1")


def compile_protos(specs):
    """protoc the aiplatform v1 CustomJob (../shared/specs) and HyperparameterTuningJob (the
    trimmed protos beside this file), with their imports, into one descriptor pool."""
    tmp = tempfile.mkdtemp(prefix="vertex-fake-")
    inc = os.path.join(tmp, "inc", "google", "cloud", "aiplatform", "v1")
    os.makedirs(inc)
    for src in (os.path.join(specs, "gcp", "aiplatform-v1"), TRIMMED):
        for f in os.listdir(src):
            if f.endswith(".proto") and not os.path.exists(os.path.join(inc, f)):
                os.symlink(os.path.join(src, f), os.path.join(inc, f))
    out = os.path.join(tmp, "aiplatform.pb")
    subprocess.run(["protoc", "-I", os.path.join(tmp, "inc"), "-I", os.path.join(specs, "gcp", "common"),
                    "-I", "/usr/include", "--include_imports", "--descriptor_set_out=" + out,
                    "google/cloud/aiplatform/v1/custom_job.proto",
                    "google/cloud/aiplatform/v1/hyperparameter_tuning_job.proto"], check=True)
    fds = descriptor_pb2.FileDescriptorSet()
    with open(out, "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    factory = message_factory.MessageFactory(pool)
    out = {}
    for name in ("CustomJob", "HyperparameterTuningJob"):
        desc = pool.FindMessageTypeByName("google.cloud.aiplatform.v1." + name)
        out[name] = (factory.GetPrototype(desc), desc)
    return out


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


HPT_OUTPUT_ONLY = ["name", "trials", "state", "createTime", "startTime", "endTime", "updateTime",
                   "error"]
VALUE_SPECS = ("doubleValueSpec", "integerValueSpec", "categoricalValueSpec", "discreteValueSpec")


def validate_tuning_job(body, protos):
    """HyperparameterTuningJob: the proto (strict JSON names, types, enums) and the rules the
    service enforces beyond it."""
    if not isinstance(body, dict):
        raise ValueError("the body is not a JSON object")
    cls, desc = protos["HyperparameterTuningJob"]
    check_json_names(body, desc, "hyperparameterTuningJob")
    json_format.Parse(json.dumps(body), cls(), ignore_unknown_fields=False)
    for f in HPT_OUTPUT_ONLY:
        if f in body:
            raise ValueError(f"hyperparameterTuningJob.{f} is output only")
    for f in ("displayName", "studySpec", "trialJobSpec"):
        if not body.get(f):
            raise ValueError(f"hyperparameterTuningJob.{f} is required")
    for f in ("maxTrialCount", "parallelTrialCount"):
        if int(body.get(f, 0)) < 1:
            raise ValueError(f"hyperparameterTuningJob.{f} is required (at least 1)")
    study = body["studySpec"]
    metrics = study.get("metrics", [])
    if not metrics:
        raise ValueError("studySpec.metrics is required")
    for i, m in enumerate(metrics):
        if not m.get("metricId") or re.search(r"\s", m["metricId"]):
            raise ValueError(f"studySpec.metrics[{i}].metricId is required, without whitespace")
        if m.get("goal", "GOAL_TYPE_UNSPECIFIED") == "GOAL_TYPE_UNSPECIFIED":
            raise ValueError(f"studySpec.metrics[{i}].goal is required")
    params = study.get("parameters", [])
    if not params:
        raise ValueError("studySpec.parameters is required")
    seen = set()
    for i, p in enumerate(params):
        where = f"studySpec.parameters[{i}]"
        pid = p.get("parameterId", "")
        if not pid or re.search(r"\s", pid) or pid in seen:
            raise ValueError(f"{where}.parameterId is required, unique, without whitespace")
        seen.add(pid)
        specs = [k for k in VALUE_SPECS if k in p]
        if len(specs) != 1:
            raise ValueError(f"{where} needs exactly one of {', '.join(VALUE_SPECS)}")
        spec = p[specs[0]]
        if specs[0] in ("doubleValueSpec", "integerValueSpec"):
            lo, hi = float(spec.get("minValue", 0)), float(spec.get("maxValue", 0))
            if lo > hi:
                raise ValueError(f"{where}: minValue {lo} > maxValue {hi}")
            if p.get("scaleType") in ("UNIT_LOG_SCALE", "UNIT_REVERSE_LOG_SCALE") and lo <= 0:
                raise ValueError(f"{where}: a log scale needs a strictly positive feasible space")
        if specs[0] == "discreteValueSpec":
            v = spec.get("values", [])
            if not v or any(b - a < 1e-10 for a, b in zip(v, v[1:])):
                raise ValueError(f"{where}.discreteValueSpec.values must be increasing, 1e-10 apart")
        if specs[0] == "categoricalValueSpec":
            if not spec.get("values"):
                raise ValueError(f"{where}.categoricalValueSpec.values is required")
            if "scaleType" in p:
                raise ValueError(f"{where}.scaleType: leave it unset for CATEGORICAL")
        if study.get("algorithm") == "GRID_SEARCH" and specs[0] == "doubleValueSpec":
            raise ValueError(f"{where}: GRID_SEARCH needs INTEGER, CATEGORICAL or DISCRETE parameters")
    validate_custom_job({"displayName": body["displayName"], "jobSpec": body["trialJobSpec"]},
                        *protos["CustomJob"])


def grid_points(p):
    if "discreteValueSpec" in p:
        return list(p["discreteValueSpec"]["values"])
    if "categoricalValueSpec" in p:
        return list(p["categoricalValueSpec"]["values"])
    s = p["integerValueSpec"]
    return list(range(int(s["minValue"]), int(s["maxValue"]) + 1))


def draw(p, rng):
    import math
    if "doubleValueSpec" in p:
        lo, hi = p["doubleValueSpec"]["minValue"], p["doubleValueSpec"]["maxValue"]
        if p.get("scaleType") == "UNIT_LOG_SCALE":
            return round(math.exp(rng.uniform(math.log(lo), math.log(hi))), 8)
        return round(rng.uniform(lo, hi), 8)
    return rng.choice(grid_points(p))


def now_rfc3339(offset=0.0):
    t = time.time() + offset
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


class State:
    def __init__(self, args):
        self.args = args
        self.protos = compile_protos(args.specs)
        self.cls, self.desc = self.protos["CustomJob"]
        self.tuning = {}   # name -> HyperparameterTuningJob dict
        self.lock = threading.RLock()
        self.jobs = {}     # name -> job dict
        self.steps = {}    # name -> list of states still to go
        self.logs = {}     # job id -> entries
        self.objects = {}  # (bucket, name) -> bytes
        self.sessions = {}
        self.next_id = 1000
        self.hold = False  # RUNNING jobs stay RUNNING (POST /__fake/hold)
        self.hpt_external = None  # the test's hypertune files (POST /__fake/hpt/external)

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


    def trial_values(self, hpt, index):
        params = hpt["studySpec"]["parameters"]
        if hpt["studySpec"].get("algorithm") == "GRID_SEARCH":
            import itertools
            combos = list(itertools.product(*(grid_points(p) for p in params)))
            combo = combos[index % len(combos)]
        else:
            import random
            rng = random.Random(1000 + index)
            combo = [draw(p, rng) for p in params]
        return {p["parameterId"]: v for p, v in zip(params, combo)}

    def start_trial(self, hpt):
        index = len(hpt["trials"])
        tid = str(index + 1)
        values = self.trial_values(hpt, index)
        base = hpt["trialJobSpec"].get("baseOutputDirectory", {}).get("outputUriPrefix", "")
        spec = json.loads(json.dumps(hpt["trialJobSpec"]))
        pool = spec["workerPoolSpecs"][0]["containerSpec"]
        # The service appends the trial's values as arguments; AIP_* point under the trial.
        pool["args"] = pool.get("args", []) + [f"--{k}={v}" for k, v in values.items()]
        self.next_id += 1
        parent = hpt["name"].rsplit("/hyperparameterTuningJobs/", 1)[0]
        cj_name = f"{parent}/customJobs/{self.next_id}"
        self.jobs[cj_name] = {"name": cj_name, "displayName": f"{hpt['displayName']}-trial-{tid}",
                              "jobSpec": spec, "state": "JOB_STATE_RUNNING",
                              "createTime": now_rfc3339(), "startTime": now_rfc3339()}
        self.steps[cj_name] = []  # the trial drives it
        trial = {"id": tid, "state": "ACTIVE", "startTime": now_rfc3339(), "customJob": cj_name,
                 "parameters": [{"parameterId": k, "value": v} for k, v in values.items()],
                 "_values": values, "_out": f"{base.rstrip('/')}/{tid}" if base else "",
                 "_steps": ["RUN", "RUN2", "DONE"] if index + 1 in self.args.hpt_preempt_trial
                 and not self.hpt_external else ["RUN", "DONE"],
                 "_external": self.hpt_external}
        hpt["trials"].append(trial)
        job_id = cj_name.rsplit("/", 1)[1]
        self.add_logs(job_id, 1, ["mlbox-trainer: attempt 1 starting " + " ".join(pool["args"])])

    def finish_trial(self, hpt, trial, job):
        job_id = trial["customJob"].rsplit("/", 1)[1]
        index = int(trial["id"])
        trial["endTime"] = now_rfc3339()
        job["endTime"] = trial["endTime"]
        env = {e["name"]: e["value"] for e in
               job["jobSpec"]["workerPoolSpecs"][0]["containerSpec"].get("env", [])}
        if index in self.args.hpt_fail_trial:
            trial["state"] = "INFEASIBLE"
            trial["infeasibleReason"] = "The trial's CustomJob failed: the replica exited with 1"
            job["state"] = "JOB_STATE_FAILED"
            self.add_logs(job_id, 1, ["RuntimeError: CUDA error: an illegal memory access"])
            return
        if "MLBOX_SWEEP_PARAMS" not in env:
            raise ValueError("the trial job has no MLBOX_SWEEP_PARAMS: the trainer would not "
                             "know the appended arguments are the trial's")
        metric = hpt["studySpec"]["metrics"][0]["metricId"]
        value = trial_score(trial["_values"])
        trial["state"] = "SUCCEEDED"
        trial["finalMeasurement"] = {"stepCount": "2",
                                     "metrics": [{"metricId": metric, "value": value}]}
        job["state"] = "JOB_STATE_SUCCEEDED"
        self.add_logs(job_id, 2 if "RUN2" in trial.get("_done", []) else 1,
                      [f"{metric}={value}", "training finished"])
        if trial["_out"]:
            bucket, _, prefix = trial["_out"][5:].partition("/")
            prefix = prefix + "/" if prefix else ""
            self.put_object(bucket, prefix + "model/model.pt", f"TORCHSCRIPT trial {trial['id']}".encode())
            history = {"epoch": [0, 1], "history": {metric: [round(value * 0.8, 6), value],
                                                    "loss": [1 - value / 2, 1 - value]},
                       "params": {k: str(v) for k, v in trial["_values"].items()}}
            self.put_object(bucket, prefix + "history.json", json.dumps(history).encode())
            self.put_object(bucket, prefix + "metrics.jsonl", "".join(
                json.dumps({"epoch": e, metric: history["history"][metric][e]}) + "\n"
                for e in (0, 1)).encode())

    def finish_external_trial(self, hpt, trial, job):
        """A trial the test played: done once its hypertune file exists; the last report is
        the final measurement."""
        path = os.path.join(trial["_external"], trial["id"], "output.metrics")
        if not os.path.exists(path):
            return
        lines = [json.loads(l) for l in open(path) if l.strip()]
        metric = hpt["studySpec"]["metrics"][0]["metricId"]
        last = lines[-1]
        for key in ("global_step", "timestamp", "trial", metric):
            if key not in last:
                raise ValueError(f"{path}: a hypertune report without {key}: {last}")
        if not isinstance(last[metric], str) or not isinstance(last["global_step"], str):
            raise ValueError(f"{path}: cloudml-hypertune writes values as strings: {last}")
        trial["state"] = "SUCCEEDED"
        trial["endTime"] = now_rfc3339()
        trial["finalMeasurement"] = {"stepCount": last["global_step"],
                                     "metrics": [{"metricId": metric, "value": float(last[metric])}]}
        job["state"] = "JOB_STATE_SUCCEEDED"
        job["endTime"] = trial["endTime"]
        trial["_steps"] = []

    def advance_tuning(self, name):
        hpt = self.tuning[name]
        hpt["updateTime"] = now_rfc3339()
        st = hpt["state"]
        if st == "JOB_STATE_QUEUED":
            hpt["state"] = "JOB_STATE_PENDING"
            return hpt
        if st == "JOB_STATE_PENDING":
            hpt["state"] = "JOB_STATE_RUNNING"
            hpt["startTime"] = now_rfc3339()
            return hpt
        if st in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"):
            return hpt
        cancelling = st == "JOB_STATE_CANCELLING"
        for trial in hpt["trials"]:
            if trial["state"] != "ACTIVE":
                continue
            job = self.jobs[trial["customJob"]]
            if cancelling or job["state"] in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED"):
                trial["state"] = "INFEASIBLE"
                trial["infeasibleReason"] = "The trial's CustomJob was cancelled"
                trial["endTime"] = now_rfc3339()
                job["state"] = "JOB_STATE_CANCELLED"
                continue
            if trial.get("_external") and trial["_steps"][0] == "DONE":
                self.finish_external_trial(hpt, trial, job)
                continue
            step = trial["_steps"].pop(0)
            trial.setdefault("_done", []).append(step)
            if step == "RUN2":
                self.add_logs(trial["customJob"].rsplit("/", 1)[1], 2,
                              ["mlbox-trainer: attempt 2 starting, resuming from epoch 1"])
            elif step == "DONE":
                self.finish_trial(hpt, trial, job)
        if cancelling:
            hpt["state"] = "JOB_STATE_CANCELLED"
            hpt["endTime"] = now_rfc3339()
            return hpt
        active = sum(1 for t in hpt["trials"] if t["state"] == "ACTIVE")
        while active < int(hpt["parallelTrialCount"]) and len(hpt["trials"]) < int(hpt["maxTrialCount"]):
            self.start_trial(hpt)
            active += 1
        if active == 0 and len(hpt["trials"]) >= int(hpt["maxTrialCount"]):
            ok = any(t["state"] == "SUCCEEDED" for t in hpt["trials"])
            hpt["state"] = "JOB_STATE_SUCCEEDED" if ok else "JOB_STATE_FAILED"
            hpt["endTime"] = now_rfc3339()
        return hpt


def public(job):
    if isinstance(job, dict):
        return {k: public(v) for k, v in job.items() if not k.startswith("_")}
    if isinstance(job, list):
        return [public(v) for v in job]
    return job


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
            if self.path == "/__fake/hpt/external" and self.command == "POST":
                with st.lock:
                    a = json.loads(raw or b"{}")
                    st.hpt_external = a["metrics_dir"] if a.get("on", True) else None
                return self.send(200, {"external": st.hpt_external})
            if self.path == "/__fake/hpt/trials" and self.command == "GET":
                with st.lock:
                    out = []
                    for hpt in st.tuning.values():
                        for t in hpt["trials"]:
                            spec = st.jobs[t["customJob"]]["jobSpec"]
                            out.append({"tuning_job": hpt["name"], "id": t["id"], "state": t["state"],
                                        "customJob": t["customJob"],
                                        "containerSpec": spec["workerPoolSpecs"][0]["containerSpec"],
                                        "output": t["_out"]})
                return self.send(200, {"trials": out})
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
            m = re.fullmatch(r"/v1/projects/([^/]+)/locations/([^/]+)/hyperparameterTuningJobs", url.path)
            if m and self.command == "POST":
                try:
                    validate_tuning_job(body, st.protos)
                except Exception as e:  # json_format.ParseError, ValueError
                    return self.error(400, "INVALID_ARGUMENT", f"Invalid JSON payload received. {e}")
                st.next_id += 1
                name = f"projects/{m.group(1)}/locations/{m.group(2)}/hyperparameterTuningJobs/{st.next_id}"
                job = dict(body, name=name, state="JOB_STATE_QUEUED", trials=[],
                           createTime=now_rfc3339(), updateTime=now_rfc3339())
                st.tuning[name] = job
                return self.send(200, public(job))
            m = re.fullmatch(r"/v1/(projects/[^/]+/locations/[^/]+/hyperparameterTuningJobs/[^/:]+)(:cancel)?",
                             url.path)
            if m and m.group(1) in st.tuning:
                name = m.group(1)
                if m.group(2) and self.command == "POST":
                    job = st.tuning[name]
                    if job["state"] in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"):
                        return self.error(400, "FAILED_PRECONDITION",
                                          f"Cannot cancel job {name} in state {job['state']}")
                    job["state"] = "JOB_STATE_CANCELLING"
                    return self.send(200, {})
                if not m.group(2) and self.command == "GET":
                    try:
                        return self.send(200, public(st.advance_tuning(name)))
                    except ValueError as e:
                        return self.error(500, "INTERNAL", str(e))
            if m:
                return self.error(404, "NOT_FOUND", f'The HyperparameterTuningJob "{m.group(1)}" does not exist.')
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
    ap.add_argument("--hpt-fail-trial", type=int, action="append", default=[],
                    help="tuning trial N (1-based) fails: INFEASIBLE, its CustomJob FAILED")
    ap.add_argument("--hpt-preempt-trial", type=int, action="append", default=[],
                    help="tuning trial N's VM is restarted once (attempt 2 in its logs)")
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
