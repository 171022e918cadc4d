#!/usr/bin/env bash
# Times extracting one rootfs layer (Debian bookworm minbase made with mmdebstrap, plain and gzip)
# with berth (bench/layer_apply.cc over image/layer's Apply) against GNU tar, umoci and podman
# import, side by side in one hyperfine run, and prints a markdown table with MB/s (bytes of the
# uncompressed tar / median time). Two more rows extract two gzip layers at once (ApplyParallel)
# and one after the other.
#
# Every run extracts into a fresh directory on the same filesystem, removed (and synced) before the
# next run. That filesystem is a fresh ext4 on a loop device backed by tmpfs: on the development
# machine's root filesystem (ext4 without a journal, shared with other builds) inode allocation
# scans recently deleted inodes and timings swing by 10x from run to run, for every tool alike.
#
# berth and GNU tar run at real-time priority (chrt -f 1; BERTH_BENCH_RT= turns it off): on a
# machine shared with other builds they would otherwise wait for a core most of the time, and a tool
# that spreads its work over two threads (berth hashes on one while it writes on the other) would
# be measured as if it had one core. The kernel's real-time throttling still leaves 5% of each
# second to other work. umoci and podman are Go programs, whose idle scheduler threads spin: under
# SCHED_FIFO they starve their own workers (an import ran for minutes), so they run at nice -20.
# Preparation (removing the previous tree) runs at normal priority.
#
# The layer is built once and cached in $BERTH_BENCH_CACHE (default /var/cache/berth-bench), from
# the machine's own apt sources (no other network; bench/lib.sh).
#
# Usage: bench/layer_extract.sh [RUNS]   (as root). Prints the table for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}

scripts/install-deps.sh --bench >/dev/null
BERTH_BUILD_DIR=build-release BERTH_TARGETS=berth-layer-apply scripts/build.sh -DCMAKE_BUILD_TYPE=Release \
  >/dev/null
berth=$PWD/build-release/bench/berth-layer-apply

cache=${BERTH_BENCH_CACHE:-/var/cache/berth-bench}
# shellcheck source=bench/lib.sh
. bench/lib.sh
plain=$(minbase_tar "$cache")
gz=$plain.gz
oci=$cache/oci
if [ ! -e "$gz" ] || [ "$gz" -ot "$plain" ]; then
  rm -rf "$oci"
  gzip -6 -n -c "$plain" >"$gz.tmp"
  mv "$gz.tmp" "$gz"
fi
if [ ! -e "$oci/index.json" ]; then
  rm -rf "$oci"
  umoci init --layout "$oci"
  umoci new --image "$oci:bench"
  umoci raw add-layer --no-history --image "$oci:bench" "$plain"
fi
size=$(stat -c %s "$plain")

work=$(mktemp -d /var/tmp/berth-bench-layer-XXXXXX)
mnt=$work/mnt
cleanup() {
  podman --root "$work/mnt/podman" --runroot "$work/podman-run" --storage-driver overlay \
    rmi -af >/dev/null 2>&1 || true
  umount "$mnt" 2>/dev/null || true
  rm -f "/dev/shm/$(basename "$work").img"
  rm -rf "$work"
}
trap cleanup EXIT
scratch_ext4 "/dev/shm/$(basename "$work").img" "$mnt"

out=$mnt/out
podman="podman --root $mnt/podman --runroot $work/podman-run --storage-driver overlay"
fresh="bash -c 'rm -rf $out $out-2 && mkdir $out $out-2 && sync'"
fresh_podman="bash -c '$podman rmi -af >/dev/null 2>&1; rm -rf $out $out-2 && sync'"
args=()
rt=${BERTH_BENCH_RT-chrt -f 1}
go_prio="nice -n -20"
[ -n "$rt" ] || go_prio=""
bench() {  # bench NAME COMMAND [PREPARE] [PRIORITY]
  local prio=${4-$rt}
  args+=(-n "$1" --prepare "${3:-$fresh}" "${prio:+$prio }$2")
}
bench "berth (plain)" "$berth --quiet $plain:$out"
bench "GNU tar -xf (plain)" "tar -xf $plain -C $out --same-owner --xattrs --numeric-owner"
bench "podman import (plain)" "$podman import --quiet $plain bench:import" "$fresh_podman" \
  "$go_prio"
bench "berth (gzip)" "$berth --quiet $gz:$out"
bench "GNU tar -xzf (gzip)" "tar -xzf $gz -C $out --same-owner --xattrs --numeric-owner"
bench "umoci raw unpack (gzip)" "umoci raw unpack --image $oci:bench $out/rootfs" "$fresh" \
  "$go_prio"
bench "berth, 2 gzip layers in parallel" "$berth --quiet $gz:$out $gz:$out-2"
bench "berth, 2 gzip layers one by one" "$berth --quiet --parallel 1 $gz:$out $gz:$out-2"
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/result.json" "${args[@]}" >&2

echo "| command | median s | mean s | min s | max s | MB/s (median) |"
echo "| --- | --- | --- | --- | --- | --- |"
jq -r '.results[] | [.command, .median, .mean, .min, .max] | @tsv' "$work/result.json" |
  while IFS=$'\t' read -r name median mean min max; do
    bytes=$size
    case "$name" in *"2 gzip layers"*) bytes=$((2 * size)) ;; esac
    mbps=$(awk -v b="$bytes" -v t="$median" 'BEGIN { printf "%.0f", b / 1e6 / t }')
    printf '| %s | %.2f | %.2f | %.2f | %.2f | %s |\n' "$name" "$median" "$mean" "$min" "$max" \
      "$mbps"
  done
echo
echo "layer: $(basename "$plain"), $size bytes, $(tar -tf "$plain" | wc -l) entries; gzip $(stat -c %s "$gz") bytes"
