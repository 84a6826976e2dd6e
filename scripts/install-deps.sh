#!/usr/bin/env bash
# Install everything mlbox needs to build and test, from Debian 12 packages only.
# Idempotent: skips apt when every package is already installed.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libtorch-dev libgloo-dev libyaml-cpp-dev libcurl4-openssl-dev nlohmann-json3-dev libfmt-dev
  doctest-dev libssl-dev libcli11-dev libsqlite3-dev libzstd-dev zlib1g-dev libarchive-dev
  libdeflate-dev openssl openssh-client zstd
  python3 python3-pip python3-venv python3-wheel python3-torch python3-sklearn python3-numpy
  python3-protobuf protobuf-compiler
  buildah podman docker.io runc skopeo umoci docker-registry patchelf debootstrap busybox-static apache2-utils curl bc
  chromium tmux
)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The AWS CLI checks the AWS API fakes against botocore (tests/integration/test_aws_*.sh).
# This machine kind's images carry it (pip); a bare Debian 12 gets Debian's package.
if ! command -v aws >/dev/null; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends awscli
fi

# s3rver: a real S3 API server (it checks SigV4) for the S3 client's tests, from npm.
if ! command -v s3rver >/dev/null; then
  if ! command -v npm >/dev/null; then
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm
  fi
  $SUDO npm install -g --no-audit --no-fund s3rver@3.7.1
fi
