#!/usr/bin/env bash
# The native image machinery against independent clients: layers written by mlbox are
# reproducible (two directories, two times, any thread count, gzip and zstd), skopeo and
# umoci accept the OCI layout, the unpacked rootfs matches the source file by file, Python's
# tarfile/gzip read the layer, and a build killed mid-layer leaves a store the next build uses.
set -euo pipefail
TOOL=${MLBOX_BUILD_DIR:?}/tests/mlbox_image_tool
[ -x "$TOOL" ] || { echo "missing $TOOL (ninja mlbox_image_tool)"; exit 1; }
WORK=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
fail() { echo "FAIL: $*" >&2; exit 1; }
# Debian's interpreter: starts in a tenth of the time a pyenv shim takes.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

make_tree() { # make_tree DIR SEED-MTIME
  local d=$1
  mkdir -p "$d/pkg/sub" "$d/empty" "$d/a/very/deep/directory/structure/that/keeps/going/and/going/beyond/one/hundred/characters/for/pax"
  printf 'print("train")\n' >"$d/train.py"
  printf '#!/bin/sh\necho run\n' >"$d/run.sh"; chmod 700 "$d/run.sh"
  : >"$d/empty.txt"
  head -c 3000000 /dev/zero | tr '\0' 'w' >"$d/pkg/weights.bin"
  $PY -c 'import random,sys; random.seed(1); sys.stdout.buffer.write(random.randbytes(2000000))' >"$d/pkg/random.bin"
  printf 'long\n' >"$d/a/very/deep/directory/structure/that/keeps/going/and/going/beyond/one/hundred/characters/for/pax/$(printf 'n%.0s' $(seq 1 150)).py"
  printf 'unicode\n' >"$d/pkg/données-ü.txt"
  ln -s ../train.py "$d/pkg/sub/link-to-train"
  ln -s "$(printf 't%.0s' $(seq 1 120))" "$d/pkg/dangling-long-link"
  ln "$d/pkg/weights.bin" "$d/pkg/sub/weights-hardlink.bin"
  chmod 600 "$d/train.py"
  find "$d" -exec touch -h -d "@$2" {} +
}

make_tree "$WORK/one/project" 1600000000
sleep 1
umask 077
make_tree "$WORK/two/elsewhere" 1700000000
umask 022

json_get() { $PY -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# --- reproducibility ------------------------------------------------------------------------
r1=$("$TOOL" image --store store1 --tag v1 --src one/project --prefix app --threads 1 --block-size 262144)
r2=$("$TOOL" image --store store2 --tag v1 --src two/elsewhere --prefix app --threads 4 --block-size 262144)
[ "$(json_get "$r1" manifest)" = "$(json_get "$r2" manifest)" ] || fail "gzip manifests differ: $r1 vs $r2"
[ "$(json_get "$r1" layer)" = "$(json_get "$r2" layer)" ] || fail "gzip layers differ"
z1=$("$TOOL" image --store store1 --tag z1 --src one/project --prefix app --compression zstd --threads 1)
z2=$("$TOOL" image --store store2 --tag z1 --src two/elsewhere --prefix app --compression zstd --threads 3)
[ "$(json_get "$z1" layer)" = "$(json_get "$z2" layer)" ] || fail "zstd layers differ: $z1 vs $z2"
[ "$(json_get "$z1" diff_id)" = "$(json_get "$r1" diff_id)" ] || fail "zstd and gzip layers hold different tars"
s1=$(SOURCE_DATE_EPOCH=1700000000 "$TOOL" image --store store1 --tag sde --src one/project --prefix app)
[ "$(json_get "$s1" diff_id)" != "$(json_get "$r1" diff_id)" ] || fail "SOURCE_DATE_EPOCH did not reach the tar"
echo "reproducible: $(json_get "$r1" manifest) (gzip), $(json_get "$z1" layer) (zstd)"

# --- skopeo --------------------------------------------------------------------------------
for tag in v1 z1 sde; do
  out=$(skopeo inspect "oci:store1:$tag") || fail "skopeo inspect oci:store1:$tag"
  echo "$out" | $PY -c 'import json,sys; d=json.load(sys.stdin); assert d["Os"]=="linux" and len(d["Layers"])==1, d' ||
    fail "skopeo inspect output for $tag: $out"
done
[ "$(skopeo inspect oci:store1:v1 | $PY -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')" = "$(json_get "$r1" manifest)" ] ||
  fail "skopeo sees another manifest digest"
[ "$(skopeo inspect --config oci:store1:sde | $PY -c 'import json,sys; print(json.load(sys.stdin)["created"])')" = "2023-11-14T22:13:20Z" ] ||
  fail "config created does not follow SOURCE_DATE_EPOCH"
skopeo copy -q oci:store1:v1 oci:copied:v1 || fail "skopeo copy"
echo "skopeo: inspect and copy accept the layout"

# --- umoci unpack and file-by-file comparison ------------------------------------------------
compare_rootfs() { # SRC ROOTFS
  $PY - "$1" "$2" <<'PY'
import hashlib, os, stat, sys
src, root = sys.argv[1], sys.argv[2]
def walk(base):
    out = {}
    for d, dirs, files in os.walk(base):
        for n in dirs + files:
            p = os.path.join(d, n)
            out[os.path.relpath(p, base)] = os.lstat(p)
    return out
a, b = walk(src), walk(os.path.join(root, "app"))
assert set(a) == set(b), ("path sets differ", sorted(set(a) ^ set(b)))
inodes = {}
for rel, st in sorted(a.items()):
    sp, dp = os.path.join(src, rel), os.path.join(root, "app", rel)
    bt = b[rel]
    assert stat.S_IFMT(st.st_mode) == stat.S_IFMT(bt.st_mode), rel
    if stat.S_ISLNK(st.st_mode):
        assert os.readlink(sp) == os.readlink(dp), rel
        continue
    want = 0o755 if stat.S_ISDIR(st.st_mode) or st.st_mode & 0o111 else 0o644
    assert stat.S_IMODE(bt.st_mode) == want, (rel, oct(bt.st_mode))
    if stat.S_ISREG(st.st_mode):
        h = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
        assert h(sp) == h(dp), rel
        inodes.setdefault(st.st_ino, set()).add(bt.st_ino)
for src_ino, dst in inodes.items():
    assert len(dst) == 1, "hard link not kept"
print("rootfs matches:", len(a), "entries")
PY
}
umoci unpack --rootless --image store1:v1 bundle-gzip >/dev/null || fail "umoci unpack gzip"
compare_rootfs one/project bundle-gzip/rootfs
if umoci unpack --rootless --image store1:z1 bundle-zstd >umoci-zstd.log 2>&1; then
  compare_rootfs one/project bundle-zstd/rootfs
else
  # umoci 0.4.7 (Debian 12) predates zstd layers: let skopeo (Go's zstd reader) decompress
  # the layer into a gzip copy, and compare what umoci unpacks from that.
  grep -q "tar+zstd" umoci-zstd.log || { cat umoci-zstd.log; fail "umoci unpack zstd"; }
  skopeo copy -q --dest-compress --dest-compress-format gzip oci:store1:z1 oci:via-go:z1 ||
    fail "skopeo could not decompress the zstd layer"
  umoci unpack --rootless --image via-go:z1 bundle-zstd >/dev/null || fail "umoci unpack (zstd via skopeo)"
  compare_rootfs one/project bundle-zstd/rootfs
fi
# Go's gzip reader on the parallel gzip stream: skopeo recompresses it as zstd.
skopeo copy -q --dest-compress --dest-compress-format zstd oci:store1:v1 oci:via-go:g1 ||
  fail "skopeo could not decompress the gzip layer"
zdigest=$(json_get "$z1" layer)
[ "sha256:$(zstd -dc -q "store1/blobs/sha256/${zdigest#sha256:}" | sha256sum | cut -d' ' -f1)" = "$(json_get "$z1" diff_id)" ] ||
  fail "zstd -d of the layer does not give the diff_id"

# --- Python's gzip and tarfile -----------------------------------------------------------------
$PY - "store1/blobs/sha256/$(json_get "$r1" layer | cut -d: -f2)" "$(json_get "$r1" diff_id)" <<'PY'
import gzip, hashlib, io, sys, tarfile
raw = open(sys.argv[1], "rb").read()
tar = gzip.decompress(raw)
assert "sha256:" + hashlib.sha256(tar).hexdigest() == sys.argv[2], "diff_id mismatch"
names = []
with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as t:
    for m in t:
        assert m.uid == 0 and m.gid == 0 and m.uname == "" and m.gname == "", m.name
        assert m.mtime == 0, (m.name, m.mtime)
        names.append(m.name)
assert names == sorted(names), "entries not sorted"
for i, n in enumerate(names):
    parent = n.rsplit("/", 1)[0] if "/" in n else None
    assert parent is None or parent in names[:i], ("parent after child", n)
assert any(len(n) > 100 for n in names), "no long name exercised"
print("python gzip+tarfile:", len(names), "entries, sorted, parents first")
PY

# --- a build killed mid-layer -------------------------------------------------------------------
# The build stops itself once its temp blob holds 8 MiB (MLBOX_TEST_PAUSE, util/fault_point.h),
# so the kill lands mid-write however fast the machine is.
mkdir -p big
head -c 60000000 /dev/urandom >big/data.bin
MLBOX_TEST_PAUSE=blob-write:8388608 MLBOX_TEST_PAUSE_FILE="$WORK/paused" \
  "$TOOL" image --store store1 --tag big --src big --threads 2 >/dev/null 2>&1 &
pid=$!; pids+=("$pid")
for _ in $(seq 1 1200); do
  [ -s "$WORK/paused" ] && break
  kill -0 "$pid" 2>/dev/null || fail "the build exited before its pause point"
  sleep 0.1
done
[ "$(cat "$WORK/paused" 2>/dev/null)" = "$pid" ] || fail "the build never reached its pause point (120 s)"
temp=$(ls store1/.tmp/blob-* 2>/dev/null) || fail "the paused build has no temp blob"
[ "$(stat -c %s $temp)" -ge 8388608 ] || fail "the temp blob holds less than the pause point"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
ls store1/.tmp/blob-* >/dev/null 2>&1 || fail "the killed build left no temp blob"
if grep -q '"big"' store1/index.json; then fail "a killed build tagged its image"; fi
skopeo inspect oci:store1:v1 >/dev/null || fail "store unusable after a killed build"
$PY -c 'import json; json.load(open("store1/index.json"))' || fail "index.json damaged"
r3=$("$TOOL" image --store store1 --tag v2 --src one/project --prefix app --block-size 262144)
[ "$(json_get "$r3" manifest)" = "$(json_get "$r1" manifest)" ] || fail "rebuild after kill differs"
if ls store1/.tmp/blob-* >/dev/null 2>&1; then fail "stale temp blob not cleaned"; fi
for b in store1/blobs/sha256/*; do
  [ "$(sha256sum "$b" | cut -d' ' -f1)" = "$(basename "$b")" ] || fail "blob $b does not match its name"
done
umoci unpack --rootless --image store1:v2 bundle-after >/dev/null || fail "umoci after kill"
echo "killed build: temp blob left, ignored, cleaned; store still valid"
echo "PASS"
