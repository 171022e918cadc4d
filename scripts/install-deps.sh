#!/usr/bin/env bash
# Installs what berth needs to build, test and benchmark on Debian 12 (run as root). Idempotent:
# packages already present are skipped by apt.
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build ccache pkg-config git clang-format
  libexpected-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  libarchive-dev libisal-dev libzstd-dev liblzma-dev libbz2-dev zlib1g-dev libssl-dev
  libcurl4-openssl-dev libboost-dev
  libsqlite3-dev libseccomp-dev libcap-dev libnl-route-3-dev libnftables-dev libyaml-cpp-dev
  libcrypt-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
)
# tini: the init berthd runs as PID 1 for `run --init` (tini-static is /usr/bin/tini-static).
test_pkgs=(busybox-static jq iproute2 util-linux procps xz-utils bzip2 sqlite3 tini)
# The clients the e2e tests drive berthd with: the docker CLI, docker-py and curl; for the
# registries skopeo, htpasswd and Debian's docker-registry (the reference server, started by the
# tests on loopback); nft to clear berth's table after the network test; openssl for the TLS
# test's certificates and python3-cryptography for the registry auth test's token server.
# docker.io also brings dockerd and containerd, which bench/berthd_run.sh starts on private roots
# as peers.
client_pkgs=(
  docker.io python3-docker curl skopeo apache2-utils docker-registry nftables openssl
  python3-cryptography
)
peer_pkgs=(hyperfine crun runc podman time tar umoci mmdebstrap e2fsprogs wrk)
# libFuzzer comes with clang (cmake -DBERTH_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++).
fuzz_pkgs=(clang)
# Go toolchain and the Go libraries the OCI runtime-tools validation suite builds against
# (scripts/conformance.sh; the suite itself comes from Debian's source package).
conformance_pkgs=(
  golang-go golang-github-opencontainers-runtime-tools-dev golang-github-google-uuid-dev
  golang-github-mrunalp-fileutils-dev golang-github-urfave-cli-dev golang-gopkg-yaml.v2-dev
  xz-utils
)

want=("${build_pkgs[@]}" "${test_pkgs[@]}")
case "${1:-}" in
  --bench) want+=("${peer_pkgs[@]}" "${client_pkgs[@]}") ;;
  --fuzz) want+=("${fuzz_pkgs[@]}") ;;
  --all) want+=("${peer_pkgs[@]}" "${fuzz_pkgs[@]}" "${client_pkgs[@]}") ;;
  --conformance) want+=("${peer_pkgs[@]}" "${conformance_pkgs[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # docker.io is installed for its CLI only: its maintainer scripts must not start dockerd (or
  # any other service). policy-rc.d is Debian's switch for that; one the machine has is kept.
  policy=/usr/sbin/policy-rc.d
  own_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ -n "$own_policy" ]; then rm -f "$policy"; fi
fi
