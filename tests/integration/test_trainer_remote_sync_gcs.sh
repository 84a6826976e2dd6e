#!/usr/bin/env bash
# mlbox-trainer with Cloud Storage destinations and no FUSE mount, as a Vertex job without
# /gcs: AIP_MODEL_DIR / AIP_CHECKPOINT_DIR are gs:// URIs, credentials come from the
# metadata server (tests/fakes/gcp_oauth_fake.py), Cloud Storage is the JSON API fake in
# tests/fakes/vertex_fake.py (Bearer tokens checked) via STORAGE_EMULATOR_HOST. Attempt 1
# writes a checkpoint and is preempted; attempt 2 finds it restored and writes the model.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gcp_lib.sh"
: "${MLBOX_TRAINER:?}"
FAKES="$MLBOX_SOURCE_DIR/tests/fakes"

start_gcp_fakes
export GCE_METADATA_HOST=$GCP_METADATA
export STORAGE_EMULATOR_HOST="$V"
unset GOOGLE_APPLICATION_CREDENTIALS CLOUDSDK_CONFIG
export MLBOX_PLATFORM=vertex CLOUD_ML_JOB_ID=job-gcs
export AIP_MODEL_DIR=gs://mlbox-out/runs/j1/model/
export AIP_CHECKPOINT_DIR=gs://mlbox-out/runs/j1/checkpoints/
export AIP_TENSORBOARD_LOG_DIR=gs://mlbox-out/runs/j1/logs/
export TMPDIR="$WORK/tmp" MLBOX_DATA_DIR="$WORK/data"
mkdir -p "$TMPDIR"

# gcs_get OBJECT: the object's bytes, read with a token from the metadata server.
gcs_get() {
  local tok
  tok=$(curl -s -H "Metadata-Flavor: Google" \
    "http://$GCE_METADATA_HOST/computeMetadata/v1/instance/service-accounts/default/token" |
    $PY -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  local enc
  enc=$($PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1")
  curl -s -H "Authorization: Bearer $tok" "$V/storage/v1/b/mlbox-out/o/$enc?alt=media"
}

cat >"$WORK/attempt1.sh" <<'SH'
echo "step 9" >"$MLBOX_CHECKPOINT_DIR/ckpt-9"
echo ready
sleep 60
SH
preempt_when_ready "$WORK/a1.out" env "$MLBOX_TRAINER" --grace 5 --sync-interval 0.3 -- \
  /bin/sh "$WORK/attempt1.sh"
rc=$PREEMPT_RC
[ "$rc" = 75 ] || { cat "$WORK/a1.out"; fail "preempted attempt exited $rc, expected 75"; }
[ "$(gcs_get runs/j1/checkpoints/ckpt-9)" = "step 9" ] || { cat "$WORK/a1.out"; fail "checkpoint not in GCS"; }
pass "attempt 1: checkpoint uploaded to gs:// on preemption (metadata-server token, exit 75)"

cat >"$WORK/attempt2.sh" <<'SH'
set -e
[ "$(cat "$MLBOX_CHECKPOINT_DIR/ckpt-9")" = "step 9" ]
echo weights >"$MLBOX_MODEL_DIR/model.pt"
SH
timeout 60 "$MLBOX_TRAINER" -- /bin/sh "$WORK/attempt2.sh" >"$WORK/a2.out" 2>&1 ||
  { cat "$WORK/a2.out"; fail "attempt 2 failed"; }
grep -q "restored 1 file(s) from gs://mlbox-out/runs/j1/checkpoints" "$WORK/a2.out" ||
  { cat "$WORK/a2.out"; fail "no restore"; }
[ "$(gcs_get runs/j1/model/model.pt)" = weights ] || fail "model not in GCS"
gcs_get runs/j1/summary.json | $PY -c 'import json,sys; assert json.load(sys.stdin)["exit_code"] == 0' ||
  fail "summary.json not beside the model prefix"
pass "attempt 2: checkpoint restored from gs://, model and summary uploaded"

# Live metrics: metrics.jsonl and TensorBoard files reach Cloud Storage while the job runs.
AIP_MODEL_DIR=gs://mlbox-out/live/model/ AIP_CHECKPOINT_DIR=gs://mlbox-out/live/checkpoints/ \
  AIP_TENSORBOARD_LOG_DIR=gs://mlbox-out/live/logs/ \
  check_live_metrics gcs_get live/metrics.jsonl live/logs/events.out.tfevents.1.live
pass "live metrics: metrics.jsonl (re-uploaded as it grew) and TensorBoard events in GCS before the job ended"
