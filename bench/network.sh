#!/usr/bin/env bash
# Published-port throughput and container start time on berthd: wrk against busybox httpd in a
# container, through the published port on the host's loopback (nftables DNAT) and straight to
# the container's address on the bridge; then the time of `docker run --rm IMAGE true` with the
# default bridge network and with --network none. berthd runs on a private data root, exec
# root and socket under one work directory; only loopback and berth's bridge are used.
# Usage: bench/network.sh BERTHD [SECONDS [RUNS]]   (as root; wrk and the docker CLI installed).
# Prints markdown tables for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
berthd=$(realpath "$1")
seconds=${2:-10}
runs=${3:-20}
work=$(mktemp -d /tmp/berth-bench-network.XXXXXX)
sock=$work/berth.sock
export DOCKER_HOST=unix://$sock
docker() { /usr/bin/docker "$@"; }
daemon_pid=
cleanup() {
  docker rm -f web >/dev/null 2>&1 || true
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m"; done
  rm -rf "$work"
}
trap cleanup EXIT

rootfs=${BERTH_BUILD_DIR:-build}/fixtures/busybox-rootfs
bash tests/fixtures/make-busybox-rootfs.sh "$rootfs" >/dev/null
tar -C "$rootfs" --exclude ./.complete -cf "$work/rootfs.tar" .
"$berthd" --data-root "$work/data" --exec-root "$work/exec" -H "unix://$sock" \
  >"$work/berthd.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do
  curl -sf --unix-socket "$sock" http://x/_ping >/dev/null 2>&1 && break
  sleep 0.05
done
docker import "$work/rootfs.tar" bb:latest >/dev/null

port=18099
docker run -d --name web -p "$port:80" bb sh -c \
  'mkdir -p /www && head -c 1024 /dev/zero >/www/1k && exec httpd -f -p 80 -h /www' >/dev/null
ip=$(docker inspect --format '{{.NetworkSettings.IPAddress}}' web)
for _ in $(seq 100); do curl -sf "http://$ip/1k" >/dev/null && break; sleep 0.1; done

# rate URL: wrk's requests per second and average latency.
rate() {
  wrk -t2 -c16 -d"${seconds}s" "$1" | awk '/Requests\/sec/ { r = $2 } /Latency/ { l = $2 }
    END { printf "%s | %s", r, l }'
}
echo "| path | requests/s | average latency |"
echo "| --- | --- | --- |"
echo "| published port on 127.0.0.1 (DNAT) | $(rate "http://127.0.0.1:$port/1k") |"
echo "| container's address on the bridge | $(rate "http://$ip/1k") |"
docker rm -f web >/dev/null

# start MODE: the median wall time of `docker run --rm` with --network MODE, in ms.
start() {
  local times=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    docker run --rm --network "$1" bb true
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
echo
echo "| docker run --rm bb true | median ms |"
echo "| --- | --- |"
echo "| --network bridge | $(start bridge) |"
echo "| --network none | $(start none) |"
