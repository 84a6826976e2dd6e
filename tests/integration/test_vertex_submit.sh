#!/usr/bin/env bash
# mlbox submit/status/logs/fetch/cancel --target vertex end to end: the image is pushed to a
# real docker-registry, the CustomJob goes to tests/fakes/vertex_fake.py (parsed strictly
# with the aiplatform v1 protos; Bearer tokens must come from tests/fakes/gcp_oauth_fake.py,
# here through its metadata-server path), logs come from its Cloud Logging fake (a spot
# restart on attempt 1) and outputs from its GCS fake.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
source "$(dirname "$0")/gcp_lib.sh"

start_gcp_fakes --preempt-spot
use_gcp_fakes

start_registry reg
PROJ=$WORK/proj
make_image "$PROJ" v1 "300K,20K" 5 >/dev/null  # a synthetic image: submitted with --no-build
write_vertex_manifest "$PROJ" "127.0.0.1:$REG_PORT/mlbox-test/digits"
echo 'print("hi")' >"$PROJ/train.py"
cd "$PROJ"

# Refused before anything moves: a registry on this machine (Vertex could not pull from it)
# and a GPU count Vertex does not attach.
expect_rc 3 "$MLBOX" submit --target vertex --machine n1-standard-8 --gpu T4:1 --tag v1 --no-build
grep -q "Vertex AI cannot pull from it" "$WORK/stderr" || { cat "$WORK/stderr"; fail "loopback registry accepted"; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$REG_PORT/v2/mlbox-test/digits/tags/list")" = 404 ] ||
  fail "a refused submit pushed the image"
export MLBOX_ALLOW_LOCAL_REGISTRY=1  # from here on the test's registry stands in for Artifact Registry
expect_rc 3 "$MLBOX" submit --target vertex --gpu T4:3 --tag v1 --no-build
grep -q "Vertex AI attaches T4 GPUs in counts of 1, 2, 4 only" "$WORK/stderr" || { cat "$WORK/stderr"; fail "T4:3 accepted"; }
pass "refused before the push: a loopback registry, T4 x3"

expect_rc 0 "$MLBOX" --json submit --target vertex --machine n1-standard-8 --gpu T4:1 --spot \
  --max-runtime 1h --tag v1 --no-build
JOB=$(json "$WORK/stdout" 'd.get("id") or d.get("job_id") or d["job"]["id"]')
body() { tail -n 1 "$WORK/requests.jsonl" | $PY -c "import json,sys; d=json.load(sys.stdin)['body']; print($1)"; }
[ "$(body 'd["jobSpec"]["workerPoolSpecs"][0]["machineSpec"]["acceleratorType"]')" = NVIDIA_TESLA_T4 ] || fail "accelerator"
[ "$(body 'd["jobSpec"]["scheduling"]["strategy"]')" = SPOT ] || fail "spot"
[ "$(body 'd["jobSpec"]["scheduling"]["timeout"]')" = 3600s ] || fail "timeout"
body 'd["jobSpec"]["workerPoolSpecs"][0]["containerSpec"]["imageUri"]' | grep -q "^127.0.0.1:$REG_PORT/mlbox-test/digits@sha256:" ||
  fail "imageUri is not the pushed digest"
body 'd["jobSpec"]["baseOutputDirectory"]["outputUriPrefix"]' | grep -q "^gs://mlbox-out/runs" || fail "output"
pass "submit --target vertex: pushed, CustomJob accepted by the proto-strict fake (T4, SPOT, 3600s, digest)"

for _ in $(seq 10); do
  expect_rc 0 "$MLBOX" --json status "$JOB"
  grep -q SUCCEEDED "$WORK/stdout" && break
done
grep -q SUCCEEDED "$WORK/stdout" || { cat "$WORK/stdout"; fail "the job never succeeded"; }
expect_rc 0 "$MLBOX" logs "$JOB"
grep -q "attempt 1 starting" "$WORK/stdout" || { cat "$WORK/stdout"; fail "no attempt-1 logs"; }
grep -q "SIGTERM" "$WORK/stdout" || fail "the reclaim is not in the logs"
grep -q "attempt 2 starting" "$WORK/stdout" || fail "no attempt-2 logs"
grep -q "training finished" "$WORK/stdout" || fail "no final line"
pass "status polls to SUCCEEDED; logs show both attempts of the spot restart"

expect_rc 0 "$MLBOX" fetch "$JOB" -o "$WORK/out"
[ -s "$WORK/out/model/model.pt" ] || { ls -R "$WORK/out"; fail "model not fetched"; }
grep -q loss "$WORK/out/model/history.json" || fail "history.json not fetched"
pass "fetch copies model/ and history.json from the GCS fake"

expect_rc 0 "$MLBOX" --json submit --target vertex --machine n1-standard-8 --gpu T4:1 --tag v1 --no-build
JOB2=$(json "$WORK/stdout" 'd.get("id") or d.get("job_id") or d["job"]["id"]')
expect_rc 0 "$MLBOX" cancel "$JOB2"
grep -q ":cancel" "$WORK/requests.jsonl" || fail "no customJobs.cancel request"
pass "cancel sends customJobs.cancel"
