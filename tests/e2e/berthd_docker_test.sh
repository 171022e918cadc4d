#!/usr/bin/env bash
# berthd as docker's daemon: Debian's docker CLI and docker-py drive a berthd started on a
# temporary data root and socket. A busybox rootfs is imported, inspected, tagged, saved, removed,
# loaded back and pruned; errors come back as docker's; the API version is negotiated; the images
# survive a clean stop and a kill -9 of the daemon.
# Usage: tests/e2e/berthd_docker_test.sh BERTHD   (run as root)
# Prints "N passed, N failed"; exits 0 when all pass, 1 on a failure, 77 when it cannot run here.
set -uo pipefail

# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"

[ $# -eq 1 ] || die "usage: $0 BERTHD"
# shellcheck source=tests/e2e/berthd_lib.sh
. "$(dirname "$0")/berthd_lib.sh"
start_daemon

# ---- system ----
version="$(d version --format '{{.Server.Platform.Name}} {{.Server.APIVersion}}' 2>&1)"
[[ "$version" == "berth 1."* ]]
record $? "docker version reaches berthd" "$version"
info="$(d info --format '{{.Images}} {{.Driver}} {{.OSType}}' 2>&1)"
[[ "$info" == "0 "*" linux" ]]
record $? "docker info reports the empty store" "$info"
old="$(curl -s --unix-socket "$sock" http://x/v1.12/version)"
[[ "$old" == *"client version 1.12 is too old"* ]]
record $? "a too old API version is refused" "$old"
expect_eq "a too new API version is a 400" 400 \
  "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" http://x/v9.99/version)"

# ---- import, inspect, history, tag ----
id="$(d import -c 'CMD ["/bin/sh"]' -c 'ENV GREETING=hello' -m "from busybox" "$work/rootfs.tar" bb:1 2>&1)"
[[ "$id" == sha256:* ]]
record $? "docker import prints the image id" "$id"
expect_eq "docker inspect shows the import's changes" '["/bin/sh"] [GREETING=hello] from busybox' \
  "$(d image inspect --format '{{json .Config.Cmd}} {{.Config.Env}} {{.Comment}}' bb:1 2>&1)"
expect_eq "docker history shows the import" "from busybox" \
  "$(d history --format '{{.Comment}}' bb:1 2>&1)"
d tag bb:1 registry.local:5000/team/bb:2 >/dev/null 2>&1
expect_eq "docker tag adds a name to the same image" \
  "bb:1 ${id:7:12} registry.local:5000/team/bb:2 ${id:7:12} " \
  "$(d images --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort | tr '\n' ' ')"
expect_eq "docker images --filter reference" "bb:1" \
  "$(d images --filter 'reference=bb' --format '{{.Repository}}:{{.Tag}}')"
expect_eq "docker images --filter reference matches the full name" "bb:1" \
  "$(d images --filter 'reference=docker.io/library/bb:*' --format '{{.Repository}}:{{.Tag}}')"
# GraphDriver: docker's overlay2 keys naming the layer's tree on disk (a single layer: no
# LowerDir; the layers of an image are mounted only in containers: no MergedDir).
driver="$(d image inspect --format '{{.GraphDriver.Name}} {{range $k, $v := .GraphDriver.Data}}{{$k}} {{end}}' bb:1 2>&1)"
expect_eq "docker image inspect shows the GraphDriver's directories" "overlay2 UpperDir WorkDir " "$driver"
upper="$(d image inspect --format '{{.GraphDriver.Data.UpperDir}}' bb:1 2>&1)"
[ -x "$upper/bin/busybox" ] && [ -d "$(d image inspect --format '{{.GraphDriver.Data.WorkDir}}' bb:1)" ]
record $? "GraphDriver.Data names the layer's tree and work directory" "$upper"

# ---- save, rmi, load ----
d save -o "$work/saved.tar" bb:1 registry.local:5000/team/bb:2 2>&1
tar -tf "$work/saved.tar" | grep -x manifest.json >/dev/null
record $? "docker save writes a docker archive"
removed="$(d rmi bb:1 registry.local:5000/team/bb:2 2>&1 | tr '\n' ' ')"
[[ "$removed" == *"Untagged: bb:1"*"Deleted: $id"* ]]
record $? "docker rmi untags and deletes" "$removed"
expect_eq "no image is left" "" "$(d images -q)"
loaded="$(d load -i "$work/saved.tar" 2>&1 | tr '\n' ' ')"
[[ "$loaded" == *"Loaded image: bb:1"*"Loaded image: registry.local:5000/team/bb:2"* ]]
record $? "docker load reads the archive back" "$loaded"
expect_eq "the loaded image has the same id" "$id" "$(d image inspect --format '{{.Id}}' bb:1 2>&1)"
expect_eq "docker save | docker load streams" "Loaded image: bb:1" "$(d save bb:1 | d load 2>&1)"
expect_eq "an xz-compressed archive loads" "Loaded image: bb:1" "$(d save bb:1 | xz -1 | d load 2>&1)"
bzip2 -c "$work/rootfs.tar" >"$work/rootfs.tar.bz2"
d import "$work/rootfs.tar.bz2" bzipped:1 >/dev/null 2>&1
expect_eq "a bzip2-compressed import stores the same uncompressed layer" \
  "$(d image inspect --format '{{json .RootFS.Layers}}' bb:1 2>&1)" \
  "$(d image inspect --format '{{json .RootFS.Layers}}' bzipped:1 2>&1)"
d rmi bzipped:1 >/dev/null 2>&1

# ---- errors ----
out="$(d rmi nosuch 2>&1)"
status=$?
# (docker 20.10's CLI words the 404 itself: "Error: No such image: nosuch".)
[ $status -ne 0 ] && [[ "${out,,}" == *"no such image: nosuch"* ]]
record $? "docker rmi of a missing image fails with docker's message" "$out"
echo garbage >"$work/garbage.tar"
out="$(d load -i "$work/garbage.tar" 2>&1)"
status=$?
[ $status -ne 0 ] && [ "$(d images -q | sort -u)" = "${id:7:12}" ]
record $? "a malformed archive is refused and changes nothing" "$out"
# An import fails only once its progress stream began: the error comes inside the stream.
out="$(d import "$work/garbage.tar" broken:1 2>&1)"
status=$?
[ $status -ne 0 ] && [[ "$out" == *"Unrecognized archive format"* ]] &&
  [ "$(d images -q | sort -u)" = "${id:7:12}" ]
record $? "a malformed import is refused and changes nothing" "$out"
out="$(d images --filter colour=blue 2>&1)"
status=$?
[ $status -ne 0 ] && [[ "$out" == *"invalid filter 'colour'"* ]]
record $? "an unknown filter is refused" "$out"

# ---- docker-py ----
out="$(timeout 120 python3 - "$sock" "$work/saved.tar" <<'PY' 2>&1
import sys
import docker

client = docker.DockerClient(base_url="unix://" + sys.argv[1], version="auto")
assert client.ping()
assert client.version()["Platform"]["Name"] == "berth"
image = client.images.get("bb:1")
assert image.tags and "bb:1" in image.tags, image.tags
assert image.tag("pyrepo", "v1")
assert "pyrepo:v1" in client.images.get(image.id).tags
assert image.history()[0]["Comment"] == "from busybox"
client.images.remove("pyrepo:v1")
try:
    client.images.get("pyrepo:v1")
    raise SystemExit("pyrepo:v1 still exists")
except docker.errors.ImageNotFound:
    pass
with open(sys.argv[2], "rb") as f:
    loaded = client.images.load(f.read())
assert any("bb:1" in i.tags for i in loaded), loaded
print("ok", len(client.images.list()))
PY
)"
[[ "$out" == "ok "* ]]
record $? "docker-py pings, tags, inspects, removes and loads" "$out"

# ---- restarts ----
# A second daemon on the same exec root finds the first one's pid file.
out="$(timeout 20 "$berthd" --data-root "$work/data2" --exec-root "$work/exec" \
  -H "unix://$work/other.sock" --config-file "$work/daemon.json" 2>&1)"
status=$?
[ $status -ne 0 ] && [[ "$out" == *"pid file found, ensure berthd is not running"* ]] &&
  [ ! -e "$work/other.sock" ]
record $? "a second berthd is refused by the pid file" "$out"

kill -TERM "$daemon_pid" && wait "$daemon_pid"
record $? "berthd stops on SIGTERM"
[ ! -e "$work/exec/berthd.pid" ] && [ ! -e "$sock" ]
record $? "the pid file and the socket are removed at stop"
start_daemon
expect_eq "the images are kept across a restart" "$id" \
  "$(d image inspect --format '{{.Id}}' bb:1 2>&1)"
kill -9 "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
start_daemon
expect_eq "the images are kept across a kill -9" "$id" \
  "$(d image inspect --format '{{.Id}}' registry.local:5000/team/bb:2 2>&1)"
pruned="$(d image prune -a -f 2>&1)"
[ -z "$(d images -q)" ] && [[ "$pruned" == *"deleted: $id"* ]]
record $? "docker image prune -a removes every unused image" "$pruned"

# The copying snapshotter, where overlayfs is not wanted.
kill -TERM "$daemon_pid" && wait "$daemon_pid"
start_daemon "$work/data-native" --storage-driver native
expect_eq "--storage-driver native is used" "native" "$(d info --format '{{.Driver}}' 2>&1)"
d import -m "on native" "$work/rootfs.tar" native:1 >/dev/null 2>&1
expect_eq "an import works on the native snapshotter" "on native" \
  "$(d image inspect --format '{{.Comment}}' native:1 2>&1)"
upper="$(d image inspect --format '{{.GraphDriver.Name}} {{json .GraphDriver.Data}}' native:1 2>&1)"
[[ "$upper" == 'native {"UpperDir":"'*'"}' ]] &&
  [ -x "$(d image inspect --format '{{.GraphDriver.Data.UpperDir}}' native:1)/bin/busybox" ]
record $? "GraphDriver.Data of the native snapshotter is the whole tree" "$upper"

summary
