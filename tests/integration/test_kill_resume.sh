#!/usr/bin/env bash
# kill -9 of build, push and pull at points drawn at random (seed printed; MLBOX_TEST_SEED
# replays it), then a rerun: it completes, the result equals an uninterrupted run's, nothing
# corrupt, no temp file left. The process stops itself at the drawn point (MLBOX_TEST_PAUSE,
# util/fault_point.h) before the kill, so the kill lands where the draw says on any machine.
# Then a disk that fills up (a 24 MiB tmpfs) under build and pull: a clear error, nothing
# half-written, and the same command succeeds once there is room.
source "$MLBOX_SOURCE_DIR/tests/integration/lib.sh"
source "$MLBOX_SOURCE_DIR/tests/integration/registry_lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
SEED=${MLBOX_TEST_SEED:-$RANDOM}
echo "seed: $SEED (MLBOX_TEST_SEED=$SEED replays these kill points)"
draw() { python3 -c "import random,sys; r=random.Random(sys.argv[1]); print(r.randrange(int(sys.argv[2]), int(sys.argv[3])))" "$SEED$1" "$2" "$3"; }
cd "$WORK"

# run_paused NAME POINT CMD...: runs CMD with MLBOX_TEST_PAUSE=POINT, waits until it stops
# there (120 s at most), kills it with SIGKILL.
run_paused() {
  local name=$1 point=$2; shift 2
  rm -f "$WORK/$name.paused"
  MLBOX_TEST_PAUSE=$point MLBOX_TEST_PAUSE_FILE="$WORK/$name.paused" "$@" >"$WORK/$name.out" 2>&1 &
  local pid=$!
  cleanup_hooks+=("kill -9 $pid 2>/dev/null")
  for _ in $(seq 1200); do
    [ -s "$WORK/$name.paused" ] && break
    kill -0 $pid 2>/dev/null || { cat "$WORK/$name.out"; fail "$name exited before its pause point $point"; }
    sleep 0.1
  done
  [ "$(cat "$WORK/$name.paused" 2>/dev/null)" = "$pid" ] || fail "$name never reached $point (120 s)"
  kill -9 $pid
  wait $pid 2>/dev/null || true
}

# store_is_sound LAYOUT: every blob matches its name, index.json parses, no temp blob outside .tmp.
store_is_sound() {
  python3 - "$1" <<'PY' || fail "store $1 is damaged"
import hashlib, json, os, sys
root = sys.argv[1]
json.load(open(os.path.join(root, "index.json")))
for name in os.listdir(os.path.join(root, "blobs", "sha256")):
    h = hashlib.sha256()
    with open(os.path.join(root, "blobs", "sha256", name), "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    assert h.hexdigest() == name, f"blob {name} does not match its content"
PY
}
no_temp_left() { # LAYOUT
  if ls "$1"/.tmp/blob-* >/dev/null 2>&1; then fail "temp blobs left in $1 after a finished run"; fi
}

# --- build ----------------------------------------------------------------------------------
umoci init --layout base >/dev/null
umoci new --image base:v1 >/dev/null
umoci unpack --rootless --image base:v1 bb >/dev/null
mkdir -p bb/rootfs/etc bb/rootfs/usr/bin && echo 'ID=mlbox-test-base' >bb/rootfs/etc/os-release
cp "$(type -P true)" bb/rootfs/usr/bin/python  # train.command's program must be in the image
umoci repack --image base:v1 bb >/dev/null && rm -rf bb
make_project() { # DIR
  mkdir -p "$1/assets" "$1/src"
  cat >"$1/mlbox.yaml" <<'YAML'
name: kill-test
python:
  version: "3.11"
train:
  command: python train.py
image:
  base: oci:../../base:v1
YAML
  printf 'print("train")\n' >"$1/train.py"
  printf 'X = 1\n' >"$1/src/model.py"
  python3 -c 'import random,sys; r=random.Random(7); sys.stdout.buffer.write(r.randbytes(24 << 20))' >"$1/assets/weights.bin"
  python3 -c 'import random,sys; r=random.Random(8); sys.stdout.buffer.write(r.randbytes(12 << 20))' >"$1/assets/embeddings.bin"
}
TRUE=$(type -P true)
make_project clean/proj
make_project killed/proj
(cd clean/proj && "$MLBOX" --json build --trainer "$TRUE" >"$WORK/clean.json") || fail "clean build"
WANT=$(json "$WORK/clean.json" 'd["manifest"]')
for round in 1 2 3; do
  at=$(draw "build$round" 1 $((30 << 20)))
  run_paused "build$round" "blob-write:$at" "$MLBOX" -C killed/proj build --trainer "$TRUE"
  if [ -e killed/proj/.mlbox/oci/index.json ] && grep -q "$WANT" killed/proj/.mlbox/oci/index.json; then
    fail "a build killed at byte $at tagged its image"
  fi
  echo "build killed at blob byte $at"
done
(cd killed/proj && "$MLBOX" --json build --trainer "$TRUE" >"$WORK/rebuilt.json") || fail "build after kills"
[ "$(json "$WORK/rebuilt.json" 'd["manifest"]')" = "$WANT" ] || fail "the build after kills gives another image"
store_is_sound killed/proj/.mlbox/oci
no_temp_left killed/proj/.mlbox/oci
pass "build killed 3 times at drawn points, then rerun: the uninterrupted build's digest, store sound"

# --- push -----------------------------------------------------------------------------------
start_registry kill
R=127.0.0.1:$REG_PORT
PROJ=$WORK/pushproj
make_image "$PROJ" app "30M,20M,6M,1M" 31 >/dev/null
CHUNK=$((4 * 1048576))
points=("blobs-uploaded:$(draw push1 1 4)" "blob-upload:$(draw push2 1 $((28 << 20)))" "blob-upload:$(draw push3 1 $((28 << 20)))")
for p in "${points[@]}"; do
  run_paused "push-${p%%:*}" "$p" "$MLBOX" -C "$PROJ" push "$R/kill/app:v1" --chunk-size $CHUNK --jobs 3
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$R/v2/kill/app/manifests/v1")
  [ "$code" = 404 ] || fail "a push killed at $p left the tag (HTTP $code)"
  echo "push killed at $p"
done
expect_rc 0 "$MLBOX" -C "$PROJ" --json push "$R/kill/app:v1" --chunk-size $CHUNK
D=$(json "$WORK/stdout" 'd["digest"]')
[ "$D" = "$(tagged_digest "$PROJ/.mlbox/oci" app)" ] || fail "pushed another manifest"
skopeo_agrees "$R/kill/app:v1" "$D" "$PROJ/.mlbox/oci" app
pass "push killed at ${points[*]}, then rerun: skopeo agrees with the store"

# --- pull -----------------------------------------------------------------------------------
mkdir -p pulled
for round in 1 2; do
  at=$(draw "pull$round" 1 $((20 << 20)))
  run_paused "pull$round" "blob-write:$at" "$MLBOX" -C pulled pull "$R/kill/app:v1"
  if [ -e pulled/.mlbox/oci/index.json ] && grep -q "$D" pulled/.mlbox/oci/index.json; then
    fail "a pull killed at byte $at tagged the image"
  fi
  echo "pull killed at blob byte $at"
done
expect_rc 0 "$MLBOX" -C pulled --json pull "$R/kill/app:v1"
[ "$(json "$WORK/stdout" 'd["digest"]')" = "$D" ] || fail "the pull after kills got another digest"
store_is_sound pulled/.mlbox/oci
no_temp_left pulled/.mlbox/oci
for d in $(layer_digests "$PROJ/.mlbox/oci" app); do
  cmp -s "$PROJ/.mlbox/oci/blobs/sha256/${d#sha256:}" "pulled/.mlbox/oci/blobs/sha256/${d#sha256:}" ||
    fail "pulled blob $d differs"
done
pass "pull killed twice at drawn points, then rerun: every blob verified, no temp left"

# --- disk full ------------------------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then fail "the disk-full checks mount a tmpfs: run as root (CI does)"; fi
mkdir -p full
mount -t tmpfs -o size=24m mlbox-test-full full
cleanup_hooks+=("umount -l $WORK/full")
expect_rc 1 "$MLBOX" -C full pull "$R/kill/app:v1"
grep -qi "no space left" "$WORK/stderr" || { cat "$WORK/stderr"; fail "pull on a full disk did not say the disk is full"; }
if [ -e full/.mlbox/oci/index.json ] && grep -q "$D" full/.mlbox/oci/index.json; then fail "a failed pull tagged the image"; fi
no_temp_left full/.mlbox/oci
store_is_sound full/.mlbox/oci
pass "pull on a full disk: '$(grep -i 'no space' "$WORK/stderr" | head -1)', nothing half-written"

rm -rf full/* full/.mlbox
mkdir -p full/proj/assets
cp killed/proj/mlbox.yaml killed/proj/train.py full/proj/
sed -i 's|oci:../../base:v1|oci:'"$WORK"'/base:v1|' full/proj/mlbox.yaml
# 14 MiB of incompressible context fits in 24 MiB; the image's copy of it does not.
head -c $((14 << 20)) killed/proj/assets/weights.bin >full/proj/assets/weights.bin
expect_rc 1 "$MLBOX" -C full/proj build --trainer "$TRUE"
grep -qi "no space left" "$WORK/stderr" || { cat "$WORK/stderr"; fail "build on a full disk did not say the disk is full"; }
no_temp_left full/proj/.mlbox/oci
[ -e full/proj/.mlbox/oci/index.json ] && store_is_sound full/proj/.mlbox/oci
rm -f full/proj/assets/weights.bin
expect_rc 0 "$MLBOX" -C full/proj build --trainer "$TRUE"
pass "build on a full disk: a clear error, nothing half-written; with room, the same command builds"
echo PASS
