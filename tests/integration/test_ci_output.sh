#!/usr/bin/env bash
# CI-shaped output under GitHub Actions (GITHUB_ACTIONS=true): manifest errors become
# ::error annotations with file, line and column; build and push write image_digest to
# $GITHUB_OUTPUT; submit writes job_id and image_digest there and a Markdown summary to
# $GITHUB_STEP_SUMMARY; `submit --follow` exits with the job's outcome (0 on success).
# Outside GitHub Actions none of this appears.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
source "$(dirname "$0")/gcp_lib.sh"

export GITHUB_OUTPUT="$WORK/gh-output" GITHUB_STEP_SUMMARY="$WORK/gh-summary"
: >"$GITHUB_OUTPUT"
: >"$GITHUB_STEP_SUMMARY"

# --- manifest errors -> annotations ----------------------------------------------------------
mkdir -p "$WORK/bad"
printf 'name: x\npython: {version: "3.11"}\ntrian:\n  command: python train.py\nresources:\n  nodes: 0\n' \
  >"$WORK/bad/mlbox.yaml"
GITHUB_ACTIONS=true GITHUB_WORKSPACE="$WORK" expect_rc 3 "$MLBOX" -C "$WORK/bad" dockerfile
grep -qx "::error file=bad/mlbox.yaml,line=3,col=1::unknown key 'trian' at the top level.*hint: rename 'trian' to 'train'" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "no annotation for the unknown key"; }
grep -qx "::error file=bad/mlbox.yaml,line=6,col=10::resources.nodes is 0, expected an integer >= 1" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "no annotation for resources.nodes"; }
expect_rc 3 "$MLBOX" -C "$WORK/bad" dockerfile
grep -q "::error" "$WORK/stderr" && fail "annotations outside GitHub Actions"
pass "manifest errors: one ::error annotation per problem, with file (relative to the workspace), line and column"

# --- push -> image_digest --------------------------------------------------------------------
start_registry reg
PROJ=$WORK/proj
make_image "$PROJ" v1 "300K,20K" 5 >/dev/null
GITHUB_ACTIONS=true expect_rc 0 "$MLBOX" -C "$PROJ" --json push "127.0.0.1:$REG_PORT/ci/app:v1"
D=$(json "$WORK/stdout" 'd["digest"]')
grep -qx "image_digest=$D" "$GITHUB_OUTPUT" || { cat "$GITHUB_OUTPUT"; fail "no image_digest output"; }
grep -qx "image=127.0.0.1:$REG_PORT/ci/app:v1@$D" "$GITHUB_OUTPUT" || fail "no image output"
: >"$GITHUB_OUTPUT"
expect_rc 0 "$MLBOX" -C "$PROJ" --json push "127.0.0.1:$REG_PORT/ci/app:v1"
[ ! -s "$GITHUB_OUTPUT" ] || fail "outputs written outside GitHub Actions"
pass "push writes image_digest and image to \$GITHUB_OUTPUT (only under GitHub Actions)"

# --- submit --follow to Vertex (the fakes) -> job_id, summary, exit code -------------------
start_gcp_fakes
use_gcp_fakes
export MLBOX_ALLOW_LOCAL_REGISTRY=1
write_vertex_manifest "$PROJ" "127.0.0.1:$REG_PORT/mlbox-test/digits"
echo 'print("hi")' >"$PROJ/train.py"
GITHUB_ACTIONS=true expect_rc 0 "$MLBOX" -C "$PROJ" --json submit --no-build --target vertex \
  --machine n1-standard-8 --gpu T4:1 --tag v1 --follow
JOB=$(json "$WORK/stdout" 'd.get("id") or d["job"]["id"]')
grep -qx "job_id=$JOB" "$GITHUB_OUTPUT" || { cat "$GITHUB_OUTPUT"; fail "no job_id output"; }
grep -q "^image_digest=sha256:" "$GITHUB_OUTPUT" || fail "no image_digest output from submit"
for want in "### mlbox job \`$JOB\`" "| state | **SUCCEEDED** |" "| digest | \`sha256:" \
  "console.cloud.google.com"; do
  grep -qF "$want" "$GITHUB_STEP_SUMMARY" || { cat "$GITHUB_STEP_SUMMARY"; fail "summary lacks '$want'"; }
done
pass "submit --follow: exit 0 for SUCCEEDED, job_id + image_digest in \$GITHUB_OUTPUT, summary with state, digest and console link"

# --- submit --target local --follow: the job's outcome is the exit code ---------------------
mkdir -p "$WORK/local"
$PY - "$WORK/local-spec.json" <<'PY'
import json, sys
entries = [{"path": "bin", "type": "dir"}, {"path": "bin/busybox", "src": "/bin/busybox", "mode": "0755"},
           {"path": "bin/sh", "type": "symlink", "target": "busybox"}]
json.dump({"layers": [{"compression": "gzip", "entries": entries}],
           "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh", "-c", "exit 0"]}}, open(sys.argv[1], "w"))
PY
$PY "$MLBOX_SOURCE_DIR/tests/integration/local/oci_by_hand.py" "$WORK/local/.mlbox/oci" latest \
  "$WORK/local-spec.json" >/dev/null
: >"$GITHUB_OUTPUT"
: >"$GITHUB_STEP_SUMMARY"
(cd "$WORK/local" && GITHUB_ACTIONS=true expect_rc 7 "$MLBOX" submit --no-build --target local --follow -- /bin/sh -c 'echo failing; exit 3')
grep -q "^job_id=local-" "$GITHUB_OUTPUT" || { cat "$GITHUB_OUTPUT"; fail "local job: no job_id output"; }
grep -qF "| state | **FAILED** |" "$GITHUB_STEP_SUMMARY" || { cat "$GITHUB_STEP_SUMMARY"; fail "local job: summary without FAILED"; }
grep -q "^::error::" "$WORK/stderr" || fail "a failed job is not annotated"
(cd "$WORK/local" && expect_rc 0 "$MLBOX" submit --no-build --target local --follow -- /bin/sh -c 'exit 0')
pass "submit --target local --follow: exit 7 when the job fails (annotated, FAILED in the summary), 0 when it succeeds"

# --- the ready pipelines in examples/ci parse, and their credential steps match mlbox ----
$PY - "$MLBOX_SOURCE_DIR/examples/ci" <<'PY' || fail "examples/ci pipelines are malformed"
import sys, yaml
d = sys.argv[1]
gh = yaml.safe_load(open(f"{d}/github-actions.yml"))
assert gh["permissions"]["id-token"] == "write", "GitHub needs id-token: write for OIDC"
steps = gh["jobs"]["train"]["steps"]
names = [s.get("name", "") for s in steps]
for want in ("Freeze check", "Build", "Push", "Submit (AWS Batch)", "Submit (Vertex AI)"):
    assert want in names, want
runs = "\n".join(s.get("run", "") for s in steps)
for want in ("AWS_WEB_IDENTITY_TOKEN_FILE", "external_account", "--follow", "mlbox freeze"):
    assert want in runs, want
gl = yaml.safe_load(open(f"{d}/gitlab-ci.yml"))
assert gl[".aws"]["id_tokens"]["AWS_OIDC_TOKEN"]["aud"] == "sts.amazonaws.com"
assert "GCP_OIDC_TOKEN" in gl[".gcp"]["id_tokens"]
for job in ("freeze-check", "train-aws", "train-gcp"):
    assert job in gl, job
PY
pass "examples/ci: both pipelines parse, ask for OIDC tokens and run freeze check, build, push, submit --follow"
