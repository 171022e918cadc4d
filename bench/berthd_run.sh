#!/usr/bin/env bash
# Times `run --rm IMAGE true` and 20 x `run -d IMAGE sleep 1000` on one busybox image with berth
# and its peers side by side in one run, and measures the daemons' idle RSS and the memory each
# running container costs in its monitor process (PSS of berth-shim, containerd-shim-runc-v2 and
# conmon). The peers:
#   berth   the berth CLI against berthd (skipped, with a note, when the CLI does not build or run)
#   docker  Debian's docker CLI against berthd
#   dockerd Debian's docker CLI against Debian's dockerd and containerd
#   podman  Debian's podman (runc, cgroupfs, events in a file)
# Every daemon runs on a private data root, exec root and unix socket under one work directory;
# dockerd gets no bridge, no iptables rules and no IP forwarding, and every container runs with
# `--network none`, so nothing touches the host's network. The image is imported from the same
# tarball into each (no registry is used). On exit everything started here is stopped and
# removed: containers, daemons, shims, mounts, and the cgroup parents and files the peers create
# outside the work directory when they did not exist before.
#
# podman on this kind of machine (root without CAP_SYS_RESOURCE, hybrid cgroups): it raises the
# containers' RLIMIT_NOFILE and RLIMIT_NPROC to the maximum unless told otherwise, which fails, so
# both are given with --ulimit; crun 1.8 refuses hybrid cgroups, so it runs with runc (docker's
# runtime too) and the cgroupfs manager (no systemd here).
#
# Usage: bench/berthd_run.sh [RUNS [ROUNDS]]   (as root). RUNS of `run --rm` per peer (default
# 30), ROUNDS of 20 x `run -d` per peer (default 3). Builds berthd, berth-shim and berth in
# $BERTH_BUILD_TYPE (default Release) into $BERTH_BUILD_DIR (default build-release), so that
# BERTH_BUILD_TYPE=RelWithDebInfo BERTH_BUILD_DIR=build reuses the tests' build; BERTH_CLI=PATH
# takes that berth binary instead of building one. Prints markdown tables for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
runs=${1:-30}
rounds=${2:-3}
detached=20

scripts/install-deps.sh --bench >/dev/null
build_dir=${BERTH_BUILD_DIR:-build-release}
build_type=${BERTH_BUILD_TYPE:-Release}
BERTH_BUILD_DIR=$build_dir BERTH_TARGETS="berthd berth-shim" scripts/build.sh \
  -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
berthd=$PWD/$build_dir/src/cmd/berthd/berthd
# The berth CLI is optional: without it (or when it cannot run a container) its rows are skipped.
berth_cli=
berth_note=
if [ -n "${BERTH_CLI:-}" ]; then
  berth_cli=$(realpath "$BERTH_CLI")
  berth_note="berth CLI: $BERTH_CLI"
elif BERTH_BUILD_DIR=$build_dir BERTH_TARGETS=berth scripts/build.sh \
  -DCMAKE_BUILD_TYPE="$build_type" >"$build_dir/berth-build.log" 2>&1; then
  berth_cli=$PWD/$build_dir/src/cmd/berth/berth
elif [ -x build/src/cmd/berth/berth ]; then
  berth_cli=$PWD/build/src/cmd/berth/berth
  berth_note="berth CLI from build/ (the $build_type build failed)"
else
  berth_note="berth CLI skipped: it does not build ($(grep -m1 -o 'error: .*' "$build_dir/berth-build.log" || true))"
fi
rootfs=$PWD/$build_dir/fixtures/busybox-rootfs
bash tests/fixtures/make-busybox-rootfs.sh "$rootfs"
docker_cli=/usr/bin/docker
image=berth-bench-busybox

work=$(mktemp -d /tmp/berth-bench-XXXXXX)
b_sock=$work/berthd/berthd.sock
ctd_sock=$work/containerd/containerd.sock
d_sock=$work/dockerd/docker.sock
export DOCKER_CONFIG=$work/docker-config
berthd_pid='' containerd_pid='' dockerd_pid=''
podman=(podman --root "$work/podman/root" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp"
  --storage-driver overlay --cgroup-manager=cgroupfs --events-backend=file)
podman_run=(--runtime runc --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)

# What dockerd and podman create outside the work directory, removed on exit when created here.
created_outside=()
for path in /etc/docker/key.json /run/docker; do
  [ -e "$path" ] || created_outside+=("$path")
done
for hierarchy in /sys/fs/cgroup/*/; do
  for path in "${hierarchy}docker" "${hierarchy}libpod_parent"; do
    [ -e "$path" ] || created_outside+=("$path")
  done
done

# pids_of ARGV0 SUBSTRING: the processes running ARGV0 with SUBSTRING in their command line.
pids_of() {
  local dir cmdline
  for dir in /proc/[0-9]*; do
    cmdline=$(tr '\0' ' ' 2>/dev/null <"$dir/cmdline") || continue
    [[ "${cmdline%% *}" == *"$1" && "$cmdline" == *"$2"* ]] && echo "${dir#/proc/}"
  done
  return 0
}
berth_shims() {
  local pidfile
  for pidfile in "$work"/berthd/exec/containers/*/shim.pid; do
    [ -f "$pidfile" ] && echo "$(<"$pidfile")"
  done
  return 0
}
containerd_shims() { pids_of containerd-shim-runc-v2 "-address $ctd_sock"; }
conmons() { pids_of conmon "$work/podman/"; }

# remove-*.sh: every container of one peer (scripts, so that hyperfine's --prepare can run them).
write_removers() {
  local sock
  for sock in "$b_sock" "$d_sock"; do
    echo "ids=\$($docker_cli -H unix://$sock ps -aq) && [ -n \"\$ids\" ] &&" \
      "$docker_cli -H unix://$sock rm -f \$ids >/dev/null; true" >"$work/remove-${sock##*/}.sh"
  done
  echo "${podman[*]} rm -f -t 0 -a >/dev/null; true" >"$work/remove-podman.sh"
}
remove_berthd_containers() { sh "$work/remove-${b_sock##*/}.sh" 2>/dev/null; }
remove_dockerd_containers() { sh "$work/remove-${d_sock##*/}.sh" 2>/dev/null; }
remove_podman_containers() { sh "$work/remove-podman.sh" 2>/dev/null; }

cleanup() {
  set +e
  if [ -n "$berthd_pid" ]; then
    remove_berthd_containers
    stop_process "$berthd_pid"
  fi
  # The shims outlive berthd by design: end any left with their containers.
  for pid in $(berth_shims); do kill -KILL "$pid" 2>/dev/null; done
  if [ -n "$dockerd_pid" ]; then
    remove_dockerd_containers
    stop_process "$dockerd_pid"
  fi
  [ -n "$containerd_pid" ] && stop_process "$containerd_pid"
  for pid in $(containerd_shims); do kill -KILL "$pid" 2>/dev/null; done
  [ -d "$work/podman" ] && remove_podman_containers
  for pid in $(conmons); do kill -KILL "$pid" 2>/dev/null; done
  grep -o "$work/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  for path in "${created_outside[@]}"; do
    if [[ "$path" == /sys/fs/cgroup/* ]]; then
      [ -d "$path" ] && find "$path" -depth -type d -exec rmdir {} + 2>/dev/null
    else
      rm -rf "$path"
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

# rss_kb PID: VmRSS in KiB; pss_kb PID: the PSS of every mapping in KiB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

mkdir -p "$work/berthd" "$work/containerd/root" "$work/containerd/state" "$work/dockerd" \
  "$work/podman" "$DOCKER_CONFIG"
# The docker CLI's configuration, which podman also reads (for registry credentials).
echo '{}' >"$DOCKER_CONFIG/config.json"
tar -C "$rootfs" --exclude ./.complete -cf "$work/rootfs.tar" .
write_removers
load_start=$(loadavg)

# ---- berthd ----
echo '{}' >"$work/berthd/daemon.json"
"$berthd" --data-root "$work/berthd/data" --exec-root "$work/berthd/exec" -H "unix://$b_sock" \
  --pidfile "$work/berthd/berthd.pid" --config-file "$work/berthd/daemon.json" \
  >"$work/berthd/log" 2>&1 &
berthd_pid=$!
wait_for_ping "$b_sock" "$berthd_pid" "$work/berthd/log"
sleep 1
berthd_rss_start=$(rss_kb "$berthd_pid")
"$docker_cli" -H "unix://$b_sock" import "$work/rootfs.tar" "$image" >/dev/null

# ---- containerd and dockerd ----
start_containerd "$work/containerd" "$ctd_sock" || exit 1
echo '{}' >"$work/dockerd/daemon.json"
/usr/sbin/dockerd --data-root "$work/dockerd/data" --exec-root "$work/dockerd/exec" \
  --pidfile "$work/dockerd/dockerd.pid" -H "unix://$d_sock" --containerd "$ctd_sock" \
  --config-file "$work/dockerd/daemon.json" --bridge=none --iptables=false --ip6tables=false \
  --ip-forward=false --ip-masq=false >"$work/dockerd/log" 2>&1 &
dockerd_pid=$!
wait_for_ping "$d_sock" "$dockerd_pid" "$work/dockerd/log"
sleep 1
dockerd_rss_start=$(rss_kb "$dockerd_pid")
containerd_rss_start=$(rss_kb "$containerd_pid")
"$docker_cli" -H "unix://$d_sock" import "$work/rootfs.tar" "$image" >/dev/null

# ---- podman ----
"${podman[@]}" import "$work/rootfs.tar" "$image" >/dev/null

# ---- the berth CLI, when it runs a container ----
if [ -n "$berth_cli" ] &&
  ! out=$("$berth_cli" -H "unix://$b_sock" run --rm --network none "$image" true 2>&1); then
  berth_note="berth CLI skipped: \`berth run --rm\` fails: $(echo "$out" | head -1)"
  berth_cli=
fi
[ -n "$berth_note" ] && echo "$berth_note" >&2

# Every peer: a name, the argv prefix of its `run` (split on spaces; no path has one), and how
# to remove all its containers.
names=() prefixes=() removers=()
if [ -n "$berth_cli" ]; then
  names+=("berth -> berthd")
  prefixes+=("$berth_cli -H unix://$b_sock run --network none")
  removers+=(remove_berthd_containers)
fi
names+=("docker -> berthd" "docker -> dockerd" "podman")
prefixes+=("$docker_cli -H unix://$b_sock run --network none"
  "$docker_cli -H unix://$d_sock run --network none"
  "${podman[*]} run ${podman_run[*]}")
removers+=(remove_berthd_containers remove_dockerd_containers remove_podman_containers)

# ---- run --rm IMAGE true ----
args=()
for i in "${!names[@]}"; do
  args+=(-n "${names[$i]}" "${prefixes[$i]} --rm $image true")
done
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/rm.json" "${args[@]}" >&2

# ---- 20 x run -d IMAGE sleep 1000, then the monitors' memory with 20 running ----
: >"$work/memory.tsv"
for i in "${!names[@]}"; do
  case ${removers[$i]} in
    remove_berthd_containers) prepare="sh $work/remove-${b_sock##*/}.sh" ;;
    remove_dockerd_containers) prepare="sh $work/remove-${d_sock##*/}.sh" ;;
    remove_podman_containers) prepare="sh $work/remove-podman.sh" ;;
  esac
  loop="for i in \$(seq $detached); do ${prefixes[$i]} -d $image sleep 1000 >/dev/null || exit 1; done"
  hyperfine --warmup 0 --runs "$rounds" --prepare "$prepare" \
    --export-json "$work/detached-$i.json" -n "${names[$i]}" "$loop" >&2
  # The last round's containers are still running.
  case ${names[$i]} in
    podman) monitors=$(conmons) daemons="" ;;
    *dockerd) monitors=$(containerd_shims) daemons="$dockerd_pid $containerd_pid" ;;
    *) monitors=$(berth_shims) daemons="$berthd_pid" ;;
  esac
  count=0 pss=0 rss=0
  for pid in $monitors; do
    count=$((count + 1))
    pss=$((pss + $(pss_kb "$pid")))
    rss=$((rss + $(rss_kb "$pid")))
  done
  daemon_rss=0
  for pid in $daemons; do daemon_rss=$((daemon_rss + $(rss_kb "$pid"))); done
  printf '%s\t%s\t%s\t%s\t%s\n' "${names[$i]}" "$count" "$pss" "$rss" "$daemon_rss" \
    >>"$work/memory.tsv"
  ${removers[$i]}
done

sleep 2
berthd_rss_end=$(rss_kb "$berthd_pid")
dockerd_rss_end=$(rss_kb "$dockerd_pid")
containerd_rss_end=$(rss_kb "$containerd_pid")
load_end=$(loadavg)

# ---- report ----
echo "Load average (1, 5, 15 min): $load_start at the start, $load_end at the end."
[ -n "$berth_note" ] && echo "$berth_note."
echo
echo "| run --rm $image true | median ms | mean ms | min ms | max ms |"
echo "| --- | --- | --- | --- | --- |"
jq -r '.results[] | [.command, (.median*1000), (.mean*1000), (.min*1000), (.max*1000)] | @tsv' \
  "$work/rm.json" | while IFS=$'\t' read -r name median mean min max; do
  printf '| %s | %.1f | %.1f | %.1f | %.1f |\n' "$name" "$median" "$mean" "$min" "$max"
done
echo
echo "| $detached x run -d $image sleep 1000 | median s | mean s | min s | max s |"
echo "| --- | --- | --- | --- | --- |"
for i in "${!names[@]}"; do
  jq -r --arg n "${names[$i]}" '.results[] | [$n, .median, .mean, .min, .max] | @tsv' \
    "$work/detached-$i.json"
done | while IFS=$'\t' read -r name median mean min max; do
  printf '| %s | %.2f | %.2f | %.2f | %.2f |\n' "$name" "$median" "$mean" "$min" "$max"
done
echo
echo "| daemon | RSS MB after start | RSS MB after the runs |"
echo "| --- | --- | --- |"
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
echo "| berthd | $(mb "$berthd_rss_start") | $(mb "$berthd_rss_end") |"
echo "| dockerd | $(mb "$dockerd_rss_start") | $(mb "$dockerd_rss_end") |"
echo "| containerd | $(mb "$containerd_rss_start") | $(mb "$containerd_rss_end") |"
echo
echo "| $detached containers running | monitor | monitors | PSS MB per container | RSS MB per monitor | daemons' RSS MB |"
echo "| --- | --- | --- | --- | --- | --- |"
while IFS=$'\t' read -r name count pss rss daemon_rss; do
  case $name in
    podman) monitor=conmon ;;
    *dockerd) monitor=containerd-shim-runc-v2 ;;
    *) monitor=berth-shim ;;
  esac
  if [ "$count" -gt 0 ]; then
    per_pss=$(awk -v p="$pss" -v c="$count" 'BEGIN {printf "%.2f", p / c / 1024}')
    per_rss=$(awk -v r="$rss" -v c="$count" 'BEGIN {printf "%.2f", r / c / 1024}')
  else
    per_pss=- per_rss=-
  fi
  daemons_mb=-
  [ "$daemon_rss" -gt 0 ] && daemons_mb=$(mb "$daemon_rss")
  echo "| $name | $monitor | $count | $per_pss | $per_rss | $daemons_mb |"
done <"$work/memory.tsv"
