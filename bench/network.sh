#!/usr/bin/env bash
# Container networks, berthd side by side with dockerd in one run:
#   - wrk against busybox httpd in a container, through the published port on the host's
#     loopback and straight to the container's address, on berthd (nftables DNAT) and on
#     Debian's dockerd (docker-proxy for loopback, iptables DNAT);
#   - iperf3 between two of berthd's containers on its default bridge (each side run from the
#     host's binary inside the container's network namespace) against iperf3 on the host's
#     loopback;
#   - the time of `docker run --rm IMAGE true` with the default bridge, with a published port and
#     with --network none, and berthd's own time for the network setup of each start (its debug
#     log's "network set up in N us").
# Both daemons run on private data roots, exec roots and sockets under one work directory; dockerd
# gets a bridge of its own (berthbench0, 10.199.0.1/24, made here) and its own containerd; the
# host's iptables rules are saved before dockerd starts and restored after it stops, and what
# dockerd makes outside the work directory is removed. Only loopback and the two daemons'
# bridges are used.
# Usage: bench/network.sh BERTHD [SECONDS [RUNS]]   (as root; wrk, iperf3, docker.io installed).
# Prints markdown tables for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
berthd=$(realpath "$1")
seconds=${2:-10}
runs=${3:-20}
work=$(mktemp -d /tmp/berth-bench-network.XXXXXX)
b_sock=$work/berth.sock
d_sock=$work/dockerd/docker.sock
ctd_sock=$work/containerd/containerd.sock
d_bridge=berthbench0
docker_cli=/usr/bin/docker
b() { "$docker_cli" -H "unix://$b_sock" "$@"; }
dk() { "$docker_cli" -H "unix://$d_sock" "$@"; }
export DOCKER_CONFIG=$work/docker-config
berthd_pid='' containerd_pid='' dockerd_pid='' iperf_pid=''
created_outside=()
for path in /etc/docker/key.json /run/docker; do
  [ -e "$path" ] || created_outside+=("$path")
done
iptables-save >"$work/iptables.rules"

cleanup() {
  set +e
  [ -n "$iperf_pid" ] && kill "$iperf_pid" 2>/dev/null
  if [ -n "$berthd_pid" ]; then
    b rm -f web c1 c2 >/dev/null 2>&1
    stop_process "$berthd_pid"
  fi
  if [ -n "$dockerd_pid" ]; then
    dk rm -f web >/dev/null 2>&1
    stop_process "$dockerd_pid"
  fi
  [ -n "$containerd_pid" ] && stop_process "$containerd_pid"
  iptables-restore <"$work/iptables.rules"
  ip link del "$d_bridge" 2>/dev/null
  grep -o "$work/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "${created_outside[@]}" "$work"
}
trap cleanup EXIT

rootfs=${BERTH_BUILD_DIR:-build}/fixtures/busybox-rootfs
bash tests/fixtures/make-busybox-rootfs.sh "$rootfs" >/dev/null
mkdir -p "$work/dockerd" "$work/containerd" "$DOCKER_CONFIG"
echo '{}' >"$DOCKER_CONFIG/config.json"
tar -C "$rootfs" --exclude ./.complete -cf "$work/rootfs.tar" .
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- berthd ----
"$berthd" --data-root "$work/data" --exec-root "$work/exec" -H "unix://$b_sock" \
  --log-level debug >"$work/berthd.log" 2>&1 &
berthd_pid=$!
wait_for_ping "$b_sock" "$berthd_pid" "$work/berthd.log"
b import "$work/rootfs.tar" bb:latest >/dev/null

# ---- containerd and dockerd, on a bridge of their own ----
start_containerd "$work/containerd" "$ctd_sock" || exit 1
ip link add "$d_bridge" type bridge
ip addr add 10.199.0.1/24 dev "$d_bridge"
ip link set "$d_bridge" up
echo '{}' >"$work/dockerd/daemon.json"
/usr/sbin/dockerd --data-root "$work/dockerd/data" --exec-root "$work/dockerd/exec" \
  --pidfile "$work/dockerd/dockerd.pid" -H "unix://$d_sock" --containerd "$ctd_sock" \
  --config-file "$work/dockerd/daemon.json" --bridge "$d_bridge" --ip6tables=false \
  >"$work/dockerd/log" 2>&1 &
dockerd_pid=$!
wait_for_ping "$d_sock" "$dockerd_pid" "$work/dockerd/log"
dk import "$work/rootfs.tar" bb:latest >/dev/null

# ---- published port against the container's address ----
httpd='mkdir -p /www && head -c 1024 /dev/zero >/www/1k && exec httpd -f -p 80 -h /www'
b_port=18099
d_port=18098
b run -d --name web -p "$b_port:80" bb sh -c "$httpd" >/dev/null
dk run -d --name web -p "$d_port:80" bb sh -c "$httpd" >/dev/null
b_ip=$(b inspect --format '{{.NetworkSettings.IPAddress}}' web)
d_ip=$(dk inspect --format '{{.NetworkSettings.IPAddress}}' web)
for url in "http://$b_ip/1k" "http://$d_ip/1k" "http://127.0.0.1:$b_port/1k" \
  "http://127.0.0.1:$d_port/1k"; do
  for _ in $(seq 100); do curl -sf "$url" >/dev/null && break; sleep 0.1; done
done

# rate URL: wrk's requests per second and average latency.
rate() {
  wrk -t2 -c16 -d"${seconds}s" "$1" | awk '/Requests\/sec/ { r = $2 } /Latency/ { l = $2 }
    END { printf "%s | %s", r, l }'
}
echo "| path | requests/s | average latency |"
echo "| --- | --- | --- |"
echo "| berthd: published port on 127.0.0.1 (nftables DNAT) | $(rate "http://127.0.0.1:$b_port/1k") |"
echo "| berthd: container's address on the bridge | $(rate "http://$b_ip/1k") |"
echo "| dockerd: published port on 127.0.0.1 (docker-proxy) | $(rate "http://127.0.0.1:$d_port/1k") |"
echo "| dockerd: container's address on the bridge | $(rate "http://$d_ip/1k") |"
b rm -f web >/dev/null
dk rm -f web >/dev/null

# ---- container to container over berth's bridge, against the host's loopback ----
# gbits SERVER_NETNS_PID CLIENT_NETNS_PID ADDRESS: iperf3's received Gbit/s, the server and the
# client run in the network namespaces of the two pids ("" for the host's).
gbits() {
  local in_server=() in_client=()
  [ -n "$1" ] && in_server=(nsenter -t "$1" -n)
  [ -n "$2" ] && in_client=(nsenter -t "$2" -n)
  "${in_server[@]}" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
  iperf_pid=$!
  local out=
  for _ in $(seq 100); do
    out=$("${in_client[@]}" iperf3 -c "$3" -p 5201 -t "$seconds" -f g 2>/dev/null) && break
    sleep 0.1
  done
  wait "$iperf_pid" 2>/dev/null || true
  iperf_pid=
  awk '/receiver/ { print $(NF - 2) }' <<<"$out"
}
b run -d --name c1 bb sleep 1d >/dev/null
b run -d --name c2 bb sleep 1d >/dev/null
a_pid=$(b inspect --format '{{.State.Pid}}' c1)
b_pid=$(b inspect --format '{{.State.Pid}}' c2)
a_ip=$(b inspect --format '{{.NetworkSettings.IPAddress}}' c1)
echo
echo "| iperf3 (TCP, one stream) | Gbit/s |"
echo "| --- | --- |"
echo "| container to container on berth0 | $(gbits "$a_pid" "$b_pid" "$a_ip") |"
echo "| host loopback | $(gbits "" "" 127.0.0.1) |"
b rm -f c1 c2 >/dev/null

# ---- start time, and berthd's network setup time ----
# median: the median of the numbers on stdin.
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# start ARGS...: the median wall time of `docker run --rm ARGS bb true` on berthd, in ms, then
# the median setup time berthd logged for those starts, in ms.
start() {
  local times=() before
  before=$(grep -c "network set up in" "$work/berthd.log" || true)
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    b run --rm "$@" bb true
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
  done
  printf '%s | %s' "$(printf '%s\n' "${times[@]}" | median)" \
    "$(grep "network set up in" "$work/berthd.log" | tail -n +$((before + 1)) |
      sed 's/.*network set up in \([0-9]*\) us.*/\1/' | median | awk '{ printf "%.2f", $1 / 1000 }')"
}
echo
echo "| docker run --rm bb true (berthd) | median ms | network setup, median ms |"
echo "| --- | --- | --- |"
echo "| --network bridge | $(start --network bridge) |"
echo "| --network bridge -p 18097:80 | $(start --network bridge -p 18097:80) |"
echo "| --network none | $(start --network none) |"
echo
echo "Where the setup went in the last start with a port (berthd's debug log, microseconds):"
grep "network set up in" "$work/berthd.log" | tail -n "$((runs + 1))" | head -1 |
  sed 's/.*network set up in/network set up in/; s/"$//'
echo "Load average: $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end."
