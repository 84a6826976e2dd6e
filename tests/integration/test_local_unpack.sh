#!/usr/bin/env bash
# The local backend's rootfs cache against umoci: the same hand-made images (python tarfile,
# gzip / zstd / plain layers, whiteouts, an opaque directory, symlinked parents, hard links)
# unpack to identical trees; a corrupt blob, a full disk and escaping entries fail cleanly.
source "$(dirname "$0")/lib.sh"
TOOL="$MLBOX_BUILD_DIR/tests/mlbox_local_tool"
HAND="$MLBOX_SOURCE_DIR/tests/integration/local/oci_by_hand.py"
LIST="$MLBOX_SOURCE_DIR/tests/integration/local/tree_listing.py"
[ -x "$TOOL" ] || fail "build mlbox_local_tool first ($TOOL)"
STORE="$WORK/oci"
CACHE="$WORK/cache"

cat >"$WORK/base.json" <<'JSON'
{"layers": [
  {"compression": "gzip", "entries": [
    {"path": "etc", "type": "dir"},
    {"path": "etc/hostname", "data": "base\n"},
    {"path": "etc/secret", "data": "s\n", "mode": "0600", "uid": 1000, "gid": 1000},
    {"path": "usr", "type": "dir"}, {"path": "usr/lib", "type": "dir"},
    {"path": "usr/lib/libx.so", "data": "ELF", "mode": "0755"},
    {"path": "lib", "type": "symlink", "target": "usr/lib"},
    {"path": "abs", "type": "symlink", "target": "/etc"},
    {"path": "bin", "type": "dir"},
    {"path": "bin/tool", "size": 70000, "mode": "4755"},
    {"path": "bin/tool-link", "type": "hardlink", "target": "bin/tool", "mode": "4755"},
    {"path": "a", "type": "dir"}, {"path": "a/keep", "data": "keep"},
    {"path": "a/gone", "data": "gone"}, {"path": "a/gonedir", "type": "dir"},
    {"path": "a/gonedir/f", "data": "x"},
    {"path": "a/.wh.nothing-below", "type": "file"},
    {"path": "opq", "type": "dir", "mode": "0700"},
    {"path": "opq/old", "data": "old"}, {"path": "opq/sub", "type": "dir"},
    {"path": "opq/sub/older", "data": "older"},
    {"path": "replace-me", "data": "file"},
    {"path": "empty", "type": "dir", "mode": "0711"}
  ]},
  {"compression": "gzip", "entries": [
    {"path": "a/gone", "type": "whiteout"},
    {"path": "a/gonedir", "type": "whiteout"},
    {"path": "opq/new", "data": "new"},
    {"path": "opq", "type": "opaque"},
    {"path": "opq/sub2", "type": "dir"}, {"path": "opq/sub2/n", "data": "n"},
    {"path": "lib/through-symlink", "data": "lands in usr/lib"},
    {"path": "abs/through-absolute", "data": "lands in etc"},
    {"path": "replace-me", "type": "dir"},
    {"path": "replace-me/inside", "data": "now a dir"},
    {"path": "etc/hostname", "data": "layer2\n", "mode": "0640"}
  ]},
  {"compression": "none", "entries": [
    {"path": "opq/new", "type": "whiteout"},
    {"path": "usr/lib/libx.so", "type": "symlink", "target": "libx.so.1"},
    {"path": "usr/lib/libx.so.1", "data": "ELF1"}
  ]}
]}
JSON
python3 "$HAND" "$STORE" base "$WORK/base.json" >/dev/null
# The same layers with the second one zstd-compressed (umoci 0.4.7 cannot read zstd: this one
# is compared with mlbox's own unpack of the gzip image).
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); s["layers"][1]["compression"]="zstd"; json.dump(s,sys.stdout)' \
  "$WORK/base.json" >"$WORK/base-zstd.json"
python3 "$HAND" "$STORE" base-zstd "$WORK/base-zstd.json" >/dev/null

compare_with_umoci() {  # TAG TREE
  rm -rf "$WORK/umoci-bundle"
  umoci unpack --image "$STORE:$1" "$WORK/umoci-bundle" >/dev/null 2>"$WORK/umoci.err" ||
    { cat "$WORK/umoci.err" >&2; fail "umoci unpack $1"; }
  python3 "$LIST" "$WORK/umoci-bundle/rootfs" >"$WORK/want.txt"
  python3 "$LIST" "$2" >"$WORK/got.txt"
  diff -u "$WORK/want.txt" "$WORK/got.txt" >&2 || fail "$1: tree differs from umoci unpack"
  [ "$(wc -l <"$WORK/want.txt")" -gt 10 ] || fail "$1: listing suspiciously small"
}

out=$("$TOOL" unpack --store "$STORE" --tag base --cache "$CACHE")
dir=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["dir"])' <<<"$out")
grep -q '"layers_applied":3' <<<"$out" || fail "expected 3 layers applied: $out"
compare_with_umoci base "$dir"
# Spot checks, independent of umoci.
[ ! -e "$dir/a/gone" ] && [ ! -e "$dir/a/gonedir" ] || fail "whiteouts not applied"
[ ! -e "$dir/opq/old" ] && [ ! -e "$dir/opq/sub" ] && [ -f "$dir/opq/sub2/n" ] || fail "opaque dir"
[ ! -e "$dir/opq/new" ] || fail "whiteout of a file from the layer below"
[ -f "$dir/usr/lib/through-symlink" ] && [ -f "$dir/etc/through-absolute" ] || fail "symlinked parents"
[ ! -e "$dir/a/.wh.nothing-below" ] || fail "whiteout file materialised"
[ "$(stat -c %h "$dir/bin/tool")" = 2 ] || fail "hard link lost"
pass "3-layer image (gzip, gzip, plain; whiteouts, opaque dir, symlinked parents) == umoci unpack"

outz=$("$TOOL" unpack --store "$STORE" --tag base-zstd --cache "$WORK/cache-zstd")
dirz=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["dir"])' <<<"$outz")
python3 "$LIST" "$dirz" >"$WORK/zstd.txt"
diff -u "$WORK/got.txt" "$WORK/zstd.txt" >&2 || fail "zstd layer unpacks differently from gzip"
pass "zstd layer: same tree as the gzip one"

out2=$("$TOOL" unpack --store "$STORE" --tag base --cache "$CACHE")
grep -q '"cached":true' <<<"$out2" || fail "second unpack not served from the cache: $out2"
pass "second unpack served from the cache"

# An image extending the cached one starts from a copy of it and applies one layer.
python3 - "$WORK/base.json" "$WORK/child.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["layers"].append({"compression": "gzip", "entries": [
    {"path": "etc", "type": "opaque"}, {"path": "etc/only", "data": "only"}]})
json.dump(spec, open(sys.argv[2], "w"))
PY
python3 "$HAND" "$STORE" child "$WORK/child.json" >/dev/null
# The child's first three layers are random-sized files regenerated: rebuild with same bytes.
python3 - "$STORE" <<'PY'
import json, sys, os
store = sys.argv[1]
idx = json.load(open(os.path.join(store, "index.json")))
def manifest(tag):
    m = [x for x in idx["manifests"] if x["annotations"]["org.opencontainers.image.ref.name"] == tag][0]
    return json.load(open(os.path.join(store, "blobs/sha256", m["digest"][7:])))
base, child = manifest("base"), manifest("child")
# Point the child's first layers at the base's blobs so the chains really are shared.
cfg_path = os.path.join(store, "blobs/sha256", child["config"]["digest"][7:])
base_cfg = json.load(open(os.path.join(store, "blobs/sha256", base["config"]["digest"][7:])))
cfg = json.load(open(cfg_path))
cfg["rootfs"]["diff_ids"][:3] = base_cfg["rootfs"]["diff_ids"]
child["layers"][:3] = base["layers"]
import hashlib
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(store, "blobs/sha256", d), "wb").write(data)
    return "sha256:" + d, len(data)
child["config"]["digest"], child["config"]["size"] = put(json.dumps(cfg, sort_keys=True).encode())
md, mn = put(json.dumps(child, sort_keys=True).encode())
for m in idx["manifests"]:
    if m["annotations"]["org.opencontainers.image.ref.name"] == "child":
        m["digest"], m["size"] = md, mn
json.dump(idx, open(os.path.join(store, "index.json"), "w"))
PY
out3=$("$TOOL" unpack --store "$STORE" --tag child --cache "$CACHE")
grep -q '"layers_applied":1' <<<"$out3" || fail "child image should apply one layer: $out3"
dir3=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["dir"])' <<<"$out3")
compare_with_umoci child "$dir3"
[ -f "$dir/etc/hostname" ] || fail "extending the cached tree modified it"
pass "image extending a cached chain: one layer applied, tree == umoci"

# A corrupt blob: clear error naming the digest, nothing left in the cache.
cp -a "$STORE" "$WORK/bad"
layer=$(python3 -c 'import json,sys,os; s=sys.argv[1]; i=json.load(open(s+"/index.json"))
m=[x for x in i["manifests"] if x["annotations"]["org.opencontainers.image.ref.name"]=="base"][0]
print(json.load(open(s+"/blobs/sha256/"+m["digest"][7:]))["layers"][2]["digest"])' "$WORK/bad")
python3 - "$WORK/bad/blobs/sha256/${layer#sha256:}" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[700] ^= 0x20; open(p, "wb").write(bytes(b))
PY
expect_rc 3 "$TOOL" unpack --store "$WORK/bad" --tag base --cache "$WORK/cache-bad"
grep -q "$layer" "$WORK/stderr" || { cat "$WORK/stderr"; fail "error does not name $layer"; }
grep -q "does not match its digest" "$WORK/stderr" || fail "no digest message"
[ -z "$(ls -A "$WORK/cache-bad/.tmp")" ] && [ "$(ls "$WORK/cache-bad")" = "" ] ||
  fail "corrupt unpack left something in the cache: $(ls -A "$WORK/cache-bad" "$WORK/cache-bad/.tmp")"
pass "corrupt layer: exit 3 naming $layer, cache clean"

# A full disk (tmpfs of 1 MiB): error with ENOSPC, nothing half-written left.
cat >"$WORK/big.json" <<'JSON'
{"layers": [{"compression": "gzip", "entries": [{"path": "big", "size": 3000000}]}]}
JSON
python3 "$HAND" "$WORK/big" big "$WORK/big.json" >/dev/null
mkdir -p "$WORK/small"
mount -t tmpfs -o size=1m tmpfs "$WORK/small"
cleanup_hooks+=("umount '$WORK/small'")
expect_rc 1 "$TOOL" unpack --store "$WORK/big" --tag big --cache "$WORK/small/cache"
grep -qi "no space left" "$WORK/stderr" || { cat "$WORK/stderr"; fail "ENOSPC not reported"; }
[ -z "$(ls -A "$WORK/small/cache/.tmp")" ] && [ "$(ls "$WORK/small/cache")" = "" ] ||
  fail "full disk left a partial tree"
pass "disk full: clear error, cache clean"

# Entries escaping the root: '..' is refused; symlinks (absolute and relative) stay inside.
mkdir -p "$WORK/host-target"
cat >"$WORK/evil.json" <<JSON
{"layers": [
  {"compression": "gzip", "entries": [
    {"path": "evil-abs", "type": "symlink", "target": "$WORK/host-target"},
    {"path": "evil-rel", "type": "symlink", "target": "../../../../../../../../$WORK/host-target"}]},
  {"compression": "gzip", "entries": [
    {"path": "evil-abs/pwned-abs", "data": "x"},
    {"path": "evil-rel/pwned-rel", "data": "x"}]}
]}
JSON
python3 "$HAND" "$WORK/evil" evil "$WORK/evil.json" >/dev/null
out=$("$TOOL" unpack --store "$WORK/evil" --tag evil --cache "$CACHE")
[ -z "$(ls -A "$WORK/host-target")" ] || fail "an entry escaped the root into $WORK/host-target"
dir=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["dir"])' <<<"$out")
[ -f "$dir/$WORK/host-target/pwned-abs" ] && [ -f "$dir/$WORK/host-target/pwned-rel" ] ||
  fail "symlinked parents were not resolved inside the root"
cat >"$WORK/dotdot.json" <<'JSON'
{"layers": [{"compression": "none", "entries": [{"path": "../../escaped", "data": "x"}]}]}
JSON
python3 "$HAND" "$WORK/dotdot" dotdot "$WORK/dotdot.json" >/dev/null
expect_rc 3 "$TOOL" unpack --store "$WORK/dotdot" --tag dotdot --cache "$CACHE"
grep -q "escapes the image root" "$WORK/stderr" || { cat "$WORK/stderr"; fail "'..' not refused"; }
[ ! -e "$WORK/escaped" ] && [ ! -e "$CACHE/escaped" ] || fail "'..' entry written outside"
pass "escaping entries: '..' refused, symlinked parents stay inside the root"
