# Shared by the e2e scripts that drive a berthd: a private work directory, data root, exec root
# and socket (DOCKER_HOST points the clients at it), start_daemon, the docker CLI as `d` with a
# timeout, a busybox rootfs tarball to import (import_payload_image adds a large random file),
# free_port and start_registry (Debian's docker-registry on loopback). Source check_lib.sh first,
# then this with the berthd binary as $1; it cleans up (killing the daemon, the registries and the
# containers' shims) on exit.

[ "$(id -u)" = 0 ] || skip "needs root"
# Debian's CLI (docker.io) first: it is the client the tests are written for.
docker_cli=/usr/bin/docker
[ -x "$docker_cli" ] || docker_cli="$(command -v docker)" ||
  skip "docker CLI not installed (scripts/install-deps.sh --all)"
python3 -c 'import docker' 2>/dev/null || skip "docker-py not installed (scripts/install-deps.sh --all)"
berthd="$(realpath "$1")" || die "berthd $1 not found"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d /tmp/berthd-e2e.XXXXXX)"
sock="$work/berth.sock"
export DOCKER_HOST="unix://$sock" DOCKER_CONFIG="$work/docker-config"
daemon_pid=

berthd_cleanup() {
  [ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null
  local pidfile shim
  # The registries of start_registry run in the subshells of $(...): their pids are in files.
  for pidfile in "$work"/registry-*.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  # Containers and their shims outlive the daemon by design: end each container (the shim's
  # children), then its shim, then remove what the runtime left in the cgroups.
  for pidfile in "$work"/exec/containers/*/shim.pid; do
    [ -f "$pidfile" ] || continue
    shim="$(cat "$pidfile")"
    pkill -9 -P "$shim" 2>/dev/null
    kill -9 "$shim" 2>/dev/null
  done
  sleep 0.2  # init reaps them; their cgroups empty
  for dir in "$work"/exec/containers/*/; do
    [ -d "$dir" ] && find /sys/fs/cgroup -depth -type d -name "$(basename "$dir")" \
      -exec rmdir {} \; 2>/dev/null
  done
  wait 2>/dev/null
  awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m"; done
  rm -rf "$work"
}
trap berthd_cleanup EXIT

# start_daemon [DATA_ROOT [FLAGS...]]: berthd on $sock, its data under $work/data by default.
start_daemon() {
  local data="${1:-$work/data}"
  shift || true
  "$berthd" --data-root "$data" --exec-root "$work/exec" -H "unix://$sock" \
    --config-file "$work/daemon.json" "$@" >>"$work/berthd.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 100); do
    [ -S "$sock" ] && curl -sf --unix-socket "$sock" http://x/_ping >/dev/null && return 0
    sleep 0.05
  done
  cat "$work/berthd.log" >&2
  die "berthd did not start"
}

d() { timeout 60 "$docker_cli" "$@"; }

# free_port: a TCP port of 127.0.0.1 free at the moment.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry NAME [YAML]: Debian's docker-registry on a free port of 127.0.0.1, its storage
# in $work/NAME, YAML (an auth: section) added to its configuration; prints host:port once /v2/
# answers. It is stopped when the script ends.
start_registry() {
  local name="$1" extra="${2:-}" port
  port="$(free_port)"
  cat >"$work/$name.yml" <<YAML
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $work/$name}
  delete: {enabled: true}
http: {addr: "127.0.0.1:$port"}
$extra
YAML
  docker-registry serve "$work/$name.yml" >>"$work/$name.log" 2>&1 &
  echo $! >"$work/registry-$name.pid"
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && { echo "127.0.0.1:$port"; return 0; }
    sleep 0.05
  done
  cat "$work/$name.log" >&2
  die "docker-registry $name did not start"
}

# import_payload_image REF MIB: imports as REF the busybox rootfs with /payload added, MIB MiB of
# random bytes (one layer whose gzip is as large); prints the payload's sha256.
import_payload_image() {
  local ref="$1" mib="$2" dir
  dir="$(mktemp -d "$work/payload.XXXXXX")"
  head -c $((mib << 20)) /dev/urandom >"$dir/payload"
  cp "$work/rootfs.tar" "$dir/image.tar"
  tar -C "$dir" -rf "$dir/image.tar" payload
  d import "$dir/image.tar" "$ref" >/dev/null || die "cannot import $ref"
  sha256sum <"$dir/payload" | cut -d' ' -f1
  rm -rf "$dir"
}

echo '{"log-level": "debug"}' >"$work/daemon.json"
rootfs="$repo/build/fixtures/busybox-rootfs"
[ -n "${BERTH_BUILD_DIR:-}" ] && rootfs="$BERTH_BUILD_DIR/fixtures/busybox-rootfs"
bash "$repo/tests/fixtures/make-busybox-rootfs.sh" "$rootfs" || die "cannot build the busybox rootfs"
tar -C "$rootfs" --exclude ./.complete -cf "$work/rootfs.tar" . || die "cannot tar the rootfs"
