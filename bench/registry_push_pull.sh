#!/usr/bin/env bash
# Times skopeo copying a ~120 MB one-layer image into and out of berth-registry, against Debian's
# docker-registry (the reference distribution server, `docker-registry serve config.yml` with a
# filesystem root), side by side in one hyperfine run per direction. Both listen on 127.0.0.1 over
# plain HTTP with their roots in one work directory; every push goes into a freshly emptied and
# restarted registry (hyperfine's --prepare), every pull into an empty directory. The layer is
# 120 MB of random bytes gzipped, so nothing is recompressed on the way. Prints markdown tables
# with MB/s (layer bytes / median time) for docs/benchmarks.md.
#
# Usage: bench/registry_push_pull.sh [RUNS]   (default 5). Builds berth-registry in Release into
# $BERTH_BUILD_DIR (default build-release); BERTH_REGISTRY=PATH takes that binary instead.
# (Internally the script calls itself as `registry_push_pull.sh --restart NAME WORK` from
# hyperfine's --prepare to empty and restart one registry.)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

# start NAME WORK: empties NAME's root and starts it; its pid goes to WORK/NAME.pid.
start() {
  local name=$1 work=$2
  if [ -f "$work/$name.pid" ]; then
    kill "$(cat "$work/$name.pid")" 2>/dev/null || true
    while kill -0 "$(cat "$work/$name.pid")" 2>/dev/null; do sleep 0.01; done
  fi
  rm -rf "${work:?}/$name-root"
  mkdir -p "$work/$name-root"
  if [ "$name" = berth ]; then
    setsid "$(cat "$work/berth.bin")" serve --addr "$(cat "$work/berth.addr")" \
      --root "$work/berth-root" >"$work/berth.log" 2>&1 </dev/null &
  else
    setsid docker-registry serve "$work/config.yml" >"$work/reference.log" 2>&1 </dev/null &
  fi
  echo $! >"$work/$name.pid"
  for _ in $(seq 200); do
    curl -sf "http://$(cat "$work/$name.addr")/v2/" >/dev/null && return 0
    sleep 0.02
  done
  echo "registry $name did not start" >&2
  exit 1
}

if [ "${1:-}" = --restart ]; then
  start "$2" "$3"
  exit 0
fi

runs=${1:-5}
if [ -n "${BERTH_REGISTRY:-}" ]; then
  registry_bin=$(realpath "$BERTH_REGISTRY")
else
  build_dir=${BERTH_BUILD_DIR:-build-release}
  BERTH_BUILD_DIR=$build_dir BERTH_TARGETS=berth-registry scripts/build.sh \
    -DCMAKE_BUILD_TYPE=Release >/dev/null
  registry_bin=$PWD/$build_dir/src/cmd/berth-registry/berth-registry
fi
command -v docker-registry skopeo hyperfine >/dev/null

work="$(mktemp -d /tmp/berth-registry-bench.XXXXXX)"
cleanup() {
  local pidfile
  for pidfile in "$work"/*.pid; do kill "$(cat "$pidfile")" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
echo "$registry_bin" >"$work/berth.bin"
echo "127.0.0.1:$(free_port)" >"$work/berth.addr"
echo "127.0.0.1:$(free_port)" >"$work/reference.addr"
cat >"$work/config.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/reference-root
  delete:
    enabled: true
http:
  addr: $(cat "$work/reference.addr")
YAML

head -c $((120 << 20)) /dev/urandom >"$work/payload"
tar -C "$work" -cf - payload | gzip -1 >"$work/layer.tgz"
rm "$work/payload"
bash tests/fixtures/make-oci-layout.sh "$work/layout" "$work/layer.tgz" >/dev/null
layer_mb=$(($(stat -c %s "$work/layer.tgz") / 1000000))

self="$PWD/bench/registry_push_pull.sh"
sk="skopeo --insecure-policy copy --quiet"
for name in berth reference; do start "$name" "$work"; done
hyperfine --runs "$runs" --export-json "$work/push.json" \
  --prepare "$self --restart berth $work" -n berth-registry \
  "$sk --dest-tls-verify=false oci:$work/layout:latest docker://$(cat "$work/berth.addr")/bench/img:latest" \
  --prepare "$self --restart reference $work" -n docker-registry \
  "$sk --dest-tls-verify=false oci:$work/layout:latest docker://$(cat "$work/reference.addr")/bench/img:latest" \
  >&2
hyperfine --runs "$runs" --export-json "$work/pull.json" --prepare "rm -rf $work/pulled" \
  -n berth-registry \
  "$sk --src-tls-verify=false docker://$(cat "$work/berth.addr")/bench/img:latest dir:$work/pulled" \
  -n docker-registry \
  "$sk --src-tls-verify=false docker://$(cat "$work/reference.addr")/bench/img:latest dir:$work/pulled" \
  >&2

for direction in push pull; do
  echo
  echo "| $direction ($layer_mb MB layer) | median | min | max | MB/s |"
  echo "| --- | --- | --- | --- | --- |"
  jq -r --argjson mb "$layer_mb" '.results[] | "| \(.command) | \(.median * 1000 | round) ms | \(.min * 1000 | round) ms | \(.max * 1000 | round) ms | \($mb / .median | round) |"' \
    "$work/$direction.json"
done
