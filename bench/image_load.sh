#!/usr/bin/env bash
# Times loading one multi-layer image from a docker archive (`docker save`'s format, plain layer
# tars) into a fresh store: berth's image store (tests/tools/berth_image's `load`, the code berthd
# runs for `docker load`) with the layers extracted in parallel and one after the other, against
# `podman load`, side by side in one hyperfine run. Prints a markdown table with MB/s (bytes of
# the layer tars / median time).
#
# The image has six layers: a Debian bookworm minbase (mmdebstrap, bench/lib.sh), then five made
# from this machine's own files: /usr/lib/python3; /usr/share/perl with the perl modules of
# /usr/lib/x86_64-linux-gnu/perl; /usr/share/man; /usr/share/i18n with /usr/share/zoneinfo; a last
# small one that deletes the minbase's /usr/share/doc (a whiteout) and adds a file. It is built
# once and cached in $BERTH_BENCH_CACHE (default /var/cache/berth-bench).
#
# Each run loads into an empty store on one fresh ext4 filesystem (a loop device backed by tmpfs,
# bench/lib.sh), emptied and synced before the next run; both stores use overlay. berth verifies
# every blob's digest and every layer's diff id while it extracts, as podman does. Priorities as in
# bench/layer_extract.sh: berth at real-time priority (chrt -f 1; BERTH_BENCH_RT= turns it off),
# podman, a Go program whose idle threads spin under SCHED_FIFO, at nice -20.
#
# Usage: bench/image_load.sh [RUNS]   (as root). Prints the table for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}

scripts/install-deps.sh --bench >/dev/null
BERTH_BUILD_DIR=build-release BERTH_TARGETS=berth-image scripts/build.sh -DCMAKE_BUILD_TYPE=Release \
  >/dev/null
berth=$PWD/build-release/tests/tools/berth_image/berth-image

cache=${BERTH_BENCH_CACHE:-/var/cache/berth-bench}
# shellcheck source=bench/lib.sh
. bench/lib.sh
base=$(minbase_tar "$cache")
archive=$cache/bench-6-layers.docker.tar

# make_archive: the six layer tars, the config naming their diff ids, manifest.json.
make_archive() {
  local dir
  dir=$(mktemp -d /var/tmp/berth-bench-archive-XXXXXX)
  cp "$base" "$dir/1.tar"
  local t=(--numeric-owner --sort=name -C /)
  tar -cf "$dir/2.tar" "${t[@]}" usr/lib/python3
  tar -cf "$dir/3.tar" "${t[@]}" usr/share/perl usr/lib/x86_64-linux-gnu/perl
  tar -cf "$dir/4.tar" "${t[@]}" usr/share/man
  tar -cf "$dir/5.tar" "${t[@]}" usr/share/i18n usr/share/zoneinfo
  mkdir -p "$dir/6/usr/share" "$dir/6/etc"
  : >"$dir/6/usr/share/.wh.doc"
  echo "berth bench image" >"$dir/6/etc/bench-release"
  tar -cf "$dir/6.tar" --numeric-owner --sort=name -C "$dir/6" usr etc
  python3 - "$dir" <<'PY'
import hashlib, json, os, sys

d = sys.argv[1]
diff_ids, layers = [], []
for i in range(1, 7):
    h = hashlib.sha256()
    with open(f"{d}/{i}.tar", "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    os.makedirs(f"{d}/out/{h.hexdigest()}")
    os.rename(f"{d}/{i}.tar", f"{d}/out/{h.hexdigest()}/layer.tar")
    diff_ids.append("sha256:" + h.hexdigest())
    layers.append(f"{h.hexdigest()}/layer.tar")
config = json.dumps({
    "architecture": "amd64", "os": "linux", "created": "2026-11-22T00:00:00Z",
    "config": {"Cmd": ["/bin/bash"]},
    "rootfs": {"type": "layers", "diff_ids": diff_ids},
    "history": [{"created": "2026-11-22T00:00:00Z", "created_by": f"layer {i}"}
                for i in range(1, 7)],
}, separators=(",", ":")).encode()
config_name = hashlib.sha256(config).hexdigest() + ".json"
with open(f"{d}/out/{config_name}", "wb") as f:
    f.write(config)
with open(f"{d}/out/manifest.json", "w") as f:
    json.dump([{"Config": config_name, "RepoTags": ["bench/layers:6"], "Layers": layers}], f)
PY
  tar -cf "$archive.tmp" -C "$dir/out" .
  mv "$archive.tmp" "$archive"
  rm -rf "$dir"
}
[ -e "$archive" ] && [ "$archive" -nt "$base" ] || make_archive
layer_bytes=$(tar -tvf "$archive" | awk '$NF ~ /layer\.tar$/ { s += $3 } END { print s }')

work=$(mktemp -d /var/tmp/berth-bench-load-XXXXXX)
mnt=$work/mnt
podman="podman --root $mnt/podman --runroot $work/podman-run --storage-driver overlay"
cleanup() {
  $podman rmi -af >/dev/null 2>&1 || true
  umount "$mnt" 2>/dev/null || true
  rm -f "/dev/shm/$(basename "$work").img"
  rm -rf "$work"
}
trap cleanup EXIT
scratch_ext4 "/dev/shm/$(basename "$work").img" "$mnt"

fresh="bash -c 'rm -rf $mnt/berth && sync'"
fresh_podman="bash -c '$podman rmi -af >/dev/null 2>&1; sync'"
rt=${BERTH_BENCH_RT-chrt -f 1}
go_prio="nice -n -20"
[ -n "$rt" ] || go_prio=""
load="--root $mnt/berth --snapshotter overlay load --quiet -i $archive"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/result.json" \
  -n "berth load, layers in parallel" --prepare "$fresh" "${rt:+$rt }$berth --parallelism 0 $load" \
  -n "berth load, layers one by one" --prepare "$fresh" "${rt:+$rt }$berth --parallelism 1 $load" \
  -n "podman load" --prepare "$fresh_podman" "${go_prio:+$go_prio }$podman load --quiet -i $archive" \
  >&2
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

echo "| command | median s | mean s | min s | max s | MB/s (median) |"
echo "| --- | --- | --- | --- | --- | --- |"
jq -r '.results[] | [.command, .median, .mean, .min, .max] | @tsv' "$work/result.json" |
  while IFS=$'\t' read -r name median mean min max; do
    mbps=$(awk -v b="$layer_bytes" -v t="$median" 'BEGIN { printf "%.0f", b / 1e6 / t }')
    printf '| %s | %.2f | %.2f | %.2f | %.2f | %s |\n' "$name" "$median" "$mean" "$min" "$max" \
      "$mbps"
  done
echo
echo "archive: $(basename "$archive"), $(stat -c %s "$archive") bytes; layers: $layer_bytes bytes," \
  "$(tar -xOf "$archive" --wildcards '*/layer.tar' | tar -ti | wc -l) entries"
