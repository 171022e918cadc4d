# Sourced by the bench scripts (from the repository's top directory).
#
# minbase_tar CACHE makes (once) and prints the path of a Debian bookworm minbase rootfs tar,
# built with mmdebstrap from the machine's own apt sources (no other network) and kept in CACHE.
minbase_tar() {
  local cache=$1
  local plain=$cache/debian-bookworm-minbase.tar
  mkdir -p "$cache"
  if [ ! -e "$plain" ]; then
    local sources=/etc/apt/sources.list
    [ -s "$sources" ] || sources=/etc/apt/sources.list.d/debian.sources
    mmdebstrap --quiet --variant=minbase --mode=root --format=tar bookworm "$plain.tmp" "$sources"
    mv "$plain.tmp" "$plain"
  fi
  echo "$plain"
}

# scratch_ext4 IMAGE MOUNTPOINT mounts a fresh 4 GiB ext4 made in IMAGE (a file under /dev/shm:
# a loop device backed by tmpfs). The machine's root filesystem is not used: it is ext4 without a
# journal, where inode allocation scans recently deleted inodes and timings swing by 10x from run
# to run. The caller unmounts it and deletes IMAGE.
scratch_ext4() {
  truncate -s 4G "$1"
  mkfs.ext4 -q -F "$1"
  mkdir -p "$2"
  mount -o loop,discard "$1" "$2"
}

# start_containerd DIR SOCKET starts containerd with its root, state, sockets and opt path under
# DIR (containerd's defaults would be /var/lib/containerd, /run/containerd and /opt/containerd),
# the CRI plugin disabled as in docker's packaging; it sets containerd_pid and waits for SOCKET.
start_containerd() {
  local dir=$1 sock=$2
  cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
EOF
  /usr/bin/containerd --config "$dir/config.toml" >"$dir/log" 2>&1 &
  # shellcheck disable=SC2034 # read by the scripts that source this file
  containerd_pid=$!
  for _ in $(seq 300); do
    [ -S "$sock" ] && return 0
    sleep 0.1
  done
  cat "$dir/log" >&2
  return 1
}

# stop_process PID: SIGTERM, up to 20 s for it to exit, then SIGKILL.
stop_process() {
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 200); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# wait_for_ping SOCKET PID LOG: until the Engine API on SOCKET answers; if the daemon PID ends
# first or 30 s pass, LOG is shown and the script exits.
wait_for_ping() {
  for _ in $(seq 300); do
    curl -sf --unix-socket "$1" http://x/_ping >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  cat "$3" >&2
  echo "$(basename "$0"): the daemon on $1 did not start" >&2
  exit 1
}

# free_port: a TCP port of 127.0.0.1 free at the moment.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
