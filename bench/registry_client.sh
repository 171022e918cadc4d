#!/usr/bin/env bash
# Times registry clients pulling and pushing the same images through one loopback registry
# (Debian's docker-registry, filesystem storage) in one run: berth (the CLI driving a Release
# berthd, overlay storage), podman (overlay storage; its pull unpacks) and skopeo (copy to a dir:
# no unpacking), plus the bound of one thread inflating and extracting (`tar -xzf`).
#
# Images: the Debian bookworm minbase rootfs of bench/lib.sh (mmdebstrap from the machine's apt
# sources: real binaries, libraries and text, gzip -6 shrinks it to about a third) as one gzip
# layer ("one"), and the same files cut into five layers of about equal size in tar order
# ("five"), each with the directories above its files. Everything (registry root, berthd's and
# podman's stores, skopeo's and tar's output) lives on a fresh ext4 made in /dev/shm
# (bench/lib.sh's scratch_ext4). Every pull starts with the image removed (hyperfine --prepare:
# rmi, rm -rf; then sync); every push goes into an emptied, restarted registry.
# All the processes run at nice -10 so that they share a loaded machine alike.
#
# Usage: bench/registry_client.sh [RUNS]   (as root; default 5). Builds berth and berthd in
# Release into $BERTH_BUILD_DIR (default build-release); BERTH_BIN=DIR takes berth, berthd and
# berth-shim from DIR instead. Prints markdown tables with MB/s of the
# uncompressed (tar) and compressed (blob) bytes over the median time, and the load average.
# (Internally it calls itself as `registry_client.sh --restart WORK` from hyperfine's --prepare to
# empty and restart the registry.)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

# restart WORK: empties the registry's root and starts it; its pid goes to WORK/registry.pid.
restart() {
  local work=$1
  if [ -f "$work/registry.pid" ]; then
    kill "$(cat "$work/registry.pid")" 2>/dev/null || true
    while kill -0 "$(cat "$work/registry.pid")" 2>/dev/null; do sleep 0.01; done
  fi
  rm -rf "$work/mnt/registry"
  setsid nice -n -10 docker-registry serve "$work/registry.yml" >>"$work/registry.log" 2>&1 \
    </dev/null &
  echo $! >"$work/registry.pid"
  for _ in $(seq 200); do
    curl -sf "http://$(cat "$work/registry.addr")/v2/" >/dev/null && return 0
    sleep 0.02
  done
  echo "docker-registry did not start" >&2
  exit 1
}

if [ "${1:-}" = --restart ]; then
  restart "$2"
  exit 0
fi

runs=${1:-5}
if [ -n "${BERTH_BIN:-}" ]; then
  berth=$(realpath "$BERTH_BIN/berth")
  berthd=$(realpath "$BERTH_BIN/berthd")
else
  build_dir=${BERTH_BUILD_DIR:-build-release}
  BERTH_BUILD_DIR=$build_dir BERTH_TARGETS="berth berthd berth-shim" scripts/build.sh \
    -DCMAKE_BUILD_TYPE=Release >/dev/null
  berth=$PWD/$build_dir/src/cmd/berth/berth
  berthd=$PWD/$build_dir/src/cmd/berthd/berthd
fi
command -v docker-registry skopeo podman hyperfine jq mmdebstrap >/dev/null
plain=$(minbase_tar /var/cache/berth-bench)

work=$(mktemp -d /var/tmp/berth-bench-registry-XXXXXX)
mnt=$work/mnt
podman="nice -n -10 podman --root $mnt/podman --runroot $work/podman-run --storage-driver overlay"
cleanup() {
  local pidfile
  for pidfile in "$work"/*.pid; do kill "$(cat "$pidfile")" 2>/dev/null || true; done
  $podman rmi -af >/dev/null 2>&1 || true
  sleep 0.5
  awk -v m="$mnt/" 'index($2, m) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m"; done
  umount "$mnt" 2>/dev/null || true
  rm -f "/dev/shm/$(basename "$work").img"
  rm -rf "$work"
}
trap cleanup EXIT
scratch_ext4 "/dev/shm/$(basename "$work").img" "$mnt"

# --- the images: one gzip layer, and the same files in five ---
mkdir "$work/rootfs"
tar -C "$work/rootfs" --numeric-owner -xf "$plain"
gzip -6 -n -c "$plain" >"$work/one.tgz"
tar -tf "$plain" | python3 -c '
import os, sys
root, out = sys.argv[1], sys.argv[2]
names = [l.rstrip("\n") for l in sys.stdin if l.strip() not in ("", "./")]
sizes = [os.lstat(os.path.join(root, n)).st_size for n in names]
total, done, part = sum(sizes), 0, 0
lists = [[] for _ in range(5)]
for name, size in zip(names, sizes):
    lists[part].append(name)
    done += size
    if done > total * (part + 1) / 5 and part < 4:
        part += 1
for i, entries in enumerate(lists):
    # Each layer carries the directories above its entries, as image builders write them.
    have, ordered = set(), []
    for name in entries:
        parts = name.rstrip("/").split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth]) + "/"
            if parent not in have and parent != "./":
                have.add(parent)
                ordered.append(parent)
        if name not in have:
            have.add(name)
            ordered.append(name)
    with open(f"{out}/five-{i}.list", "w") as f:
        f.write("\n".join(ordered) + "\n")
' "$work/rootfs" "$work"
for i in 0 1 2 3 4; do
  tar -C "$work/rootfs" --numeric-owner --no-recursion -T "$work/five-$i.list" -cf - |
    gzip -6 -n >"$work/five-$i.tgz"
done
bash tests/fixtures/make-oci-layout.sh "$work/one" "$work/one.tgz" >/dev/null
bash tests/fixtures/make-oci-layout.sh "$work/five" "$work"/five-{0,1,2,3,4}.tgz >/dev/null
uncompressed() { # FILE.tgz...: the bytes of their tars
  local sum=0 f
  for f in "$@"; do sum=$((sum + $(gzip -dc "$f" | wc -c))); done
  echo "$sum"
}
declare -A raw blob
raw[one]=$(uncompressed "$work/one.tgz")
blob[one]=$(stat -c %s "$work/one.tgz")
raw[five]=$(uncompressed "$work"/five-*.tgz)
blob[five]=$(cat "$work"/five-*.tgz | wc -c)

# --- the registry, berthd, the images in each client ---
reg="127.0.0.1:$(free_port)"
echo "$reg" >"$work/registry.addr"
cat >"$work/registry.yml" <<YAML
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $mnt/registry}
  delete: {enabled: true}
http: {addr: "$reg"}
YAML
self="$PWD/bench/registry_client.sh"
sk="nice -n -10 skopeo --insecure-policy copy --quiet"
populate() {
  restart "$work"
  for image in one five; do
    $sk --dest-tls-verify=false "oci:$work/$image:latest" "docker://$reg/bench/$image:latest"
  done
}
populate
export DOCKER_HOST="unix://$work/berth.sock"
echo '{}' >"$work/daemon.json"
setsid nice -n -10 "$berthd" --data-root "$mnt/berth" --exec-root "$work/berth-exec" \
  -H "$DOCKER_HOST" --config-file "$work/daemon.json" -s overlay2 >"$work/berthd.log" 2>&1 \
  </dev/null &
echo $! >"$work/berthd.pid"
for _ in $(seq 200); do
  curl -sf --unix-socket "$work/berth.sock" http://x/_ping >/dev/null && break
  sleep 0.05
done
b="nice -n -10 $berth"
for image in one five; do
  $b pull -q "$reg/bench/$image" >/dev/null
  $podman pull -q --tls-verify=false "$reg/bench/$image" >/dev/null
done

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# --- push: into an emptied registry ---
fresh_registry="$self --restart $work"
hyperfine --runs "$runs" --export-json "$work/push.json" \
  --prepare "$fresh_registry" -n "berth push" "$b push -q $reg/bench/one" \
  --prepare "$fresh_registry" -n "skopeo copy oci: -> registry" \
  "$sk --dest-tls-verify=false oci:$work/one:latest docker://$reg/bench/one:latest" \
  --prepare "$fresh_registry" -n "podman push (compresses)" \
  "$podman push -q --tls-verify=false $reg/bench/one" >&2
populate

# --- pull: one layer, then five ---
pull_bench() { # IMAGE
  local image=$1 out=$mnt/out
  local tar_cmd="tar -xzf $work/one.tgz -C $out --same-owner --xattrs --numeric-owner"
  [ "$image" = five ] && tar_cmd="sh -c 'for f in $work/five-*.tgz; do tar -xzf \$f -C $out --same-owner --xattrs --numeric-owner; done'"
  hyperfine --runs "$runs" --export-json "$work/pull-$image.json" \
    --prepare "sh -c '$b rmi -f $reg/bench/$image >/dev/null 2>&1; sync'" \
    -n "berth pull" "$b pull -q $reg/bench/$image" \
    --prepare "sh -c '$podman rmi -f $reg/bench/$image >/dev/null 2>&1; sync'" \
    -n "podman pull" "$podman pull -q --tls-verify=false $reg/bench/$image" \
    --prepare "sh -c 'rm -rf $mnt/skopeo; sync'" -n "skopeo copy -> dir: (no unpack)" \
    "$sk --src-tls-verify=false docker://$reg/bench/$image:latest dir:$mnt/skopeo" \
    --prepare "sh -c 'rm -rf $out; mkdir $out; sync'" -n "tar -xzf (one thread, local file)" \
    "nice -n -10 $tar_cmd" >&2
}
pull_bench one
pull_bench five
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
# The pulled image runs: what berth pulled is a usable rootfs.
[ "$($b run --rm "$reg/bench/five" cat /etc/debian_version 2>/dev/null)" != "" ] ||
  echo "warning: the pulled five-layer image does not run" >&2

table() { # TITLE JSON IMAGE
  echo
  echo "| $1 | median s | min s | max s | MB/s uncompressed | MB/s compressed |"
  echo "| --- | --- | --- | --- | --- | --- |"
  jq -r --argjson raw "${raw[$3]}" --argjson blob "${blob[$3]}" '.results[] |
    "| \(.command) | \(.median * 100 | round / 100) | \(.min * 100 | round / 100) | \(.max * 100 | round / 100) | \($raw / 1e6 / .median | round) | \($blob / 1e6 / .median | round) |"' "$2"
}
table "push, one layer" "$work/push.json" one
table "pull, one layer" "$work/pull-one.json" one
table "pull, five layers" "$work/pull-five.json" five
echo
echo "one: ${raw[one]} bytes of tar, ${blob[one]} gzip; five: ${raw[five]} bytes of tar, ${blob[five]} gzip"
echo "load average (1, 5, 15 min): $load_start at the start, $load_end at the end"
echo "versions: $(skopeo --version), $(podman --version), $(docker-registry --version 2>&1 | head -1), $(tar --version | head -1)"
