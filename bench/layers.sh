#!/usr/bin/env bash
# Layering by stability, on three layouts of the same vendored Python tree
# (tests/fixtures/make_layout.py: top = deps/python3/... at the top level, src = the same tree
# inside src/ beside the code, deep = 240 small packages at pkgs/a/b/pkg_NNN): mlbox's native
# builder against `buildah bud --isolation chroot --layers` (vfs storage) of the Dockerfile
# `mlbox dockerfile` generates, followed by `buildah push oci:` so both end with a compressed
# OCI image, in the same run. Cases per layout: cold build (gzip) and the rebuild after a
# one-line change to one code file (src/mod_07.py). Prints seconds, the layers mlbox rebuilt
# and ratios (buildah / mlbox: > 1 means mlbox is faster). Not a test.
#
#   bench/layers.sh [BUILD_DIR] [VENDORED_MB] [LAYOUTS]
#
# MLBOX_LEVEL=N passes --level N to mlbox's builds (the default is gzip level 6).
# MAKE_LAYOUT_SO=system fills the vendored shared objects with this machine's own libraries
# (compressible machine code) instead of random bytes (tests/fixtures/make_layout.py).
# MLBOX_BEFORE=PATH adds another mlbox binary (an older build) on the same trees, in the same
# run: cold build and the same one-line rebuild, in its own copy of the project.
set -euo pipefail
BUILD=$(realpath "${1:-build}")
MB=${2:-300}
LAYOUTS=${3:-"top src deep"}
SRC=$(cd "$(dirname "$0")/.." && pwd)
MLBOX="$BUILD/mlbox"
[ -x "$MLBOX" ] || { echo "build it first: ninja -C $BUILD mlbox" >&2; exit 1; }
TRAINER=${MLBOX_TRAINER:-$(type -P true)}
for t in buildah skopeo umoci; do command -v $t >/dev/null || { echo "needs $t" >&2; exit 1; }; done
WORK="${TMPDIR:-/var/tmp}/mlbox-bench-layers.$$"
rm -rf "$WORK"
mkdir -p "$WORK"
export MLBOX_HOME="$WORK/mlbox-home" STORAGE_DRIVER=vfs
export CONTAINERS_STORAGE_CONF="$WORK/storage.conf"
cleanup() {
  buildah rm --all >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fresh_storage() {
  buildah rm --all >/dev/null 2>&1 || true
  rm -rf "$WORK/storage" "$WORK/runroot"
  printf '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n' \
    "$WORK/storage" "$WORK/runroot" >"$WORK/storage.conf"
}
fresh_storage
BASE=$(bash "$SRC/tests/fixtures/make_busybox_stub_python_base.sh" "$WORK/bases")
echo "machine: $(nproc) cores; vendored tree: $MB MB; trainer: $TRAINER"

declare -A T SIZES
timeit() { # NAME CMD...
  local name=$1; shift
  local l0 t0 t1
  l0=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(date +%s.%N)
  "$@" >"$WORK/$name.log" 2>&1 || { tail -20 "$WORK/$name.log"; echo "FAILED: $name" >&2; exit 1; }
  t1=$(date +%s.%N)
  T[$name]=$(echo "$t1 - $t0" | bc -l)
  printf '%-26s %8.2f s   (load %s -> %s)\n' "$name" "${T[$name]}" "$l0" "$(cut -d' ' -f1 /proc/loadavg)"
}
LEVEL_ARGS=()
[ -n "${MLBOX_LEVEL:-}" ] && LEVEL_ARGS=(--level "$MLBOX_LEVEL")
mlbox_build() { # DIR OUT.json
  (cd "$1" && "$MLBOX" --json build --compression gzip "${LEVEL_ARGS[@]}" --trainer "$TRAINER" >"$2")
}
buildah_build() { # DIR OCI_DIR
  buildah bud --isolation chroot --layers -q -f "$1/.mlbox/Dockerfile" -t localhost/bench:latest \
    "$1/.mlbox/context" &&
    buildah push -q --compression-format gzip localhost/bench:latest "oci:$2:latest"
}
ratio() { echo "scale=1; ${T[$1]} / ${T[$2]}" | bc -l; }
made() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(", ".join((l["role"]+" "+l.get("path","")).strip() for l in d["layers"] if l["rebuilt"]))' "$1"; }

for layout in $LAYOUTS; do
  P="$WORK/p-$layout"
  python3 "$SRC/tests/fixtures/make_layout.py" "$layout" "$P" "$MB"
  cat >"$P/mlbox.yaml" <<YAML
name: bench-layers
python:
  version: "3.11"
image:
  base: "$BASE"
train:
  command: ["python3.11", "train.py"]
YAML
  # The Dockerfile's context gets the same trainer as mlbox's builds, bundled here (once per
  # MLBOX_HOME), so neither side's timing includes the bundling.
  (cd "$P" && "$MLBOX" -q freeze --no-index >/dev/null &&
    MLBOX_TRAINER="$TRAINER" "$MLBOX" -q dockerfile >/dev/null &&
    rm -f .mlbox/secret-scan-cache.json)  # mlbox's cold build scans like a first build
  cat $(find "$P" -type f) >/dev/null  # warm the page cache
  echo "--- $layout: $(du -sb "$P" | cut -f1) bytes in $(find "$P" -type f | wc -l) files"
  fresh_storage
  timeit "mlbox_cold_$layout" mlbox_build "$P" "$WORK/cold.json"
  echo "  mlbox layers: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(", ".join((l["role"]+" "+l.get("path","")).strip() for l in d["layers"] if l["role"] != "base"))' "$WORK/cold.json")"
  if [ -n "${MLBOX_BEFORE:-}" ]; then
    cp -a "$P" "$P-before" && rm -rf "$P-before/.mlbox/oci" "$P-before/.mlbox/layer-cache.json"
    timeit "before_cold_$layout" env MLBOX="$MLBOX_BEFORE" bash -c \
      'cd "$0" && "$MLBOX" --json build --compression gzip --trainer "$1" >"$2"' "$P-before" "$TRAINER" "$WORK/before.json"
    echo "# one more line" >>"$P-before/src/mod_07.py"
    timeit "before_rebuild_$layout" env MLBOX="$MLBOX_BEFORE" bash -c \
      'cd "$0" && "$MLBOX" --json build --compression gzip --trainer "$1" >"$2"' "$P-before" "$TRAINER" "$WORK/before.json"
    echo "  before rebuilt: $(made "$WORK/before.json")"
    rm -rf "$P-before"
  fi
  timeit "buildah_cold_$layout" buildah_build "$P" "$WORK/out-$layout"
  SIZES[$layout]="mlbox $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(l["size"] for l in d["layers"] if l["role"] != "base"))' "$WORK/cold.json") B, buildah $(python3 -c 'import json,sys,os; r=sys.argv[1]; i=json.load(open(r+"/index.json")); m=json.load(open(r+"/blobs/sha256/"+i["manifests"][0]["digest"][7:])); print(sum(l["size"] for l in m["layers"][2:]))' "$WORK/out-$layout") B"
  echo "# one more line" >>"$P/src/mod_07.py"
  timeit "mlbox_rebuild_$layout" mlbox_build "$P" "$WORK/rebuild.json"
  echo "  mlbox rebuilt: $(made "$WORK/rebuild.json")"
  timeit "buildah_rebuild_$layout" buildah_build "$P" "$WORK/out-$layout"
  skopeo inspect "oci:$P/.mlbox/oci:latest" >/dev/null
  rm -rf "$P" "$WORK/out-$layout"
done

echo
for layout in $LAYOUTS; do
  printf '%-5s cold gzip  buildah/mlbox: %6sx   (%.2f s / %.2f s)\n' "$layout" \
    "$(ratio "buildah_cold_$layout" "mlbox_cold_$layout")" "${T[buildah_cold_$layout]}" "${T[mlbox_cold_$layout]}"
  printf '%-5s cold layers above the base, compressed: %s\n' "$layout" "${SIZES[$layout]}"
  printf '%-5s rebuild    buildah/mlbox: %6sx   (%.2f s / %.2f s)\n' "$layout" \
    "$(ratio "buildah_rebuild_$layout" "mlbox_rebuild_$layout")" "${T[buildah_rebuild_$layout]}" "${T[mlbox_rebuild_$layout]}"
  if [ -n "${MLBOX_BEFORE:-}" ]; then
    printf '%-5s rebuild    before/after:  %6sx   (%.2f s / %.2f s)\n' "$layout" \
      "$(ratio "before_rebuild_$layout" "mlbox_rebuild_$layout")" "${T[before_rebuild_$layout]}" "${T[mlbox_rebuild_$layout]}"
  fi
done
