#!/usr/bin/env bash
# The secret scanner in front of layer writing: a project holding the generated corpus (26
# secrets of 22 kinds next to ordinary training code) is refused with exit 3, each file
# named with its reason, and nothing is written to the store; listing the files in
# allow_secrets lets the build through; the look-alike corpus passes untouched.
set -euo pipefail
TOOL=${MLBOX_BUILD_DIR:?}/tests/mlbox_image_tool
SRC=${MLBOX_SOURCE_DIR:?}
[ -x "$TOOL" ] || { echo "missing $TOOL (ninja mlbox_image_tool)"; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
fail() { echo "FAIL: $*" >&2; exit 1; }

bash "$SRC/tests/fixtures/secrets/make_corpus.sh" corpus
mkdir -p proj
for c in corpus/cases/*/; do cp -a "$c." proj/; done
printf 'import torch\nprint("training")\n' >proj/model.py
n=$(wc -l <corpus/cases.tsv)
[ "$n" -ge 15 ] || fail "corpus has only $n cases"

set +e
"$TOOL" image --context --store store --tag v1 --src proj >out.txt 2>err.txt
rc=$?
set -e
[ "$rc" -eq 3 ] || { cat err.txt; fail "expected exit 3, got $rc"; }
while IFS=$'\t' read -r name file kind; do
  grep -qF "  $file: " err.txt || fail "refusal does not name $file ($name)"
  grep -F "  $file: " err.txt | grep -qF "($kind)" || fail "$file not reported as $kind"
done <corpus/cases.tsv
grep -q "allow_secrets" err.txt || fail "no hint about allow_secrets"
if [ -n "$(ls store/blobs/sha256 2>/dev/null)" ]; then fail "blobs written despite the refusal"; fi
echo "refused: $(grep -c '^  ' err.txt) files, exit 3, nothing written"

# Each file allowed on its own still leaves the others refused.
first=$(head -1 corpus/cases.tsv | cut -f2)
set +e
"$TOOL" image --context --store store --tag v1 --src proj --allow-secret "$first" >/dev/null 2>err2.txt
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "allowing one file let all through"
grep -qF "  $first: " err2.txt && fail "allowed file $first still reported"

allow=()
while IFS=$'\t' read -r name file kind; do allow+=(--allow-secret "$file"); done <corpus/cases.tsv
"$TOOL" image --context --store store --tag v1 --src proj "${allow[@]}" >out.txt ||
  fail "build refused although every secret is allowed"
[ -n "$(ls store/blobs/sha256)" ] || fail "allowed build wrote no blobs"
"$TOOL" scan corpus/clean >/dev/null || fail "look-alikes reported as secrets"
echo "PASS"
