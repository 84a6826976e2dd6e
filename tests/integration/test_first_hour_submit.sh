#!/usr/bin/env bash
# The first hour, continued (issue 14): what `mlbox submit` sends and when it refuses, through
# the CLI as a user types it. Trap 1: submit builds what the working tree holds (a code change
# rebuilds the code layer only) and never sends a stale digest, --dry-run included; a stale
# lock is refused with 'mlbox freeze'. Trap 3: --region alone picks the cloud that sells it.
# Trap 4: missing credentials are found with the other problems, before a byte is pushed.
# Trap 7: the CLI papercuts. A real docker-registry stands in for Artifact Registry; the
# Vertex fake (proto-strict) and the OAuth fake's metadata server for Google.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
source "$(dirname "$0")/gcp_lib.sh"

start_gcp_fakes
METADATA=$GCP_METADATA
export CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM="$V/" STORAGE_EMULATOR_HOST="$V"
export CLOUDSDK_CONFIG="$WORK/gcloud" MLBOX_ALLOW_LOCAL_REGISTRY=1
unset GOOGLE_APPLICATION_CREDENTIALS GCE_METADATA_HOST AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_PROFILE
start_registry reg
catalog() { curl -s "http://127.0.0.1:$REG_PORT/v2/_catalog" | python3 -c 'import json,sys; print(json.load(sys.stdin)["repositories"])'; }

cd "$WORK"
umoci init --layout base >/dev/null
umoci new --image base:v1 >/dev/null
# A base with `python` (a stand-in that is never run): the build checks that the image's
# command can start.
umoci unpack --rootless --image base:v1 bb >/dev/null
mkdir -p bb/rootfs/usr/bin && cp "$(type -P true)" bb/rootfs/usr/bin/python
umoci repack --image base:v1 bb >/dev/null && rm -rf bb
PROJ=$WORK/proj
mkdir -p "$PROJ" && cd "$PROJ"
cat >mlbox.yaml <<YAML
name: first
train:
  command: python train.py
image:
  base: oci:$WORK/base:v1
  repository: 127.0.0.1:$REG_PORT/first/app
targets:
  vertex:
    project: mlbox-test
    region: us-central1
    output: gs://mlbox-out/runs
YAML
echo 'print("v1")' >train.py
TRAINER=(--trainer "$(type -P true)")
VERTEX=("$MLBOX" submit --target vertex --machine n1-standard-4 "${TRAINER[@]}")
store_digest() { tagged_digest "$PROJ/.mlbox/oci" latest; }
sent_digest() { tail -n 1 "$WORK/requests.jsonl" | $PY -c 'import json,sys; print(json.load(sys.stdin)["body"]["jobSpec"]["workerPoolSpecs"][0]["containerSpec"]["imageUri"].split("@")[1])'; }

# --- trap 4: credentials are checked before anything moves -----------------------------------
# No Google credentials anywhere (no key file, no gcloud, no metadata server): exit 4, and
# nothing was built or pushed. (Was: the image built and pushed, then the job failed.)
expect_rc 4 env NO_GCE_CHECK=true "${VERTEX[@]}"
grep -q "no Google Application Default Credentials" "$WORK/stderr" || { cat "$WORK/stderr"; fail "ADC not named"; }
grep -q "gcloud auth application-default login" "$WORK/stderr" || fail "the fix is not named"
[ "$(catalog)" = "[]" ] || fail "a refused submit pushed: $(catalog)"
[ ! -e .mlbox/oci/index.json ] || [ -z "$(store_digest 2>/dev/null)" ] || fail "a refused submit built an image"
# Every problem together: a bad output, and the credentials of both clouds it touches.
expect_rc 3 env NO_GCE_CHECK=true "${VERTEX[@]}" --output s3://x/y
for want in "3 problems" "is not a gs:// URI" "no AWS credentials" "no Google Application Default Credentials"; do
  grep -q "$want" "$WORK/stderr" || { cat "$WORK/stderr"; fail "missing '$want'"; }
done
[ "$(catalog)" = "[]" ] || fail "a refused submit pushed: $(catalog)"
pass "trap 4: no credentials -> exit 4 before the build and push; all problems in one error"

export GCE_METADATA_HOST=$METADATA  # from here on the metadata server answers

# --- trap 1: submit sends what the working tree holds -----------------------------------------
expect_rc 0 "${VERTEX[@]}"
D1=$(store_digest)
D1_JOB=$(tail -n 1 "$WORK/stdout")
[ "$(sent_digest)" = "$D1" ] || fail "the job does not run the image just built ($(sent_digest) vs $D1)"
[ "$(catalog)" = "['first/app']" ] || fail "not pushed: $(catalog)"
echo 'print("v2")' >train.py
expect_rc 0 "${VERTEX[@]}"
D2=$(store_digest)
[ "$D2" != "$D1" ] || fail "a code change did not change the image"
[ "$(sent_digest)" = "$D2" ] || fail "stale code went to the cloud: sent $(sent_digest), tree is $D2"
grep -q "from the working tree (1 of .* layers rebuilt)" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "a code change rebuilt more than the code layer"; }
pass "trap 1: submit builds and pushes the tree; a code change rebuilds one layer"

# --dry-run builds too: the digest it shows is the tree's, not the store's last one.
echo 'print("v3")' >train.py
expect_rc 0 "${VERTEX[@]}" --dry-run
D3=$(store_digest)
[ "$D3" != "$D2" ] || fail "--dry-run did not build the changed tree"
[ "$(json "$WORK/stdout" 'd["spec"]["image_digest"]')" = "$D3" ] || fail "--dry-run shows a stale digest"
# --no-build sends the store's image as it is; --image an exact pushed one.
echo 'print("v4")' >train.py
expect_rc 0 "${VERTEX[@]}" --dry-run --no-build
[ "$(json "$WORK/stdout" 'd["spec"]["image_digest"]')" = "$D3" ] && [ "$(store_digest)" = "$D3" ] ||
  fail "--no-build built"
expect_rc 0 "${VERTEX[@]}" --image "$D1"
[ "$(sent_digest)" = "$D1" ] && [ "$(store_digest)" = "$D3" ] || fail "--image DIGEST was not sent as is"
# Its record names the image's base (and lock, when it has one) as the record of the job that
# pushed D1 does: read from the registry's copy of the image's labels.
IMG_JOB=$(tail -n 1 "$WORK/stdout")
"$MLBOX" --json status "$IMG_JOB" >"$WORK/img-job.json"
"$MLBOX" --json status "$D1_JOB" >"$WORK/d1-job.json"
python3 - "$WORK/img-job.json" "$WORK/d1-job.json" <<'PY' || fail "--image: the record lacks the image's lock/base: $(cat "$WORK/img-job.json")"
import json, sys
img, pushed = (json.load(open(p))["details"] for p in sys.argv[1:3])
assert pushed.get("base_image"), pushed
for k in ("base_image", "lock_digest"):
    assert img.get(k) == pushed.get(k), (k, img.get(k), pushed.get(k))
PY
# --image REPO:TAG runs the digest the tag names now (the last push: D2), with no build.
expect_rc 0 "${VERTEX[@]}" --image "127.0.0.1:$REG_PORT/first/app:latest"
[ "$(sent_digest)" = "$D2" ] && [ "$(store_digest)" = "$D3" ] || fail "--image REPO:TAG sent $(sent_digest), not $D2"
grep -q -- "--image 127.0.0.1:$REG_PORT/first/app:latest is $D2" "$WORK/stderr" || { cat "$WORK/stderr"; fail "the tag's digest not shown"; }
set +e; "${VERTEX[@]}" --image "127.0.0.1:$REG_PORT/first/app:nope" >/dev/null 2>"$WORK/stderr"; rc=$?; set -e
[ "$rc" -ne 0 ] && grep -q "nope" "$WORK/stderr" || { cat "$WORK/stderr"; fail "an unknown tag was sent (rc $rc)"; }
pass "trap 1: --dry-run builds; --no-build, --image DIGEST and --image REPO:TAG send what they name"

# The local target runs what the tree holds too (busybox base: the job really runs).
if [ -x /bin/busybox ] && [ -n "${MLBOX_TRAINER:-}" ] && [ -x "${MLBOX_TRAINER:-}" ]; then
  (cd "$WORK" && umoci init --layout bbase >/dev/null && umoci new --image bbase:v1 >/dev/null &&
    umoci unpack --rootless --image bbase:v1 bb >/dev/null && mkdir -p bb/rootfs/bin &&
    cp /bin/busybox bb/rootfs/bin/busybox && ln -s busybox bb/rootfs/bin/sh &&
    umoci repack --image bbase:v1 bb >/dev/null && rm -rf bb)
  mkdir -p "$WORK/localjob" && cd "$WORK/localjob"
  printf 'name: loc\ntrain:\n  command: ["/bin/sh", "run.sh"]\nimage:\n  base: oci:%s/bbase:v1\n' "$WORK" >mlbox.yaml
  echo 'echo hello-v1' >run.sh
  expect_rc 0 timeout 120 "$MLBOX" submit --follow
  grep -q hello-v1 "$WORK/stdout" || { cat "$WORK/stdout" "$WORK/stderr"; fail "local submit did not run the tree"; }
  echo 'echo hello-v2' >run.sh
  expect_rc 0 timeout 120 "$MLBOX" submit --follow
  grep -q hello-v2 "$WORK/stdout" || { cat "$WORK/stdout"; fail "local submit ran stale code"; }
  echo 'echo hello-v3' >run.sh
  expect_rc 0 timeout 120 "$MLBOX" submit --follow --no-build
  grep -q hello-v2 "$WORK/stdout" || { cat "$WORK/stdout"; fail "local submit --no-build rebuilt"; }
  cd "$PROJ"
  pass "trap 1: a local submit runs the tree (--no-build: the store's image)"
else
  echo "skip - local submit: no busybox or no built mlbox-trainer"
fi

# A lock frozen from other requirements than the tree's is refused, naming the command.
python3 "$MLBOX_SOURCE_DIR/tests/fixtures/make_wheels.py" "$WORK/wheelhouse" 'alpha==1.0' >/dev/null
mkdir -p "$WORK/locked" && cd "$WORK/locked"
sed 's/^train:/python:\n  version: "3.11"\n  requirements: requirements.txt\ntrain:/' "$PROJ/mlbox.yaml" >mlbox.yaml
echo alpha >requirements.txt
echo 'import alpha' >train.py
expect_rc 0 "$MLBOX" freeze --no-index --find-links "$WORK/wheelhouse"
grep -q "(1 package, sha256:" "$WORK/stdout" || { cat "$WORK/stdout"; fail "'1 package' (trap 7 plurals)"; }
printf 'alpha\nbeta\n' >requirements.txt
expect_rc 3 "${VERTEX[@]}" --dry-run
grep -q "mlbox.lock is stale" "$WORK/stderr" && grep -q "run 'mlbox freeze'" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "a stale lock was not refused"; }
cd "$PROJ"
pass "trap 1: a stale lock is refused with 'mlbox freeze'"

# --- trap 3: --region alone picks the cloud that sells it ----------------------------------
# mlbox.yaml names batch first (its default target); us-central1 is Google's, so Vertex.
mkdir -p "$WORK/both" && cd "$WORK/both"
sed 's/^targets:$/targets:\n  batch: {region: us-east-1, job_queue: q, output: "s3:\/\/b\/runs"}/' "$PROJ/mlbox.yaml" >mlbox.yaml
expect_rc 0 "$MLBOX" submit --region us-central1 --machine n1-standard-4 --dry-run --image "$D1"
[ "$(json "$WORK/stdout" 'd["backend"]')" = vertex ] || { cat "$WORK/stdout"; fail "us-central1 did not pick Vertex"; }
# --- trap 8: every region the cloud sells the GPU in -----------------------------------------
expect_rc 0 "$MLBOX" submit --target batch --region eu-west-1 --gpu T4:1 --dry-run --image "$D1"
[ "$(json "$WORK/stdout" 'd["spec"]["machine"]')" = g4dn.xlarge ] && [ "$(json "$WORK/stdout" 'd["spec"]["region"]')" = eu-west-1 ] ||
  { cat "$WORK/stdout" "$WORK/stderr"; fail "eu-west-1 refused for Batch"; }
expect_rc 3 "$MLBOX" submit --target batch --region eu-wset-1 --dry-run --image "$D1"
grep -q "did you mean 'eu-west-1'" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no did-you-mean for eu-wset-1"; }
expect_rc 3 "$MLBOX" submit --target vertex --region us-east4 --gpu V100:1 --dry-run --image "$D1"
grep -q "GPU V100 .* is not offered in us-east4" "$WORK/stderr" || { cat "$WORK/stderr"; fail "V100 in us-east4 accepted"; }
pass "trap 8: eu-west-1 for Batch; unknown regions exit 3 with did-you-mean; GPUs per region"
cd "$PROJ"
expect_rc 3 "$MLBOX" submit --region us-east-1 --dry-run --image "$D1"
grep -q "us-east-1 is an AWS region, so the job would go to AWS Batch, but mlbox.yaml has no targets.batch" "$WORK/stderr" &&
  grep -q "job_queue: QUEUE" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no 'add targets.batch'"; }
expect_rc 3 "$MLBOX" submit --region europe-wst4 --dry-run --image "$D1"
grep -q "did you mean 'europe-west4'" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no did-you-mean"; }
expect_rc 2 "$MLBOX" submit --target local --gpu T4:1 --spot
grep -q -- "--gpu, --spot are for cloud targets" "$WORK/stderr" || { cat "$WORK/stderr"; fail "local took cloud flags"; }
pass "trap 3: --region picks Vertex or Batch, or says what to add; local refuses cloud flags"

# --- trap 9: portable resources ------------------------------------------------------------
# resources: {gpu, cpus, memory} picks the cheapest machine that fits, on whichever cloud; the
# choice is shown with its price.
mkdir -p "$WORK/portable" && cd "$WORK/portable"
sed 's/^train:/resources: {gpu: "T4:1", memory: 20GB}\ntrain:/' "$WORK/both/mlbox.yaml" >mlbox.yaml
expect_rc 0 "$MLBOX" submit --target vertex --dry-run --image "$D1"
grep -q 'machine n1-standard-8 (T4 x1, 8 vCPU, 30 GiB) in us-central1: \$0.730/h on-demand, the cheapest with T4 x1, >= 20 GiB' "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "the Vertex machine choice and its price"; }
expect_rc 0 "$MLBOX" submit --target batch --dry-run --image "$D1"
[ "$(json "$WORK/stdout" 'd["spec"]["machine"]')" = g4dn.2xlarge ] && grep -q 'in us-east-1: \$0.752/h on-demand' "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "the Batch machine choice"; }
# CPU-only types are in the catalog.
expect_rc 0 "$MLBOX" submit --target batch --machine m5.large --gpu none --dry-run --image "$D1"
expect_rc 0 "$MLBOX" submit --target vertex --machine n2-standard-8 --gpu none --dry-run --image "$D1"
grep -q 'machine n2-standard-8 (8 vCPU, 32 GiB) in us-central1' "$WORK/stderr" || { cat "$WORK/stderr"; fail "n2-standard-8"; }
# resources.machine of the other cloud stands for what it holds ...
sed -i 's/^resources: .*/resources: {machine: g4dn.xlarge}/' mlbox.yaml
expect_rc 0 "$MLBOX" submit --target vertex --dry-run --image "$D1"
[ "$(json "$WORK/stdout" 'd["spec"]["machine"]')" = n1-standard-8 ] && [ "$(json "$WORK/stdout" 'd["spec"]["gpu_type"]')" = T4 ] ||
  { cat "$WORK/stdout"; fail "g4dn.xlarge on Vertex was not replaced by its equivalent"; }
grep -q "resources.machine g4dn.xlarge at mlbox.yaml:.* is an AWS type: its equivalent here" "$WORK/stderr" || { cat "$WORK/stderr"; fail "translation not said"; }
# ... but one pinned for the target is the user's word: an error naming targets.vertex.machine.
sed -i 's|^  vertex: {\(.*\)}$|  vertex: {\1, machine: g4dn.xlarge}|; s|^  vertex:$|  vertex:\n    machine: g4dn.xlarge|' mlbox.yaml
expect_rc 3 "$MLBOX" submit --target vertex --dry-run --image "$D1"
grep -q "machine g4dn.xlarge from targets.vertex.machine (mlbox.yaml:[0-9]*:[0-9]*) is an AWS machine, not GCP" "$WORK/stderr" &&
  grep -q "targets.vertex.machine pins the machine for vertex" "$WORK/stderr" || { cat "$WORK/stderr"; fail "pinned machine of the wrong cloud"; }
cd "$PROJ"
pass "trap 9: cheapest machine per cloud with its price; CPU types; resources.machine translated, a pinned one refused"

# --- trap 7: CLI papercuts ---------------------------------------------------------------
expect_rc 0 "${VERTEX[@]}" --dry-run --image "$D1" -e LR=0.1 -- python train.py --epochs 3
[ "$(json "$WORK/stdout" 'd["spec"]["command"]')" = "['python', 'train.py', '--epochs', '3']" ] &&
  [ "$(json "$WORK/stdout" 'd["spec"]["env"]["LR"]')" = 0.1 ] || { cat "$WORK/stdout"; fail "args after --"; }
expect_rc 0 "$MLBOX" help submit
cp "$WORK/stdout" "$WORK/help-submit"
expect_rc 0 "$MLBOX" submit --help
cmp -s "$WORK/stdout" "$WORK/help-submit" || fail "'mlbox help submit' differs from 'mlbox submit --help'"
expect_rc 2 "$MLBOX" sumbit
grep -q "did you mean 'mlbox submit'" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no did-you-mean for sumbit"; }
expect_rc 2 "$MLBOX"
grep -q "Subcommands:" "$WORK/stdout" && grep -q "submit" "$WORK/stdout" || fail "bare mlbox printed no help"
expect_rc 3 "$MLBOX" --json submit --target vertex --output s3://x/y --image "$D1"
python3 - "$WORK/stdout" <<'PY' || { cat "$WORK/stdout"; fail "--json error object"; }
import json, sys
d = json.loads(open(sys.argv[1]).read())  # exactly one JSON value
assert list(d) == ["error"] and d["error"]["kind"] == "config", d
assert "gs://" in d["error"]["message"] and d["error"]["hint"], d
PY
expect_rc 2 "$MLBOX" --json sumbit
[ "$(json "$WORK/stdout" 'd["error"]["kind"]')" = usage ] || fail "--json usage error"
expect_rc 2 "$MLBOX" --json
[ "$(json "$WORK/stdout" 'd["error"]["message"]')" = "no command given" ] || fail "bare mlbox --json"
expect_rc 0 "$MLBOX" -q build "${TRAINER[@]}"
[ "$(wc -l <"$WORK/stdout")" = 1 ] && grep -q "^built " "$WORK/stdout" || { cat "$WORK/stdout"; fail "-q build printed the layer table"; }
pass "trap 7: -- command, help CMD, did-you-mean, bare mlbox, --json errors, -q build"

echo PASS
