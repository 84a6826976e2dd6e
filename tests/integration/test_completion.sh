#!/usr/bin/env bash
# mlbox completion bash|zsh|fish: scripts generated from the CLI11 definition. bash and fish
# are asked for completions the way the shells ask; zsh's script must parse (zsh -n).
source "$(dirname "$0")/lib.sh"

"$MLBOX" completion bash >"$WORK/mlbox.bash"
# complete WORDS...: what bash completes for the last word.
complete_bash() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _mlbox; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$WORK/mlbox.bash" "$@"
}
[ "$(complete_bash mlbox pu | sort | tr '\n' ' ')" = "pull push " ] || fail "bash: 'pu' -> $(complete_bash mlbox pu)"
# (Captured first: with pipefail, `producer | grep -q` fails when grep stops reading early.)
offers() { local out; out=$("${@:2}"); grep -qx -- "$1" <<<"$out"; }
offers --no-create complete_bash mlbox push --no || fail "bash: push --no-create not offered"
offers --follow complete_bash mlbox -C proj submit --fo || fail "bash: submit --follow after a global option"
offers --json complete_bash mlbox --js || fail "bash: global --json"
mkdir -p "$WORK/d" && touch "$WORK/d/mlbox.yaml"
(cd "$WORK/d" && offers mlbox.yaml complete_bash mlbox build --trainer mlb) || fail "bash: files after --trainer"
pass "bash: subcommands, their options, global options, files after options that take a value"

expect_rc 2 "$MLBOX" completion tcsh
grep -q "use bash, zsh or fish" "$WORK/stderr" || fail "unknown shell: unclear error"
pass "an unknown shell is a usage error"

if command -v fish >/dev/null; then
  "$MLBOX" completion fish >"$WORK/mlbox.fish"
  fish -n "$WORK/mlbox.fish" || fail "fish: the script does not parse"
  got=$(fish -c "source $WORK/mlbox.fish; complete -C'mlbox pu'" | cut -f1 | sort | tr '\n' ' ')
  [ "$got" = "pull push " ] || fail "fish: 'pu' -> $got"
  got=$(fish -c "source $WORK/mlbox.fish; complete -C'mlbox submit --fol'" | cut -f1)
  grep -qx -- "--follow" <<<"$got" || fail "fish: submit --follow not offered ($got)"
  pass "fish: the script parses; subcommands and their options complete"
else
  echo "note: fish not installed; its script was not checked"
fi
if command -v zsh >/dev/null; then
  "$MLBOX" completion zsh >"$WORK/_mlbox"
  zsh -n "$WORK/_mlbox" || fail "zsh: the script does not parse"
  grep -q "^#compdef mlbox" "$WORK/_mlbox" || fail "zsh: no #compdef line"
  grep -q "'push:Push the image" "$WORK/_mlbox" || fail "zsh: push is not described"
  pass "zsh: the script parses and describes the commands"
else
  echo "note: zsh not installed; its script was not checked"
fi
