#!/usr/bin/env bash
# The plain-HTTP rule holds for every hop: a token realm on a host that only looks like
# loopback (127.0.0.1.nip.io) gets no credentials, and a blob redirect to plain HTTP on a
# non-loopback host is not followed. A redirect to plain HTTP on loopback still works.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"

requests_to() { grep -c "\"host\": \"$1" "$LOG" || true; }

# --- a realm on a DNS name starting with "127." ------------------------------------------
PORT_A=$(free_port)
python3 "$FAKES/hostile_registry.py" --port "$PORT_A" --log "$WORK/realm.log" --mode realm \
  --target "127.0.0.1.nip.io:$PORT_A" &
cleanup_hooks+=("kill $!")
wait_http "http://127.0.0.1:$PORT_A/v2/"
LOG="$WORK/realm.log"
: >"$LOG"
mkdir -p "$WORK/docker"
printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$PORT_A" "$(printf alice:s3cret | base64)" \
  >"$WORK/docker/config.json"
# The name resolves nowhere here; --connect-to sends it to the fake, as DNS would.
export MLBOX_CONNECT_TO="127.0.0.1.nip.io:$PORT_A:127.0.0.1:$PORT_A"
DOCKER_CONFIG="$WORK/docker" expect_rc 4 "$MLBOX" -C "$WORK/p1" pull "127.0.0.1:$PORT_A/team/app:v1"
grep -q "refused" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no refusal in the message"; }
grep -q "s3cret\|YWxpY2U6czNjcmV0" "$WORK/stderr" && fail "the password reached the message"
[ "$(requests_to 127.0.0.1.nip.io)" = 0 ] || { cat "$LOG"; fail "the realm host got a request"; }
grep -q '"/token' "$LOG" && fail "the token endpoint was called"
pass "a plain-HTTP realm on 127.0.0.1.nip.io is refused before any request"

# --- a blob redirect to plain HTTP elsewhere ----------------------------------------------
PORT_B=$(free_port)
python3 "$FAKES/hostile_registry.py" --port "$PORT_B" --log "$WORK/redirect.log" --mode redirect \
  --target "evil.example:$PORT_B" &
cleanup_hooks+=("kill $!")
wait_http "http://127.0.0.1:$PORT_B/v2/"
LOG="$WORK/redirect.log"
export MLBOX_CONNECT_TO="evil.example:$PORT_B:127.0.0.1:$PORT_B"
expect_rc 6 "$MLBOX" -C "$WORK/p2" pull "127.0.0.1:$PORT_B/team/app:v1"
grep -q "redirected to plain HTTP" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no refusal"; }
grep -q '"/blob/' "$LOG" && { cat "$LOG"; fail "the plain-HTTP redirect was followed"; }
pass "a blob redirect to http://evil.example is not followed"

# --- a blob redirect to plain HTTP on loopback --------------------------------------------
PORT_C=$(free_port)
python3 "$FAKES/hostile_registry.py" --port "$PORT_C" --log "$WORK/loopback.log" --mode redirect \
  --target "127.0.0.1:$PORT_C" &
cleanup_hooks+=("kill $!")
wait_http "http://127.0.0.1:$PORT_C/v2/"
unset MLBOX_CONNECT_TO
expect_rc 0 "$MLBOX" -C "$WORK/p3" pull "127.0.0.1:$PORT_C/team/app:v1"
grep -q '"/blob/' "$WORK/loopback.log" || fail "the loopback redirect was not followed"
pass "a blob redirect to plain HTTP on loopback is followed"
