#!/usr/bin/env bash
# Layering by stability (issue #20), on three layouts of a vendored Python tree (top level,
# inside src/ beside the code, many small packages at depth 4; tests/fixtures/make_layout.py):
# the same tree in two folders at two times gives the same image; a one-line code change
# rebuilds exactly the code layer and a one-line vendored change exactly the layer holding
# that file (the --json per-layer counters, not timings).
source "$MLBOX_SOURCE_DIR/tests/integration/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
TRAINER=${MLBOX_TRAINER:-}
[ -n "$TRAINER" ] && [ -x "$TRAINER" ] || TRAINER=$(type -P true)
cd "$WORK"

umoci init --layout base >/dev/null
umoci new --image base:v1 >/dev/null
umoci unpack --rootless --image base:v1 bb >/dev/null
mkdir -p bb/rootfs/usr/bin
cp "$(type -P true)" bb/rootfs/usr/bin/python
umoci repack --image base:v1 bb >/dev/null
rm -rf bb

json() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
make_project() { # LAYOUT DIR
  $PY "$MLBOX_SOURCE_DIR/tests/fixtures/make_layout.py" "$1" "$2" 14
  cat >"$2/mlbox.yaml" <<YAML
name: layers-$1
python:
  version: "3.11"
train:
  command: python train.py
image:
  base: oci:$WORK/base:v1
YAML
}
build() { # DIR OUT.json
  (cd "$1" && "$MLBOX" --json build --trainer "$TRAINER" >"$2") || fail "build $1"
}
# rebuilt OUT.json: "role path" of each layer this build made.
rebuilt() { json "$1" '[(l["role"] + " " + l.get("path", "")).strip() for l in d["layers"] if l["rebuilt"]]'; }

for layout in top src deep; do
  make_project $layout one/$layout
  build one/$layout "$WORK/$layout-1.json"
  sleep 1  # other mtimes, another folder
  make_project $layout two/$layout
  build two/$layout "$WORK/$layout-2.json"
  [ "$(json $layout-1.json 'd["manifest"]')" = "$(json $layout-2.json 'd["manifest"]')" ] ||
    fail "$layout: the same tree in two folders gave two images"
  vendor=$(json $layout-1.json '[l["path"] for l in d["layers"] if l["role"] == "vendor"]')
  case $layout in
    top) want="['deps/python3/lib/python3.11/site-packages/*', 'deps/python3/lib/python3.11/site-packages/numpy', 'deps/python3/lib/python3.11/site-packages/torch']" ;;
    src) want="['src/deps/python3/lib/python3.11/site-packages/*', 'src/deps/python3/lib/python3.11/site-packages/numpy', 'src/deps/python3/lib/python3.11/site-packages/torch']" ;;
    deep) want="['pkgs']" ;;
  esac
  [ "$vendor" = "$want" ] || fail "$layout: stable layers $vendor, expected $want"
  # The code layer holds the code, not the vendored bytes.
  code_size=$(json $layout-1.json '[l["size"] for l in d["layers"] if l["role"] == "code"][0]')
  [ "$code_size" -lt 100000 ] || fail "$layout: code layer of $code_size bytes"
  # Built again unchanged: nothing is made.
  build one/$layout "$WORK/$layout-3.json"
  [ "$(rebuilt $layout-3.json)" = "[]" ] || fail "$layout: unchanged rebuild made $(rebuilt $layout-3.json)"
  pass "$layout: same digest from two folders at two times; stable layers $vendor"

  echo "# one more line" >>one/$layout/src/mod_07.py
  build one/$layout "$WORK/$layout-4.json"
  [ "$(rebuilt $layout-4.json)" = "['code']" ] ||
    fail "$layout: a one-line code change rebuilt $(rebuilt $layout-4.json)"
  case $layout in
    top) file=deps/python3/lib/python3.11/site-packages/small_pkg_03/m2.py; holder="vendor deps/python3/lib/python3.11/site-packages/*" ;;
    src) file=src/deps/python3/lib/python3.11/site-packages/numpy/core/mod_0005.py; holder="vendor src/deps/python3/lib/python3.11/site-packages/numpy" ;;
    deep) file=pkgs/a/b/pkg_117/m3.py; holder="vendor pkgs" ;;
  esac
  echo "x = 1" >>one/$layout/$file
  build one/$layout "$WORK/$layout-5.json"
  [ "$(rebuilt $layout-5.json)" = "['$holder']" ] ||
    fail "$layout: a one-line change to $file rebuilt $(rebuilt $layout-5.json), expected $holder"
  # The layers not rebuilt kept their digests.
  $PY - "$WORK/$layout-4.json" "$WORK/$layout-5.json" <<'PY' || fail "$layout: digests moved"
import json, sys
a, b = (json.load(open(p))["layers"] for p in sys.argv[1:])
assert len(a) == len(b)
moved = [(x["role"], x.get("path")) for x, y in zip(a, b) if x["digest"] != y["digest"]]
assert len(moved) == 1, moved
PY
  pass "$layout: a one-line change rebuilt exactly one layer (code: code layer; $file: $holder)"
done

# The image holds the tree as it is: the rootfs's /workspace is the project.
umoci unpack --rootless --image one/src/.mlbox/oci:latest bundle >/dev/null || fail "umoci unpack"
diff -r --exclude=.mlbox --exclude=mlbox.yaml one/src bundle/rootfs/workspace >/dev/null ||
  fail "the layered image's /workspace differs from the project"
pass "umoci unpacks the layered image; /workspace equals the project"
