"""Service plug-ins for aws_fake.py: per-operation handlers over in-memory state.

Each plug-in names its botocore model (MODEL), the error code AWS uses for invalid input
(VALIDATION_ERROR), and implements call(operation, input) -> output dict (raising
AwsFault for AWS-shaped errors), state() for GET /__fake/state and control(cmd, args) for
POST /__fake/<service>/<cmd>. An operation of the model without a handler answers
UnsupportedOperation, so a test never passes on a silently ignored call.
"""
import base64, json, time

from aws_fake import AwsFault
from sweep_trial_score import trial_score


def add_arguments(ap):
    ap.add_argument("--ecr-password", default="ecr-fake-password",
                    help="the registry password GetAuthorizationToken hands out (user AWS)")
    ap.add_argument("--ecr-repo", action="append", default=[],
                    help="a repository that exists from the start")
    ap.add_argument("--ecr-token-ttl", type=int, default=12 * 3600)
    ap.add_argument("--batch-queue", action="append", default=[],
                    help="a job queue that exists (name)")
    ap.add_argument("--batch-spot-reclaim", action="store_true",
                    help="every job's first attempt is ended by a spot reclaim")
    ap.add_argument("--s3-endpoint", help="where succeeded jobs put model/ and history.json "
                    "(s3rver), signed with --access-key/--secret-key")
    ap.add_argument("--batch-array-fail", type=int, action="append", default=[],
                    help="the array child with this index fails (exit 1) on its first attempt")
    ap.add_argument("--batch-array-reclaim", type=int, action="append", default=[],
                    help="the array child with this index is spot-reclaimed on attempt 1")
    ap.add_argument("--logs-page-size", type=int, default=2,
                    help="GetLogEvents events per page (small, to exercise the tokens)")


class Plugin:
    NAME = MODEL = VALIDATION_ERROR = None

    def __init__(self, fake, model):
        self.fake, self.model, self.args = fake, model, fake.args
        self.calls = {}

    def call(self, op, data):
        handler = getattr(self, "op_" + op, None)
        if handler is None:
            raise AwsFault("UnsupportedOperation", f"the fake does not implement {op}", 400)
        self.calls[op] = self.calls.get(op, 0) + 1
        return handler(data)

    def state(self):
        return {"calls": self.calls}

    def control(self, cmd, args):
        raise AwsFault("UnknownControl", cmd, 404)


class Ecr(Plugin):
    NAME = "ecr"
    MODEL = "ecr-2015-09-21.service-2.json"
    VALIDATION_ERROR = "InvalidParameterException"

    def __init__(self, fake, model):
        super().__init__(fake, model)
        self.repos = {}
        for r in self.args.ecr_repo:
            self._create(r)

    def registry_host(self):
        return f"{self.args.account}.dkr.ecr.{self.args.region}.amazonaws.com"

    def _create(self, name):
        self.repos[name] = {
            "repositoryArn": f"arn:aws:ecr:{self.args.region}:{self.args.account}:repository/{name}",
            "registryId": self.args.account,
            "repositoryName": name,
            "repositoryUri": f"{self.registry_host()}/{name}",
            "createdAt": time.time(),
            "imageTagMutability": "MUTABLE",
            "imageScanningConfiguration": {"scanOnPush": False},
            "encryptionConfiguration": {"encryptionType": "AES256"},
        }
        return self.repos[name]

    def _registry(self, data):
        rid = data.get("registryId", self.args.account)
        if rid != self.args.account:
            raise AwsFault("AccessDeniedException",
                           f"not authorized to access registry {rid}", 400)

    def op_GetAuthorizationToken(self, data):
        token = base64.b64encode(f"AWS:{self.args.ecr_password}".encode()).decode()
        return {"authorizationData": [{
            "authorizationToken": token,
            "expiresAt": time.time() + self.args.ecr_token_ttl,
            "proxyEndpoint": f"https://{self.registry_host()}",
        }]}

    def op_CreateRepository(self, data):
        self._registry(data)
        name = data["repositoryName"]
        if name in self.repos:
            raise AwsFault("RepositoryAlreadyExistsException",
                           f"The repository with name '{name}' already exists in the registry "
                           f"with id '{self.args.account}'")
        return {"repository": self._create(name)}

    def op_DescribeRepositories(self, data):
        self._registry(data)
        names = data.get("repositoryNames")
        if names is None:
            return {"repositories": list(self.repos.values())}
        for n in names:
            if n not in self.repos:
                raise AwsFault("RepositoryNotFoundException",
                               f"The repository with name '{n}' does not exist in the registry "
                               f"with id '{self.args.account}'")
        return {"repositories": [self.repos[n] for n in names]}

    def op_DeleteRepository(self, data):
        self._registry(data)
        name = data["repositoryName"]
        if name not in self.repos:
            raise AwsFault("RepositoryNotFoundException",
                           f"The repository with name '{name}' does not exist in the registry "
                           f"with id '{self.args.account}'")
        return {"repository": self.repos.pop(name)}

    def state(self):
        return {"calls": self.calls, "repositories": sorted(self.repos)}



def s3_put(args, bucket, key, data):
    """PUT an object to --s3-endpoint (path style), SigV4-signed like any client."""
    import datetime, hashlib, urllib.request
    from urllib.parse import quote
    import aws_fake
    host = args.s3_endpoint.split("//", 1)[1].rstrip("/")
    path = "/" + bucket + "/" + quote(key, safe="/-_.~")
    amz = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    h = hashlib.sha256(data).hexdigest()
    headers = {"host": host, "x-amz-content-sha256": h, "x-amz-date": amz}
    names = sorted(headers)
    creq = "\n".join(["PUT", path, "", "".join(f"{n}:{headers[n]}\n" for n in names),
                      ";".join(names), h])
    scope = f"{amz[:8]}/{args.region}/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(creq.encode()).hexdigest()])
    sig = aws_fake.expected_signature(args.secret_key, amz, args.region, "s3", sts)
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={args.access_key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={sig}")
    req = urllib.request.Request(args.s3_endpoint.rstrip("/") + path, data=data, method="PUT",
                                 headers=headers)
    with urllib.request.urlopen(req) as r:
        assert r.status == 200, r.status


def s3_get(args, bucket, key):
    """GET an object from --s3-endpoint (path style), SigV4-signed; None when missing."""
    import datetime, hashlib, urllib.error, urllib.request
    from urllib.parse import quote
    import aws_fake
    host = args.s3_endpoint.split("//", 1)[1].rstrip("/")
    path = "/" + bucket + "/" + quote(key, safe="/-_.~")
    amz = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    h = hashlib.sha256(b"").hexdigest()
    headers = {"host": host, "x-amz-content-sha256": h, "x-amz-date": amz}
    names = sorted(headers)
    creq = "\n".join(["GET", path, "", "".join(f"{n}:{headers[n]}\n" for n in names),
                      ";".join(names), h])
    scope = f"{amz[:8]}/{args.region}/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(creq.encode()).hexdigest()])
    sig = aws_fake.expected_signature(args.secret_key, amz, args.region, "s3", sts)
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={args.access_key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={sig}")
    req = urllib.request.Request(args.s3_endpoint.rstrip("/") + path, method="GET", headers=headers)
    try:
        with urllib.request.urlopen(req) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


class Batch(Plugin):
    """Jobs advance one step per DescribeJobs call: SUBMITTED -> RUNNABLE -> STARTING ->
    RUNNING -> SUCCEEDED; with spot reclaims armed (--batch-spot-reclaim or POST
    /__fake/batch/spot_reclaim {"on": true}) attempt 1 ends in RUNNING with statusReason
    "Host EC2 (instance i-0abc...) terminated." and the job goes back to RUNNABLE (the
    retryStrategy must allow it). Each attempt writes log events to the logs plug-in; on
    success model/model.pt and history.json go under the job's MLBOX_MODEL_DIR parent.
    POST /__fake/batch/hold {"on": true} keeps a job's last attempt RUNNING (describing it
    does not end it) until {"on": false}: a test then plays the container meanwhile.

    Array jobs (SubmitJob arrayProperties.size, 2..10000): the parent is PENDING while its
    children "<parent>:<i>" walk the life cycle above one step per DescribeJobs of each; the
    parent ends SUCCEEDED when every child did, else FAILED, and counts them in
    arrayProperties.statusSummary. Child i emulates mlbox-trainer in a sweep: it reads the plan
    MLBOX_SWEEP_PLAN names from S3, takes trials[i], and on success writes model/model.pt,
    history.json and metrics.jsonl (the plan's metric, trial_score of the trial's values) under
    <plan output>/<trial id>. --batch-array-fail I fails child I (exit 1);
    --batch-array-reclaim I spot-reclaims child I's first attempt. POST
    /__fake/batch/external {"on": true}: arrays submitted from then on have no emulated
    failure or reclaim and their children write nothing (a test runs the real mlbox-trainer
    as each child's container instead, holding them RUNNING meanwhile)."""
    NAME = "batch"
    MODEL = "batch-2016-08-10.service-2.json"
    VALIDATION_ERROR = "ClientException"

    def __init__(self, fake, model):
        super().__init__(fake, model)
        self.definitions = {}  # name -> [definition, ...] (revision = index + 1)
        self.jobs = {}
        self.spot_reclaim = self.args.batch_spot_reclaim
        self.hold = False
        self.external = False
        self.seq = 0

    def arn(self, kind, rest):
        return f"arn:aws:batch:{self.args.region}:{self.args.account}:{kind}/{rest}"

    def op_RegisterJobDefinition(self, d):
        name = d["jobDefinitionName"]
        if d["type"] == "container" and "containerProperties" not in d:
            raise AwsFault("ClientException", "containerProperties is required for type container")
        if d["type"] == "multinode" and "nodeProperties" not in d:
            raise AwsFault("ClientException", "nodeProperties is required for type multinode")
        revs = self.definitions.setdefault(name, [])
        rev = len(revs) + 1
        stored = dict(d)
        if "containerProperties" in stored:
            # AWS answers with defaults the request did not carry.
            stored["containerProperties"] = dict(
                {"volumes": [], "mountPoints": [], "ulimits": [], "secrets": []},
                **stored["containerProperties"])
        stored.update({"jobDefinitionArn": self.arn("job-definition", f"{name}:{rev}"),
                       "revision": rev, "status": "ACTIVE",
                       "containerOrchestrationType": "ECS"})
        revs.append(stored)
        return {"jobDefinitionName": name, "jobDefinitionArn": stored["jobDefinitionArn"],
                "revision": rev}

    def op_DescribeJobDefinitions(self, d):
        out = []
        for name, revs in self.definitions.items():
            if d.get("jobDefinitionName") not in (None, name):
                continue
            for r in revs:
                if d.get("status") not in (None, r["status"]):
                    continue
                out.append(r)
        return {"jobDefinitions": out}

    def find_definition(self, ref):
        name, _, rev = ref.split("/")[-1].partition(":")
        revs = self.definitions.get(name)
        if not revs:
            raise AwsFault("ClientException", f"Job definition {ref} does not exist")
        r = revs[int(rev) - 1] if rev else [x for x in revs if x["status"] == "ACTIVE"][-1]
        if r["status"] != "ACTIVE":
            raise AwsFault("ClientException", f"Job definition {ref} is not ACTIVE")
        return r

    def op_SubmitJob(self, d):
        if d["jobQueue"] not in self.args.batch_queue:
            raise AwsFault("ClientException", f"JobQueue {d['jobQueue']} not found")
        definition = self.find_definition(d["jobDefinition"])
        rs = d.get("retryStrategy", definition.get("retryStrategy", {}))
        size = d.get("arrayProperties", {}).get("size")
        if size is not None and not 2 <= size <= 10000:
            raise AwsFault("ClientException", "arrayProperties.size must be between 2 and 10000")
        if size is not None and definition.get("type") == "multinode":
            raise AwsFault("ClientException", "array jobs cannot be multi-node")
        self.seq += 1
        job_id = f"{self.seq:08d}-0000-4000-8000-{self.seq:012d}"
        now = int(time.time() * 1000)
        container = definition.get("containerProperties") or \
            definition["nodeProperties"]["nodeRangeProperties"][0]["container"]
        job = self.new_job(job_id, d, definition, container, rs, now)
        self.jobs[job_id] = job
        if size is not None:
            job["status"] = "PENDING"
            job["arrayProperties"] = {"size": size, "statusSummary": {}}
            job["_children"] = []
            for i in range(size):
                child = self.new_job(f"{job_id}:{i}", d, definition, container, rs, now)
                child["arrayProperties"] = {"index": i}
                child["_index"] = i
                child["_reclaim"] = i in self.args.batch_array_reclaim and not self.external
                child["_fail"] = i in self.args.batch_array_fail and not self.external
                self.jobs[child["jobId"]] = child
                job["_children"].append(child["jobId"])
        return {"jobArn": self.arn("job", job_id), "jobName": d["jobName"], "jobId": job_id}

    def new_job(self, job_id, d, definition, container, rs, now):
        return {
            "jobArn": self.arn("job", job_id), "jobName": d["jobName"], "jobId": job_id,
            "jobQueue": self.arn("job-queue", d["jobQueue"]), "status": "SUBMITTED",
            "attempts": [], "createdAt": now, "retryStrategy": rs,
            "jobDefinition": definition["jobDefinitionArn"], "dependsOn": [],
            "container": {"image": container["image"],
                          "command": container.get("command", []),
                          "environment": self.job_environment(container, d),
                          "resourceRequirements": container.get("resourceRequirements", [])},
            "timeout": d.get("timeout", {}), "tags": d.get("tags", {}),
            "platformCapabilities": definition.get("platformCapabilities", []),
            "_steps": 0, "_reclaim": self.spot_reclaim,
        }

    @staticmethod
    def job_environment(container, submit):
        """The definition's environment with SubmitJob's overrides on top (as Batch does)."""
        env = {e["name"]: e["value"] for e in container.get("environment", [])}
        overrides = submit.get("containerOverrides", {})
        for o in submit.get("nodeOverrides", {}).get("nodePropertyOverrides", []):
            overrides = o.get("containerOverrides", overrides)
        for e in overrides.get("environment", []):
            env[e["name"]] = e["value"]
        return [{"name": k, "value": v} for k, v in env.items()]

    def logs(self):
        return self.fake.plugins.get("logs")

    def stream_for(self, job):
        n = len(job["attempts"]) + 1
        child = f"i{job['_index']}" if "_index" in job else ""
        return f"mlbox/default/{job['jobId'][:8]}{child}attempt{n}"

    def write_logs(self, job, lines):
        logs = self.logs()
        if logs:
            logs.append("/aws/batch/job", job["container"]["logStreamName"], lines)

    def retry_allowed(self, job, reason):
        rs = job["retryStrategy"]
        if len(job["attempts"]) >= rs.get("attempts", 1):
            return False
        import fnmatch
        for rule in rs.get("evaluateOnExit", []):
            if "onStatusReason" in rule and fnmatch.fnmatchcase(reason, rule["onStatusReason"]):
                return rule["action"].upper() == "RETRY"
            if "onReason" in rule and fnmatch.fnmatchcase("", rule["onReason"]):
                return rule["action"].upper() == "RETRY"
        return True

    def advance_parent(self, job):
        children = [self.jobs[c] for c in job["_children"]]
        summary = {}
        for c in children:
            summary[c["status"]] = summary.get(c["status"], 0) + 1
        job["arrayProperties"]["statusSummary"] = summary
        if all(c["status"] in ("SUCCEEDED", "FAILED") for c in children):
            if job["status"] not in ("SUCCEEDED", "FAILED"):
                job["status"] = "SUCCEEDED" if summary.get("FAILED", 0) == 0 else "FAILED"
                job["stoppedAt"] = int(time.time() * 1000)
        elif any(c["status"] == "RUNNING" for c in children):
            job["status"] = "RUNNING"

    def advance(self, job):
        if "_children" in job:
            return self.advance_parent(job)
        now = int(time.time() * 1000)
        st = job["status"]
        if st in ("SUCCEEDED", "FAILED"):
            return
        if st == "SUBMITTED":
            job["status"] = "RUNNABLE"
        elif st == "RUNNABLE":
            job["status"] = "STARTING"
            job["container"]["logStreamName"] = self.stream_for(job)
        elif st == "STARTING":
            job["status"] = "RUNNING"
            job["startedAt"] = now
            n = len(job["attempts"]) + 1
            self.write_logs(job, [f"mlbox-trainer: attempt {n} starting",
                                  f"epoch 1/2 loss=0.{n}1", f"epoch 2/2 loss=0.{n}0"])
        elif st == "RUNNING":
            if self.hold and not (job["_reclaim"] and not job["attempts"]):
                return  # held: the attempt that would succeed keeps running
            attempt = {"container": {"logStreamName": job["container"]["logStreamName"],
                                     "taskArn": self.arn("task", job["jobId"][:8])},
                       "startedAt": job["startedAt"], "stoppedAt": now}
            if job["_reclaim"] and not job["attempts"]:
                reason = "Host EC2 (instance i-0abc1234def567890) terminated."
                attempt["statusReason"] = reason
                attempt["container"]["reason"] = "Task stopped: spot interruption"
                self.write_logs(job, ["mlbox-trainer: SIGTERM received, checkpoint saved"])
                job["attempts"].append(attempt)
                job["status"] = "RUNNABLE" if self.retry_allowed(job, reason) else "FAILED"
                job["statusReason"] = reason
                if job["status"] == "FAILED":
                    job["stoppedAt"] = now
                return
            if job.get("_fail"):
                attempt["container"]["exitCode"] = 1
                attempt["statusReason"] = "Essential container in task exited"
                self.write_logs(job, ["Traceback (most recent call last):",
                                      "RuntimeError: CUDA error: an illegal memory access"])
                job["attempts"].append(attempt)
                job["status"] = "FAILED"
                job["statusReason"] = "Essential container in task exited"
                job["stoppedAt"] = now
                job["container"]["exitCode"] = 1
                return
            attempt["container"]["exitCode"] = 0
            attempt["statusReason"] = "Essential container in task exited"
            self.write_logs(job, ["mlbox-trainer: training finished, model saved"])
            job["attempts"].append(attempt)
            job["status"] = "SUCCEEDED"
            job["statusReason"] = "Essential container in task exited"
            job["stoppedAt"] = now
            job["container"]["exitCode"] = 0
            self.put_outputs(job)

    def put_trial_outputs(self, job, env):
        """An array child in a sweep does what mlbox-trainer does with the plan."""
        plan_uri = env["MLBOX_SWEEP_PLAN"]
        bucket, _, key = plan_uri[5:].partition("/")
        raw = s3_get(self.args, bucket, key)
        if raw is None:
            raise AwsFault("ClientException", f"the sweep plan {plan_uri} is not in S3", 500)
        plan = json.loads(raw)
        trial = plan["trials"][job["_index"]]
        out = plan["output"] + "/" + trial["id"]
        obucket, _, prefix = out[5:].partition("/")
        value = trial_score(trial["values"])
        metric = plan["metric"]
        s3_put(self.args, obucket, prefix + "/model/model.pt",
               f"fake torchscript model {job['jobId']} {trial['id']}".encode())
        history = {"epoch": [0, 1], "history": {"loss": [1.0 - value / 2, 1.0 - value],
                                                metric: [round(value * 0.8, 6), value]},
                   "params": trial["values"]}
        s3_put(self.args, obucket, prefix + "/history.json", json.dumps(history).encode())
        lines = [{"epoch": 0, "loss": 1.0 - value / 2, metric: round(value * 0.8, 6)},
                 {"epoch": 1, "loss": 1.0 - value, metric: value}]
        s3_put(self.args, obucket, prefix + "/metrics.jsonl",
               "".join(json.dumps(x) + "\n" for x in lines).encode())

    def put_outputs(self, job):
        env = {e["name"]: e["value"] for e in job["container"]["environment"]}
        if "_index" in job and self.external:
            return  # the test ran the child's container itself
        if self.args.s3_endpoint and "_index" in job and env.get("MLBOX_SWEEP_PLAN"):
            return self.put_trial_outputs(job, env)
        model_dir = env.get("MLBOX_MODEL_DIR", "")
        if not (self.args.s3_endpoint and model_dir.startswith("s3://")):
            return
        bucket, _, prefix = model_dir[5:].partition("/")
        base = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        s3_put(self.args, bucket, prefix + "/model.pt", b"fake torchscript model " + job["jobId"].encode())
        history = {"job": job["jobId"], "attempts": len(job["attempts"]),
                   "epochs": [{"epoch": 1, "loss": 0.21}, {"epoch": 2, "loss": 0.20}]}
        s3_put(self.args, bucket, (base + "/" if base else "") + "history.json",
               json.dumps(history).encode())
        s3_put(self.args, bucket, (base + "/" if base else "") + "checkpoints/ckpt-2.pt", b"ckpt")

    def public(self, job):
        return {k: v for k, v in job.items() if not k.startswith("_")}

    def op_DescribeJobs(self, d):
        if len(d["jobs"]) > 100:  # the API reference: "A list of up to 100 job IDs."
            raise AwsFault("ClientException", "jobs: at most 100 job IDs per DescribeJobs")
        out = []
        for jid in d["jobs"]:
            job = self.jobs.get(jid)
            if job is None:
                continue
            self.advance(job)
            out.append(self.public(job))
        return {"jobs": out}

    def op_CancelJob(self, d):
        job = self.jobs.get(d["jobId"])
        if job is None:
            raise AwsFault("ClientException", f"Job {d['jobId']} not found")
        if job["status"] in ("SUBMITTED", "PENDING", "RUNNABLE"):
            job.update(status="FAILED", statusReason=d["reason"], isCancelled=True,
                       stoppedAt=int(time.time() * 1000))
        return {}

    def op_TerminateJob(self, d):
        job = self.jobs.get(d["jobId"])
        if job is None:
            raise AwsFault("ClientException", f"Job {d['jobId']} not found")
        if job["status"] not in ("SUCCEEDED", "FAILED"):
            if job["status"] == "RUNNING":
                job["attempts"].append({"container": {"logStreamName": job["container"]["logStreamName"],
                                                      "exitCode": 143},
                                        "startedAt": job["startedAt"],
                                        "stoppedAt": int(time.time() * 1000),
                                        "statusReason": d["reason"]})
            job.update(status="FAILED", statusReason=d["reason"], isTerminated=True,
                       stoppedAt=int(time.time() * 1000))
        return {}

    def state(self):
        return {"calls": self.calls, "jobs": {k: self.public(v) for k, v in self.jobs.items()},
                "definitions": {k: len(v) for k, v in self.definitions.items()}}

    def control(self, cmd, args):
        if cmd == "spot_reclaim":
            self.spot_reclaim = bool(args.get("on", True))
            return {"spot_reclaim": self.spot_reclaim}
        if cmd == "hold":
            self.hold = bool(args.get("on", True))
            return {"hold": self.hold}
        if cmd == "external":
            self.external = bool(args.get("on", True))
            return {"external": self.external}
        return super().control(cmd, args)


class Logs(Plugin):
    NAME = "logs"
    MODEL = "logs-2014-03-28.service-2.json"
    VALIDATION_ERROR = "InvalidParameterException"

    def __init__(self, fake, model):
        super().__init__(fake, model)
        self.streams = {}  # (group, stream) -> [events]

    def append(self, group, stream, lines):
        events = self.streams.setdefault((group, stream), [])
        now = int(time.time() * 1000)
        for line in lines:
            events.append({"timestamp": now, "message": line, "ingestionTime": now})

    def op_GetLogEvents(self, d):
        group = d.get("logGroupName")
        if group is None:
            raise AwsFault("InvalidParameterException", "logGroupName or logGroupIdentifier is required")
        key = (group, d["logStreamName"])
        if key not in self.streams:
            raise AwsFault("ResourceNotFoundException", "The specified log stream does not exist.")
        if not d.get("startFromHead", False) and "nextToken" not in d:
            raise AwsFault("InvalidParameterException",
                           "the fake serves forward reads only: set startFromHead")
        events = self.streams[key]
        token = d.get("nextToken", "f/0")
        if not token.startswith("f/"):
            raise AwsFault("InvalidParameterException", f"The specified nextToken is invalid: {token}")
        start = int(token[2:])
        page = events[start:start + min(d.get("limit", 10000), self.args.logs_page_size)]
        end = start + len(page)
        return {"events": page, "nextForwardToken": f"f/{end}", "nextBackwardToken": f"b/{start}"}

    def state(self):
        return {"calls": self.calls, "streams": {f"{g}:{s}": len(e) for (g, s), e in self.streams.items()}}


PLUGINS = {"ecr": Ecr, "batch": Batch, "logs": Logs}
