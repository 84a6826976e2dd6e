#!/usr/bin/env bash
# Native mode trains on the image's own torch: a torch wheel with the real wheel's layout
# (Debian's libtorch, docker/make_torch_wheel.py) in a local wheelhouse, locked by `mlbox freeze
# --no-index --find-links`, installed into the deps layer; mlbox compiles mlbox-native against
# that wheel (CMake + the system compiler) into its own layer. Inside the unpacked rootfs the
# program resolves libtorch from /opt/mlbox/site-packages/torch/lib (readelf -d, and the
# bundled loader's --list under chroot), and runc runs the probe on that torch. Bad input: a
# lock without torch, a wheel without TorchConfig.cmake, a compile error.
source "$(dirname "$0")/lib.sh"
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

WH=$(torch_wheelhouse) || fail "make_torch_wheel.py"
WHEEL=$(ls "$WH"/torch-*.whl)
BASE=$(bash "$MLBOX_SOURCE_DIR/docker/make-busybox-base.sh" "$MLBOX_BUILD_DIR/test-cache")
P="$WORK/proj"
mkdir -p "$P"
cd "$P"
/usr/bin/python3 "$MLBOX_SOURCE_DIR/examples/native-digits/make_model.py" model.pt --tiny --seed 1 >/dev/null
/usr/bin/python3 - <<'PY'
import random
random.seed(3)
with open("data.csv", "w") as f:
    for _ in range(64):
        xs = [random.random() for _ in range(64)]
        f.write(",".join(f"{x:.3f}" for x in xs) + f",{random.randrange(10)}\n")
PY
cat >mlbox.yaml <<YAML
name: native-test
python:
  version: "3.11"
  packages: ["torch==1.13.1"]
image:
  base: "$BASE"
train:
  native:
    model: model.pt
    data: {train: {path: data.csv, format: csv, label_column: -1}, validation_split: 0.25}
    input_shape: [1, 8, 8]
    epochs: 1
    batch_size: 16
    optimizer: {name: sgd, lr: 0.01}
    loss: cross_entropy
YAML

"$MLBOX" freeze --no-index --find-links "$WH" >/dev/null || fail "freeze against the wheelhouse"
grep -q "torch==1.13.1" mlbox.lock && grep -q "$(sha256sum "$WHEEL" | cut -c1-64)" mlbox.lock ||
  { cat mlbox.lock; fail "the lock does not pin the wheel's sha256"; }
"$MLBOX" --json build >"$WORK/b.json" 2>"$WORK/b.err" || { cat "$WORK/b.err"; fail "build"; }
[ "$(json "$WORK/b.json" '[l["role"] for l in d["layers"]]')" = "['base', 'deps', 'trainer', 'native', 'code']" ] ||
  fail "layers: $(cat "$WORK/b.json")"
pass "freeze --no-index --find-links pins the wheel; build adds a native layer"

umoci unpack --image .mlbox/oci:latest "$WORK/bundle" >/dev/null || fail "umoci unpack"
R="$WORK/bundle/rootfs"
N=/opt/mlbox/native/bin/mlbox-native
[ -x "$R$N" ] || fail "no $N in the image"
readelf -d "$R$N" >"$WORK/readelf.txt"
grep -q "NEEDED.*\[libtorch" "$WORK/readelf.txt" || { cat "$WORK/readelf.txt"; fail "mlbox-native does not link libtorch"; }
grep -q "R.*PATH.*\[/opt/mlbox/site-packages/torch/lib:" "$WORK/readelf.txt" ||
  { grep PATH "$WORK/readelf.txt"; fail "RUNPATH does not start at the deps layer's torch/lib"; }
[ -z "$(find "$R/opt/mlbox/native" "$R/opt/mlbox/lib" -name 'libtorch*' -o -name 'libc10*')" ] ||
  fail "mlbox brought its own libtorch"
LOADER=$(ls "$R/opt/mlbox/native/lib/" | grep '^ld-linux')
chroot "$R" "/opt/mlbox/native/lib/$LOADER" --library-path /opt/mlbox/native/lib --list "$N" >"$WORK/ldd.txt" 2>&1 ||
  { cat "$WORK/ldd.txt"; fail "the bundled loader cannot list mlbox-native's libraries in the rootfs"; }
grep -q "libtorch_cpu.so[.0-9]* => /opt/mlbox/site-packages/torch/lib/libtorch_cpu.so" "$WORK/ldd.txt" ||
  { cat "$WORK/ldd.txt"; fail "libtorch_cpu does not resolve to the deps layer"; }
grep -q "not found" "$WORK/ldd.txt" && { cat "$WORK/ldd.txt"; fail "unresolved libraries in the rootfs"; }
pass "in the rootfs: $(grep -m1 'libtorch_cpu' "$WORK/ldd.txt" | xargs)"

runc_probe "$WORK/bundle" "$WORK/probe.out"
grep -q "mlbox-native (the image's torch)" "$WORK/probe.out" && grep -q "cpu matmul ok" "$WORK/probe.out" ||
  { cat "$WORK/probe.out"; fail "the probe did not run the image's torch"; }
pass "runc: mlbox-trainer --probe runs mlbox-native on the deps layer's torch ($(grep -m1 '^torch' "$WORK/probe.out"))"

# The same inputs give the same native layer (the program is cached; a fresh cache compiles the
# same bytes).
D1=$(json "$WORK/b.json" '[l["digest"] for l in d["layers"] if l["role"]=="native"][0]')
rm -rf .mlbox
"$MLBOX" --json build >"$WORK/b2.json" 2>/dev/null || fail "rebuild"
[ "$(json "$WORK/b2.json" '[l["digest"] for l in d["layers"] if l["role"]=="native"][0]')" = "$D1" ] ||
  fail "the native layer changed between two builds of the same inputs"
pass "the native layer is reproducible ($D1)"

# Bad input 1: native mode without torch in the lock.
Q="$WORK/notorch"
mkdir -p "$Q" && cp model.pt data.csv "$Q/" && sed '/packages:/d' mlbox.yaml >"$Q/mlbox.yaml"
(cd "$Q" && "$MLBOX" freeze --no-index >/dev/null) || fail "freeze without torch"
(cd "$Q" && expect_rc 3 "$MLBOX" build)
grep -q "needs torch in mlbox.lock" "$WORK/stderr" && grep -q "framework: {name: pytorch" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "no fix named for a lock without torch"; }
pass "a native project whose lock has no torch: exit 3 naming the fix"

# Bad input 2: a torch wheel without TorchConfig.cmake.
W2="$WORK/wheels2"
mkdir -p "$W2"
/usr/bin/python3 - "$W2/torch-9.9.9-py3-none-manylinux2014_x86_64.whl" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("torch/__init__.py", "")
    z.writestr("torch-9.9.9.dist-info/METADATA", "Metadata-Version: 2.1\nName: torch\nVersion: 9.9.9\n")
    z.writestr("torch-9.9.9.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: py3-none-manylinux2014_x86_64\n")
    z.writestr("torch-9.9.9.dist-info/RECORD", "")
PY
Q2="$WORK/noconfig"
mkdir -p "$Q2" && cp model.pt data.csv "$Q2/" && sed 's/torch==1.13.1/torch==9.9.9/' mlbox.yaml >"$Q2/mlbox.yaml"
(cd "$Q2" && "$MLBOX" freeze --no-index --find-links "$W2" >/dev/null) || fail "freeze 9.9.9"
(cd "$Q2" && expect_rc 3 "$MLBOX" build)
grep -q "torch 9.9.9's wheel has no torch/share/cmake/Torch/TorchConfig.cmake" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "no TorchConfig error"; }
pass "a torch wheel without TorchConfig.cmake: exit 3 naming the version"

# Bad input 3: a compile error (sources with a broken header) -> exit 1, the compiler's first
# error line and the log's path; nothing half-written in the cache.
SRCS="$WORK/src"
mkdir -p "$SRCS" && cp -r "$MLBOX_SOURCE_DIR/src/native" "$MLBOX_SOURCE_DIR/src/trainer" "$MLBOX_SOURCE_DIR/src/util" "$SRCS/"
echo '#error broken on purpose by test_native_program' >>"$SRCS/native/native_config.h"
rm -rf .mlbox
MLBOX_NATIVE_SOURCES="$SRCS" MLBOX_NATIVE_CACHE="$WORK/native-cache" expect_rc 1 "$MLBOX" build
grep -q "compiling mlbox-native against torch 1.13.1 failed" "$WORK/stderr" &&
  grep -q "broken on purpose" "$WORK/stderr" && grep -q "build.log" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "compile error not reported"; }
[ -z "$(find "$WORK/native-cache" -maxdepth 1 -mindepth 1 ! -name '.work-*')" ] ||
  fail "a half-built program is in the cache: $(ls -a "$WORK/native-cache")"
pass "a compile error: exit 1 with the compiler's line and the log's path; the cache holds no bundle"

# An interrupted compile (the whole process group killed, as a closed terminal does) leaves no
# bundle; the next build resumes in the work folder and finishes.
rm -rf .mlbox
export MLBOX_NATIVE_CACHE="$WORK/native-cache2"
setsid "$MLBOX" build >"$WORK/int.out" 2>"$WORK/int.err" &
INT_PID=$!
cleanup_hooks+=("kill -9 -- -$INT_PID 2>/dev/null")
for _ in $(seq 1200); do grep -q "compiling mlbox-native" "$WORK/int.err" && break; sleep 0.1; done
grep -q "compiling mlbox-native" "$WORK/int.err" || { cat "$WORK/int.err"; fail "the build never reached the compile"; }
kill -9 -- -$INT_PID
wait $INT_PID 2>/dev/null || true
[ -z "$(find "$MLBOX_NATIVE_CACHE" -maxdepth 1 -mindepth 1 ! -name '.work-*')" ] ||
  fail "an interrupted compile left a bundle: $(ls -a "$MLBOX_NATIVE_CACHE")"
"$MLBOX" --json build >"$WORK/b3.json" 2>"$WORK/b3.err" || { cat "$WORK/b3.err"; fail "the build after an interrupted compile"; }
[ "$(json "$WORK/b3.json" '[l["digest"] for l in d["layers"] if l["role"]=="native"][0]')" = "$D1" ] ||
  fail "the resumed compile gave another native layer"
pass "an interrupted compile: no bundle left behind; the next build finishes with the same layer"
echo PASS
