#!/usr/bin/env bash
# A tiny base image from Debian's busybox-static, as an OCI layout (no Docker Hub pull):
# /bin/busybox with its applets linked, /tmp, /etc/passwd. Deterministic; cached by the
# busybox binary's hash.
#
#   docker/make-busybox-base.sh DIR   -> prints "oci:DIR/busybox-<hash>:latest"
set -euo pipefail
out=${1:?usage: make-busybox-base.sh DIR}
bb=/bin/busybox
[ -x "$bb" ] || { echo "busybox-static is not installed (apt-get install busybox-static)" >&2; exit 1; }
key=$(sha256sum "$bb" "$0" | sha256sum | cut -c1-12)
layout="$out/busybox-$key"
if [ ! -f "$layout/index.json" ]; then
  mkdir -p "$out"
  tmp=$(mktemp -d "$out/.busybox.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  root="$tmp/rootfs"
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev"
  chmod 1777 "$root/tmp"
  cp "$bb" "$root/bin/busybox"
  for applet in $("$bb" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
  printf 'root:x:0:\n' > "$root/etc/group"
  tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$root" -cf "$tmp/layer.tar" .
  umoci init --layout "$tmp/oci" >/dev/null
  umoci new --image "$tmp/oci:latest" >/dev/null
  umoci raw add-layer --history.created 1970-01-01T00:00:00Z --image "$tmp/oci:latest" "$tmp/layer.tar" >/dev/null
  umoci config --image "$tmp/oci:latest" --config.env PATH=/bin --config.cmd /bin/sh \
    --os linux --architecture amd64 --no-history --created 1970-01-01T00:00:00Z >/dev/null
  umoci gc --layout "$tmp/oci" >/dev/null
  # Another caller may have made it meanwhile: theirs is the same, keep it.
  mv -T "$tmp/oci" "$layout" 2>/dev/null || [ -f "$layout/index.json" ]
fi
echo "oci:$layout:latest"
