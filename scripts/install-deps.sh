#!/usr/bin/env bash
# Installs what berth needs to build, test and benchmark on Debian 12 (run as root). Idempotent:
# packages already present are skipped by apt.
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config git clang-format
  libexpected-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  libarchive-dev libssl-dev libcurl4-openssl-dev libboost-dev
  libsqlite3-dev libseccomp-dev libcap-dev libnl-route-3-dev libnftables-dev libyaml-cpp-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
)
test_pkgs=(busybox-static jq iproute2 util-linux procps)
peer_pkgs=(hyperfine crun runc podman time)

want=("${build_pkgs[@]}" "${test_pkgs[@]}")
if [ "${1:-}" = "--bench" ] || [ "${1:-}" = "--all" ]; then want+=("${peer_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
