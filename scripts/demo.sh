#!/usr/bin/env bash
# The main job as a demo: installs what berth needs and builds it, then
# 1. berth-runtime alone: a busybox bundle run in its own pid, network, ipc, uts, mount and cgroup
#    namespaces with a memory limit and a read-only root, printing what the process sees;
# 2. berthd and the berth CLI: a private daemon imports the busybox rootfs and runs a web server
#    on a user-defined network with a published port and a named volume; the host reaches it
#    through the port, another container by its name. Everything made is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=build-release
BERTH_BUILD_DIR=$build BERTH_TARGETS="berth-runtime berth-shim berthd berth" scripts/build.sh \
  -DCMAKE_BUILD_TYPE=Release
bin=$PWD/$build/src/cmd
rootfs=$PWD/$build/fixtures/busybox-rootfs
bash tests/fixtures/make-busybox-rootfs.sh "$rootfs"

demo=$(mktemp -d /tmp/berth-demo-XXXXXX)
daemon=
cleanup() {
  if [ -n "$daemon" ]; then
    berth rm -f web >/dev/null 2>&1 || true
    berth network rm demo >/dev/null 2>&1 || true
    berth volume rm demo-data >/dev/null 2>&1 || true
    kill "$daemon" && wait "$daemon" || true
  fi
  awk -v d="$demo/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r |
    xargs -r umount -l
  rm -rf "$demo"
}
trap cleanup EXIT

echo "== 1. berth-runtime: one container from an OCI bundle"
bundle=$demo/bundle
mkdir "$bundle"
"$bin/berth-runtime/berth-runtime" spec --bundle "$bundle"
script='echo "hello from $(hostname), pid $$ in its own pid namespace";
id; grep CapEff /proc/self/status; ls /; cat /sys/fs/cgroup/memory/memory.limit_in_bytes \
  2>/dev/null || cat /sys/fs/cgroup/memory.max; touch /etc/x 2>&1 | head -1'
jq --arg root "$rootfs" --arg script "$script" '
  .process.terminal = false | .process.args = ["sh", "-c", $script] |
  .root = {path: $root, readonly: true} |
  .linux.resources.memory = {limit: 67108864}' "$bundle/config.json" >"$bundle/config.new"
mv "$bundle/config.new" "$bundle/config.json"
echo "+ berth-runtime run --bundle $bundle demo-$$"
"$bin/berth-runtime/berth-runtime" run --bundle "$bundle" "demo-$$"

echo
echo "== 2. berthd and berth: images, a network, a published port, a volume"
export DOCKER_HOST=unix://$demo/berth.sock DOCKER_CONFIG=$demo/config
berth() {
  echo "+ berth $*" >&2
  "$bin/berth/berth" "$@"
}
"$bin/berthd/berthd" --data-root "$demo/data" --exec-root "$demo/exec" -H "$DOCKER_HOST" \
  >"$demo/berthd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do
  [ -S "$demo/berth.sock" ] && break
  sleep 0.05
done
tar -C "$rootfs" -c . | berth import - busybox:demo
berth network create demo
berth volume create demo-data
berth run -d --name web --network demo -p 127.0.0.1::80 -v demo-data:/www busybox:demo \
  sh -c 'echo "hello from a volume" >/www/index.html && exec httpd -f -p 80 -h /www'
berth ps
address=$(berth port web 80)
echo "+ wget http://$address/ (from the host, through the published port)"
busybox wget -qO- "http://$address/"
berth run --rm --network demo busybox:demo wget -qO- http://web/
berth rm -f web
berth run --rm -v demo-data:/www busybox:demo cat /www/index.html
