#!/usr/bin/env bash
# mlbox freeze against a wheelhouse built here: pins, transitive deps, hashes that match the
# wheel files, a lock pip accepts with --require-hashes, and a clear error (nothing written)
# for a requirement that cannot be resolved.
source "$(dirname "$0")/lib.sh"
WH="$WORK/wheelhouse"
python3 "$MLBOX_SOURCE_DIR/tests/fixtures/make_wheels.py" "$WH" \
  'alpha==1.0:beta>=2' 'beta==2.0' 'beta==2.1' 'gamma==1.0' 'gamma==1.1'
P="$WORK/proj"; mkdir -p "$P"; cd "$P"
printf 'alpha\ngamma==1.0  # pinned\n' > requirements.txt
cat > mlbox.yaml <<'YAML'
name: freeze-test
python:
  version: "3.11"
  requirements: requirements.txt
train:
  command: python train.py
YAML
"$MLBOX" freeze --no-index --find-links "$WH"
[ -f mlbox.lock ] || fail "no mlbox.lock"
python3 - "$WH" mlbox.lock <<'PY'
import hashlib, os, re, sys
wh, lock = sys.argv[1], open(sys.argv[2]).read()
pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", lock, re.M))
assert pins == {"alpha": "1.0", "beta": "2.1", "gamma": "1.0"}, pins
for name, version in pins.items():
    path = os.path.join(wh, f"{name}-{version}-py3-none-any.whl")
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    block = lock[lock.index(f"{name}=={version}"):].split("\n\n")[0]
    assert f"--hash=sha256:{digest}" in block, (name, digest)
assert "# python: 3.11" in lock and "# platform: manylinux2014_x86_64" in lock
print("hashes match the wheel files")
PY
pass "lock pins transitive deps with the wheel files' hashes"

python3 -m pip install -q --no-deps --require-hashes --no-index --find-links "$WH" \
  --target "$WORK/site" -r mlbox.lock
[ -f "$WORK/site/beta/__init__.py" ] || fail "pip did not install from the lock"
pass "pip installs the lock with --require-hashes"

# The same inputs resolved from another directory give the same lock, byte for byte.
cp -r "$P" "$WORK/proj2"
(cd "$WORK/proj2" && "$MLBOX" freeze --no-index --find-links "$WH" >/dev/null)
cmp mlbox.lock "$WORK/proj2/mlbox.lock" || fail "lock differs between directories"
pass "lock is reproducible across directories"

# A tampered wheel is refused by pip because of the lock's hash.
cp -r "$WH" "$WORK/wh-bad"
python3 "$MLBOX_SOURCE_DIR/tests/fixtures/make_wheels.py" "$WORK/wh-bad" 'beta==2.1:gamma'
if python3 -m pip install -q --no-deps --require-hashes --no-index --find-links "$WORK/wh-bad" \
  --target "$WORK/site2" -r mlbox.lock 2>/dev/null; then fail "tampered wheel accepted"; fi
pass "a wheel that differs from the lock is refused"

cp mlbox.lock "$WORK/lock.before"
echo 'nope==3' >> requirements.txt
expect_rc 3 "$MLBOX" freeze --no-index --find-links "$WH"
grep -q "cannot resolve requirement 'nope==3'" "$WORK/stderr" || fail "error does not name nope==3"
cmp mlbox.lock "$WORK/lock.before" || fail "lock changed on error"
pass "unresolvable requirement: exit 3, named, lock untouched"

sed -i '$d' requirements.txt
"$MLBOX" --json freeze --no-index --find-links "$WH" 2>/dev/null | python3 -c '
import json, sys; d = json.load(sys.stdin); assert d["digest"].startswith("sha256:"); assert len(d["packages"]) == 3'
pass "--json prints one object with the lock digest"

# The base image's tag is pinned to the digest its registry serves (a real docker-registry).
source "$MLBOX_SOURCE_DIR/tests/integration/registry_lib.sh"
start_registry pin-registry ""
make_image "$WORK/baseproj" v1 "100K" 5 >/dev/null
"$MLBOX" -C "$WORK/baseproj" --json push "127.0.0.1:$REG_PORT/base/img:v1" >"$WORK/push.json"
BASE_DIGEST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$WORK/push.json")
cat >> mlbox.yaml <<YAML
image:
  base: 127.0.0.1:$REG_PORT/base/img:v1
YAML
"$MLBOX" freeze --no-index --find-links "$WH" --pin-base yes 2>"$WORK/pin.err"
grep -q "$BASE_DIGEST" mlbox.lock || { cat "$WORK/pin.err"; grep -i base mlbox.lock; fail "base digest not pinned in the lock"; }
grep -q "pinned base 127.0.0.1:$REG_PORT/base/img:v1 to $BASE_DIGEST" "$WORK/pin.err" || fail "no pin message"
# A registry that cannot be reached: a warning, and the lock is still written (tag only).
DEAD=$(free_port)
sed -i "s|127.0.0.1:$REG_PORT/base/img:v1|127.0.0.1:$DEAD/base/img:v1|" mlbox.yaml
"$MLBOX" freeze --no-index --find-links "$WH" --pin-base yes 2>"$WORK/pin.err" || fail "freeze failed on an unreachable base registry"
grep -q "could not pin the base image 127.0.0.1:$DEAD/base/img:v1" "$WORK/pin.err" || { cat "$WORK/pin.err"; fail "no warning"; }
grep -q "$BASE_DIGEST" mlbox.lock && fail "a stale digest stayed in the lock"
pass "base image tag pinned to the registry's digest; unreachable registry -> warning, tag only"
