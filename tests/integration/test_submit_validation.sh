#!/usr/bin/env bash
# mlbox submit: bad input is refused before anything is pushed or sent (exit 3 with what to
# do, no job record), --target ai-platform says once that it means Vertex AI, and the
# local target runs the job on this machine.
source "$MLBOX_SOURCE_DIR/tests/integration/lib.sh"

proj="$WORK/proj"
mkdir -p "$proj"
cat >"$proj/mlbox.yaml" <<'YAML'
name: digits
python: {version: "3.11"}
train:
  command: python train.py
image:
  repository: 123456789012.dkr.ecr.us-east-1.amazonaws.com/digits
targets:
  batch:
    region: us-east-1
    job_queue: gpu-queue
    output: s3://bucket/runs
  vertex:
    project: my-proj
    region: us-central1
    output: gs://bucket/runs
YAML
echo 'print("hi")' >"$proj/train.py"
cd "$proj"

# Unknown region, with a did-you-mean.
expect_rc 3 timeout 20 "$MLBOX" submit --target batch --region us-east-9
grep -q "region 'us-east-9' from region (--region) is not an AWS region" "$WORK/stderr" ||
  fail "region error: $(cat "$WORK/stderr")"
grep -q "did you mean 'us-east-1'" "$WORK/stderr" || fail "no did-you-mean"
pass "unknown region -> exit 3"

# Machine without the requested GPU.
expect_rc 3 timeout 20 "$MLBOX" submit --target batch --machine g4dn.xlarge --gpu A100:1
grep -q "g4dn.xlarge" "$WORK/stderr" || fail "machine error: $(cat "$WORK/stderr")"
pass "machine without the GPU -> exit 3"

# A GCP machine on an AWS target.
expect_rc 3 timeout 20 "$MLBOX" submit --target batch --machine n1-standard-8
grep -q "is a GCP machine, not AWS" "$WORK/stderr" || fail "cloud mismatch: $(cat "$WORK/stderr")"
pass "machine of the other cloud -> exit 3"

# Output of the wrong scheme names where it came from.
expect_rc 3 timeout 20 "$MLBOX" submit --target vertex --output s3://x/y
grep -q "output 's3://x/y' from output (--output) is not a gs:// URI" "$WORK/stderr" ||
  fail "output error: $(cat "$WORK/stderr")"
pass "wrong output scheme -> exit 3"

# ai-platform is Vertex AI, said once; the region check still applies.
expect_rc 3 timeout 20 "$MLBOX" submit --target ai-platform --region mars-1
[ "$(grep -c 'AI Platform Training (ml.googleapis.com) was shut down on 2025-01-31' "$WORK/stderr")" = 1 ] ||
  fail "ai-platform notice: $(cat "$WORK/stderr")"
grep -q "region 'mars-1'" "$WORK/stderr" || fail "vertex region check: $(cat "$WORK/stderr")"
pass "ai-platform -> Vertex AI notice"

# Every missing setting in one run (was: one per run, four tries): a fresh project with only
# a Vertex target named.
mkdir -p "$WORK/bare" && cd "$WORK/bare"
printf 'name: bare\npython: {version: "3.11"}\ntrain:\n  command: python train.py\n' >mlbox.yaml
echo 'print("hi")' >train.py
expect_rc 3 timeout 20 env CLOUDSDK_CONFIG="$WORK/no-gcloud" NO_GCE_CHECK=true "$MLBOX" submit --target vertex --region us-central1 --gpu T4:1
for want in "4 problems" "image.repository is unset" "no output location for vertex" "no Google Cloud project" \
  "no Google Application Default Credentials"; do
  grep -q "$want" "$WORK/stderr" || fail "missing '$want' in: $(cat "$WORK/stderr")"
done
cd "$proj"
pass "every missing setting reported in one run"

# No record was written by any of the refused submits.
timeout 20 "$MLBOX" jobs --json >"$WORK/jobs.json"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j == [], j' "$WORK/jobs.json" ||
  fail "refused submits left records: $(cat "$WORK/jobs.json")"
pass "no half-written job records"

# --dry-run on the local target is a usage error.
expect_rc 2 timeout 20 "$MLBOX" submit --target local --dry-run
pass "local --dry-run -> exit 2"
