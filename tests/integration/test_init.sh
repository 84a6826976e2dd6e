#!/usr/bin/env bash
# mlbox init and mlbox config --explain, black-box, in a temporary project.
set -euo pipefail
: "${MLBOX:?path of the mlbox binary}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config"
unset XDG_DATA_HOME MLBOX_HOME MLBOX_REGION MLBOX_TARGET MLBOX_NODES MLBOX_JOBS || true
mkdir -p "$HOME/.config/mlbox" "$work/proj"
cd "$work/proj"

fail() { echo "FAIL: $*" >&2; exit 1; }
mlbox() { timeout 30 "$MLBOX" "$@" </dev/null; }

# A small PyTorch project.
printf 'torch==2.3.1\nnumpy\n' > requirements.txt
printf 'import torch\n\nif __name__ == "__main__":\n    print("hi")\n' > train.py
printf 'import torch.nn as nn\n' > model.py

# 1. init writes a commented mlbox.yaml without prompting (stdin is not a TTY).
mlbox init > out.txt 2> err.txt || fail "init exited $?: $(cat err.txt)"
[ -f mlbox.yaml ] || fail "mlbox.yaml not written"
grep -q '^name: proj$' mlbox.yaml || fail "name not filled: $(head -20 mlbox.yaml)"
grep -q '^  requirements: requirements.txt$' mlbox.yaml || fail "requirements not filled"
grep -q '^  name: pytorch' mlbox.yaml || fail "framework not detected"
grep -q '^  version: "2.3.1"$' mlbox.yaml || fail "framework version not taken from the pin"
grep -q '^  command: \["python", "train.py"\]$' mlbox.yaml || fail "entry not detected"
grep -q '^# ' mlbox.yaml || fail "no comments in mlbox.yaml"
grep -q 'wrote .*mlbox.yaml' out.txt || fail "init did not say what it wrote: $(cat out.txt)"
grep -q '{{' mlbox.yaml && fail "placeholder left in mlbox.yaml"

# 2. init refuses to overwrite without --force: exit 3, file untouched.
cp mlbox.yaml before.yaml
echo "# my edit" >> mlbox.yaml
cp mlbox.yaml edited.yaml
set +e
mlbox init > out.txt 2> err.txt
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "init over an existing mlbox.yaml exited $rc, expected 3"
grep -q 'already exists' err.txt || fail "no 'already exists' message: $(cat err.txt)"
grep -q -- '--force' err.txt || fail "the message does not mention --force: $(cat err.txt)"
cmp -s mlbox.yaml edited.yaml || fail "mlbox.yaml changed although init refused"

# 3. --force with overrides rewrites it.
mlbox init --force --framework tensorflow --entry model.py --yes > /dev/null 2> err.txt \
  || fail "init --force failed: $(cat err.txt)"
grep -q '^  name: tensorflow' mlbox.yaml || fail "--framework not applied"
grep -q '^  command: \["python", "model.py"\]$' mlbox.yaml || fail "--entry not applied"
grep -q '# my edit' mlbox.yaml && fail "--force did not replace the file"
set +e
mlbox init --force --entry missing.py > /dev/null 2> err.txt
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--entry of a missing file exited $rc, expected 2"
grep -q 'missing.py' err.txt || fail "missing entry not named: $(cat err.txt)"
cp before.yaml mlbox.yaml

# --json: one JSON value on stdout.
rm -f mlbox.yaml
mlbox --json init > init.json 2> err.txt || fail "init --json failed: $(cat err.txt)"
python3 -c 'import json,sys; d=json.load(open("init.json")); assert d["framework"]=="pytorch" and d["entry"]=="train.py", d' \
  || fail "init --json output: $(cat init.json)"

# 4. config --explain shows where each value came from, at every level.
printf 'name: proj\nresources:\n  nodes: 2\ntrain:\n  command: python train.py\n' > mlbox.yaml
printf 'compression: zstd\nregion: us-west1\n' > "$HOME/.config/mlbox/config.yaml"
MLBOX_JOBS=7 mlbox config --explain --builder docker > explain.txt 2> err.txt \
  || fail "config --explain failed: $(cat err.txt)"
row() { grep -E "^$1 " explain.txt || fail "no row for $1 in: $(cat explain.txt)"; }
row nodes | grep -q 'mlbox.yaml  *mlbox.yaml:3:3' || fail "nodes: $(row nodes)"
row jobs | grep -q 'env  *env MLBOX_JOBS' || fail "jobs: $(row jobs)"
row builder | grep -q 'flag  *--builder' || fail "builder: $(row builder)"
row compression | grep -q 'user config  *~/.config/mlbox/config.yaml:1:1' \
  || fail "compression: $(row compression)"
row region | grep -q 'us-west1' || fail "region: $(row region)"
row target | grep -q 'local  *default  *default' || fail "target: $(row target)"
MLBOX_NODES=5 mlbox --json config nodes > nodes.json
python3 -c 'import json; d=json.load(open("nodes.json")); assert d=={"value":5,"source":"env","origin":"env MLBOX_NODES"}, d' \
  || fail "config --json nodes: $(cat nodes.json)"

# 5. A broken mlbox.yaml: exit 3, mlbox.yaml:LINE:COL on stderr, nothing written.
printf 'name: proj\nresources:\n  gpus: T4:1\n  nodes: zero\n' > mlbox.yaml
snapshot() { find . -path ./err.txt -prune -o -path ./out.txt -prune -o -type f -print | sort | xargs sha256sum; }
before=$(snapshot)
set +e
mlbox config > out.txt 2> err.txt
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "broken mlbox.yaml exited $rc, expected 3"
grep -q "mlbox.yaml:3:3: unknown key 'gpus' in 'resources'.*did you mean 'gpu'" err.txt \
  || fail "no LINE:COL for the unknown key: $(cat err.txt)"
grep -q "mlbox.yaml:4:10: resources.nodes is 'zero', expected an integer >= 1" err.txt \
  || fail "no LINE:COL for the bad value: $(cat err.txt)"
[ ! -s out.txt ] || fail "stdout not empty on error: $(cat out.txt)"
[ "$before" = "$(snapshot)" ] || fail "files changed although mlbox.yaml is invalid"
[ ! -e .mlbox ] || fail ".mlbox created although mlbox.yaml is invalid"
printf 'name: proj\ntrain:\n  command: [python, train.py\n' > mlbox.yaml
set +e
mlbox config 2> err.txt > /dev/null
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "YAML syntax error exited $rc, expected 3"
grep -qE 'mlbox.yaml:[0-9]+:[0-9]+: invalid YAML' err.txt || fail "syntax error: $(cat err.txt)"

echo "test_init: ok"
