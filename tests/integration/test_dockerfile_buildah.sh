#!/usr/bin/env bash
# The generated Dockerfile is real: buildah (vfs storage, chroot isolation) builds it on a
# Python base made here from Debian packages, installs the locked wheels with
# --require-hashes, and the image has the expected entrypoint, command and labels; the
# trainer bundle runs inside it.
source "$(dirname "$0")/lib.sh"
CACHE="${MLBOX_BUILD_DIR:-$WORK}/test-cache"
BASE=$(bash "$MLBOX_SOURCE_DIR/tests/fixtures/make_python_base.sh" "$CACHE")
WH="$WORK/wheelhouse"
python3 "$MLBOX_SOURCE_DIR/tests/fixtures/make_wheels.py" "$WH" 'alpha==1.0:beta>=2' 'beta==2.1' 'gamma==1.0'
P="$WORK/proj"; mkdir -p "$P/src"; cd "$P"
printf 'alpha\ngamma==1.0\n' > requirements.txt
cat > src/train.py <<'PY'
import alpha, beta, gamma, os
print("beta", beta.__version__, "model dir", os.environ.get("MLBOX_MODEL_DIR"))
PY
echo "secret-stuff" > notes.tmp
printf '*.tmp\n' > .dockerignore
cat > mlbox.yaml <<YAML
name: buildah-test
python:
  version: "3.11"
  requirements: requirements.txt
image:
  base: oci:$BASE:python
train:
  command: ["python3", "src/train.py"]
YAML
"$MLBOX" freeze --no-index --find-links "$WH" >/dev/null
"$MLBOX" dockerfile --find-links "$WH" >/dev/null
grep -q '^FROM oci:' .mlbox/Dockerfile || fail "FROM does not name the base"
[ ! -e .mlbox/context/code/notes.tmp ] || fail ".dockerignore not applied to the staged context"
[ -x .mlbox/context/trainer/bin/mlbox-trainer ] || fail "trainer bundle not staged"

B=(buildah --root "$WORK/storage" --runroot "$WORK/runroot" --storage-driver vfs)
cleanup_hooks+=("${B[*]} rm --all >/dev/null 2>&1")
"${B[@]}" bud --isolation chroot --quiet -f .mlbox/Dockerfile -t localhost/mlbox-it:latest \
  .mlbox/context >"$WORK/bud.log" 2>&1 || { tail -30 "$WORK/bud.log"; fail "buildah bud failed"; }
pass "buildah bud built the generated Dockerfile"

"${B[@]}" inspect --type image localhost/mlbox-it:latest > "$WORK/inspect.json"
LOCK_DIGEST="sha256:$(sha256sum mlbox.lock | cut -d' ' -f1)"
python3 - "$WORK/inspect.json" "$LOCK_DIGEST" <<'PY'
import json, sys
info, lock_digest = json.load(open(sys.argv[1])), sys.argv[2]
cfg = info["OCIv1"]["config"]
assert cfg["Entrypoint"] == ["/opt/mlbox/bin/mlbox-trainer", "--"], cfg["Entrypoint"]
assert cfg["Cmd"] == ["python3", "src/train.py"], cfg["Cmd"]
assert cfg["WorkingDir"] == "/workspace", cfg["WorkingDir"]
labels = cfg["Labels"]
assert labels["io.mlbox.lock.digest"] == lock_digest, (labels, lock_digest)
assert labels["org.opencontainers.image.title"] == "buildah-test"
assert any(e.startswith("PYTHONPATH=/opt/mlbox/site-packages") for e in cfg["Env"]), cfg["Env"]
print("entrypoint, cmd, workdir, labels ok")
PY
pass "image config has the trainer entrypoint, the command and the lock digest label"

CTR=$("${B[@]}" from --pull-never localhost/mlbox-it:latest)
out=$("${B[@]}" run --isolation chroot "$CTR" -- python3 -c 'import alpha, beta, gamma; print(beta.__version__)')
[ "$out" = "2.1" ] || fail "locked packages not importable in the image: $out"
pass "locked wheels installed in the image (beta $out)"
"${B[@]}" run --isolation chroot "$CTR" -- /opt/mlbox/bin/mlbox-trainer --probe >"$WORK/probe.out" 2>&1 \
  || { cat "$WORK/probe.out"; fail "mlbox-trainer --probe failed inside the image"; }
grep -q "no mlbox-native in this image" "$WORK/probe.out" || { cat "$WORK/probe.out"; fail "probe output"; }
"${B[@]}" run --isolation chroot "$CTR" -- sh -c 'find / -xdev -name "libtorch*" | head -1' >"$WORK/torch.out"
[ ! -s "$WORK/torch.out" ] || fail "a command-mode image has libtorch: $(cat "$WORK/torch.out")"
pass "mlbox-trainer runs inside the built image; no libtorch in a command-mode image"
"${B[@]}" run --isolation chroot "$CTR" -- sh -c 'test ! -e /workspace/notes.tmp && test -f /workspace/src/train.py' \
  || fail "code layer content wrong"
pass "code layer holds the filtered context"
