#!/usr/bin/env bash
# mlbox build --builder docker against a real Docker daemon this test starts (Debian's
# docker.io: dockerd with its own containerd, vfs storage, no iptables or bridge, a socket,
# data root and containerd namespace private to the test). The busybox base with a stub
# python3.11 is `docker load`ed from a docker-archive skopeo writes; mlbox feeds docker the
# generated Dockerfile and staged context, `docker save`s the result and imports it into
# .mlbox/oci (layers gzip'd by mlbox, diff_ids checked). skopeo and umoci read the result, the
# config and rootfs are mlbox's, and a code-only rebuild (docker's cache) changes only the
# code layer.
source "$(dirname "$0")/lib.sh"
source "$MLBOX_SOURCE_DIR/tests/integration/external_builder_lib.sh"
command -v dockerd >/dev/null || fail "dockerd is not installed: run scripts/install-deps.sh (apt-get install docker.io)"
[ "$(id -u)" -eq 0 ] || fail "the docker test starts dockerd and needs root"

# --- a private daemon ------------------------------------------------------------------------
D="$WORK/docker"
mkdir -p "$D"
echo '{}' >"$D/daemon.json"  # not the host's /etc/docker/daemon.json
export DOCKER_HOST="unix://$D/docker.sock" DOCKER_BUILDKIT=0 DOCKER_CONFIG="$WORK/docker-config"
dockerd --config-file "$D/daemon.json" --data-root "$D/root" --exec-root "$D/exec" --pidfile "$D/docker.pid" -H "$DOCKER_HOST" \
  --storage-driver vfs --iptables=false --ip6tables=false --bridge=none \
  --containerd-namespace "mlbox-it-$$" --containerd-plugins-namespace "mlbox-it-$$-plugins" \
  >"$D/dockerd.log" 2>&1 &
DOCKERD_PID=$!
stop_dockerd() {
  if kill -TERM "$DOCKERD_PID" 2>/dev/null; then
    for _ in $(seq 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$DOCKERD_PID" 2>/dev/null || true
  fi
  # Anything the daemon left mounted under $WORK would stop its removal.
  grep -o " $WORK[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  # dockerd and containerd make these whatever their roots; left alone when not empty.
  rmdir /run/docker/plugins /run/docker /run/containerd/s /run/containerd 2>/dev/null || true
}
cleanup_hooks+=(stop_dockerd)
for _ in $(seq 150); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
docker version >/dev/null 2>&1 || { tail -20 "$D/dockerd.log"; fail "dockerd did not start"; }

BASE=$(bash "$MLBOX_SOURCE_DIR/tests/fixtures/make_busybox_stub_python_base.sh" "${MLBOX_BUILD_DIR:-$WORK}/test-cache")
skopeo copy -q "$BASE" "docker-archive:$WORK/base.tar:localhost/mlbox-it/busybox-py:1" || fail "skopeo copy to docker-archive"
docker load -q -i "$WORK/base.tar" >/dev/null || fail "docker load of the base"

# The base lives in the daemon, not in a registry: nothing to pin.
make_project docker "localhost/mlbox-it/busybox-py:1"

TRAINER=$(type -P true)  # any dynamically linked binary exercises the bundling
timeout 300 "$MLBOX" --json build --builder docker --trainer "$TRAINER" >"$WORK/b1.json" 2>"$WORK/b1.err" ||
  { tail -30 "$WORK/b1.err"; tail -20 "$D/dockerd.log"; fail "mlbox build --builder docker"; }
[ "$(json "$WORK/b1.json" 'd["builder"]')" = docker ] || fail "builder: $(cat "$WORK/b1.json")"
grep -q "^docker: Step" "$WORK/b1.err" || fail "docker's output was not streamed: $(head "$WORK/b1.err")"
docker image inspect localhost/mlbox/docker-test:latest >/dev/null || fail "image not tagged in the daemon"
# docker's legacy builder stamps the build time: Created is not checked.
check_exported_image "$WORK/b1.json" -
[ -x "$R/bin/busybox" ] || fail "base missing"
[ "$(json "$WORK/b1.json" 'sorted({l["media_type"] for l in d["layers"]})')" = "['application/vnd.oci.image.layer.v1.tar+gzip']" ] ||
  fail "docker save's layers not compressed on import: $(cat "$WORK/b1.json")"
pass "docker built the generated Dockerfile; docker save imported into .mlbox/oci:latest, which skopeo and umoci read"

printf 'echo "docker v2"\n' >src/train.sh
timeout 300 "$MLBOX" --json build --builder docker --trainer "$TRAINER" >"$WORK/b2.json" 2>"$WORK/b2.err" ||
  { tail -30 "$WORK/b2.err"; fail "rebuild"; }
grep -q "Using cache" "$WORK/b2.err" || fail "docker did not reuse its cached layers"
check_code_only_rebuild "$WORK/b1.json" "$WORK/b2.json"
pass "code-only rebuild with docker: only the last (code) layer changed"
