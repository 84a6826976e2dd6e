#!/usr/bin/env bash
# The secret scanner in front of layer writing: a project holding the generated corpus (one
# secret per case, of 30+ kinds: keys after 8 MiB and after NUL bytes, YAML and .env values,
# token formats, Kubernetes Secrets, secrets inside tar.gz/zip/nested archives) next to
# ordinary training code is refused with exit 3, each file named with its member, line,
# kind and a redacted excerpt, and nothing is written to the store; listing the files in
# allow_secrets lets the build through; the look-alike corpus and, when installed, the Python
# standard library pass untouched.
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
[ "$n" -ge 45 ] || fail "corpus has only $n cases"

set +e
"$TOOL" image --context --store store --tag v1 --src proj >out.txt 2>err.txt
rc=$?
set -e
[ "$rc" -eq 3 ] || { cat err.txt; fail "expected exit 3, got $rc"; }
missed=0
while IFS=$'\t' read -r name file kind member; do
  line=$(grep -F "  $file: " err.txt | head -1 || true)
  if [ -z "$line" ]; then
    echo "missed: $file ($name, $kind)" >&2
    missed=$((missed + 1))
    continue
  fi
  grep -F "  $file: " err.txt | grep -qF "($kind)" || fail "$file not reported as $kind: $line"
  if [ -n "$member" ]; then
    grep -F "  $file: " err.txt | grep -qF "member $member" || fail "$file: no member $member: $line"
  fi
done <corpus/cases.tsv
[ "$missed" -eq 0 ] || fail "$missed of $n cases not refused"
grep -q "allow_secrets" err.txt || fail "no hint about allow_secrets"
grep -q 'line [0-9]' err.txt || fail "no line numbers"
grep -q '\*\*\*\*' err.txt || fail "no redacted excerpts"
# Never the secret: no 12-character piece of a generated value reaches the message.
for f in proj/.env proj/config/db.yaml proj/svc/.env proj/billing.py proj/ci/release.py; do
  val=$(grep -oE '[=:] *"?[A-Za-z0-9_-]{14,}' "$f" | head -1 | sed -E 's/^[=:] *"?//')
  [ -n "$val" ] || fail "no value found in $f"
  piece=${val:2:12}
  if grep -qF -- "$piece" err.txt; then fail "the secret of $f leaked into the message"; fi
done
if [ -n "$(ls store/blobs/sha256 2>/dev/null)" ]; then fail "blobs written despite the refusal"; fi
echo "refused: $(grep -c '^  [^ ]' err.txt) findings for $n cases, exit 3, nothing written"

# Each file allowed on its own still leaves the others refused.
first=$(head -1 corpus/cases.tsv | cut -f2)
set +e
"$TOOL" image --context --store store --tag v1 --src proj --allow-secret "$first" >/dev/null 2>err2.txt
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "allowing one file let all through"
grep -qF "  $first: " err2.txt && fail "allowed file $first still reported"

allow=()
while IFS=$'\t' read -r name file kind member; do allow+=(--allow-secret "$file"); done <corpus/cases.tsv
"$TOOL" image --context --store store --tag v1 --src proj "${allow[@]}" >out.txt ||
  fail "build refused although every secret is allowed"
[ -n "$(ls store/blobs/sha256)" ] || fail "allowed build wrote no blobs"
"$TOOL" scan corpus/clean >/dev/null || fail "look-alikes reported as secrets"
# A realistic clean tree: the Python standard library has no secrets (false positives: 0).
for stdlib in /usr/lib/python3.11 /usr/lib/python3; do
  if [ -d "$stdlib" ]; then
    "$TOOL" scan "$stdlib" >stdlib.txt 2>&1 || { cat stdlib.txt; fail "findings in $stdlib"; }
    echo "$stdlib: $(cat stdlib.txt)"
    break
  fi
done
echo "PASS"
