#!/usr/bin/env bash
# berth, the CLI, against a berthd started on a temporary data root and socket, side by side with
# Debian's docker CLI against the same daemon: the image commands print the same columns and
# values, fail with the same messages and exit codes; images move between the two clients through
# save and load. When the daemon serves containers, berth runs them (output, exit codes, --rm,
# -d, logs, ps, exec, stop, wait, rm).
# Usage: tests/e2e/berth_cli_test.sh BERTH BERTHD   (run as root)
# Prints "N passed, N failed"; exits 0 when all pass, 1 on a failure, 77 when it cannot run here.
set -uo pipefail

# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"

[ $# -eq 2 ] || die "usage: $0 BERTH BERTHD"
[ "$(id -u)" = 0 ] || skip "needs root"
docker_cli=/usr/bin/docker
[ -x "$docker_cli" ] || docker_cli="$(command -v docker)" ||
  skip "docker CLI not installed (scripts/install-deps.sh --all)"
berth="$(realpath "$1")" || die "berth $1 not found"
berthd="$(realpath "$2")" || die "berthd $2 not found"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/berth-cli-e2e.XXXXXX)"
sock="$work/berth.sock"
export DOCKER_HOST="unix://$sock" DOCKER_CONFIG="$work/docker-config"
daemon_pid=

cleanup() {
  [ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$berthd" --data-root "$work/data" --exec-root "$work/exec" -H "unix://$sock" \
  >"$work/berthd.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do
  [ -S "$sock" ] && curl -sf --unix-socket "$sock" http://x/_ping >/dev/null && break
  sleep 0.05
done
[ -S "$sock" ] || {
  cat "$work/berthd.log" >&2
  die "berthd did not start"
}

b() { timeout 60 "$berth" "$@"; }
d() { timeout 60 "$docker_cli" "$@"; }
# both NAME ARGS...: berth and docker print the same (stdout and stderr) and exit alike.
both() {
  local name="$1"
  shift
  local want got
  want="$(d "$@" 2>&1; echo "exit $?")"
  got="$(b "$@" 2>&1; echo "exit $?")"
  expect_eq "$name" "$want" "$got"
}

rootfs="$repo/build/fixtures/busybox-rootfs"
[ -n "${BERTH_BUILD_DIR:-}" ] && rootfs="$BERTH_BUILD_DIR/fixtures/busybox-rootfs"
bash "$repo/tests/fixtures/make-busybox-rootfs.sh" "$rootfs" || die "cannot build the busybox rootfs"
tar -C "$rootfs" --exclude ./.complete -cf "$work/rootfs.tar" . || die "cannot tar the rootfs"

# ---- system ----
both "version --format" version --format '{{.Server.Platform.Name}} {{.Server.APIVersion}}'
both "info --format" info --format '{{.Images}} {{.Driver}} {{.OSType}} {{json .Plugins}}'
expect_eq "DOCKER_API_VERSION fixes the version" "1.41" \
  "$(DOCKER_API_VERSION=1.41 b version --format '{{.Client.ApiVersion}}')"
expect_eq "-H names the daemon" "berth" \
  "$(DOCKER_HOST=unix:///nonexistent b -H "unix://$sock" version --format '{{.Server.Platform.Name}}')"
both "an unreachable daemon" -H unix:///nonexistent/berth.sock images
expect_eq "--version" "berth version 0.1.0" "$(b --version)"

# ---- import, images, inspect, history ----
id="$(b import -c 'CMD ["/bin/sh"]' -c 'ENV GREETING=hello' -m "from busybox" "$work/rootfs.tar" bb:1 2>&1)"
[[ "$id" == sha256:* ]]
record $? "berth import prints the image id" "$id"
id2="$(b import - bb:stdin <"$work/rootfs.tar" 2>&1)"
[[ "$id2" == sha256:* ]]
record $? "berth import - reads stdin" "$id2"
b tag bb:1 registry.local:5000/team/bb:2
record $? "berth tag"
both "images as a table" images --format 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}'
expect_eq "images default header" "$(d images | head -1)" "$(b images | head -1)"
expect_eq "images --digests header" "$(d images --digests | head -1)" "$(b images --digests | head -1)"
both "images -q" images -q
both "images --no-trunc" images --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}} {{.Digest}}'
both "images --filter reference" images --filter reference=bb --format '{{.Repository}}:{{.Tag}}'
both "images REPOSITORY" image ls -q registry.local:5000/team/bb
both "images {{json .}}" images --format '{{json .Size}} {{json .Repository}} {{.Containers}} {{.Digest}}'
both "image inspect" image inspect bb:1
both "inspect of an image" inspect --format '{{json .Config.Cmd}} {{.Config.Env}} {{.Comment}}' bb:1
both "inspect index and join" image inspect --format '{{index .RepoTags 0}} {{join .Config.Env ","}} {{upper .Os}}' bb:1
both "history" history --format 'table {{.ID}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}' bb:1
both "history --no-trunc -q" history --no-trunc -q bb:1
both "history without human sizes" history -H=false --format '{{.Size}} {{.CreatedSince}}' bb:1

# ---- save, load, rmi ----
b save -o "$work/saved.tar" bb:1 registry.local:5000/team/bb:2
record $? "berth save -o"
tar -tf "$work/saved.tar" | grep -x manifest.json >/dev/null
record $? "berth save writes a docker archive"
both "rmi of a missing image" rmi nosuch
removed="$(b rmi bb:1 registry.local:5000/team/bb:2 2>&1 | tr '\n' ' ')"
[[ "$removed" == *"Untagged: bb:1"*"Untagged: registry.local:5000/team/bb:2"*"Deleted: $id"* ]]
record $? "berth rmi untags and deletes" "$removed"
expect_eq "docker loads berth's archive" "Loaded image: bb:1 Loaded image: registry.local:5000/team/bb:2 " \
  "$(d load -i "$work/saved.tar" 2>&1 | tr '\n' ' ')"
expect_eq "the image keeps its id" "$id" "$(b image inspect --format '{{.Id}}' bb:1)"
d save bb:1 >"$work/docker-saved.tar"
b rmi bb:1 registry.local:5000/team/bb:2 >/dev/null
expect_eq "berth loads docker's archive" "Loaded image: bb:1" "$(b load -i "$work/docker-saved.tar" 2>&1)"
expect_eq "berth save | berth load streams" "Loaded image: bb:1" "$(b save bb:1 | b load 2>&1)"
b load -q <"$work/saved.tar" >/dev/null
both "load -q of a loaded archive" load -q -i "$work/saved.tar"

# ---- errors ----
both "image inspect of a missing image" image inspect nosuch
both "inspect of a missing object" inspect nosuch
both "tag of a missing image" tag nosuch x:1
both "tag to an invalid name" tag bb:1 Bad:1
both "an unknown filter" images --filter colour=blue
# (docker names Go's type of the row after the field: "in type *formatter.imageContext".)
out="$(b images --format '{{.Foo}}' 2>&1)"
[ $? = 1 ] && [ "$out" = "$(d images --format '{{.Foo}}' 2>&1 | sed 's/ in type .*//')" ]
record $? "an unknown template field" "$out"
both "an unknown template function" images --format '{{foo .}}'
echo garbage >"$work/garbage.tar"
both "a malformed archive" load -i "$work/garbage.tar"
out="$(b import "$work/garbage.tar" broken:1 2>&1)"
status=$?
[ $status -ne 0 ] && [[ "$out" == *"Unrecognized archive format"* ]]
record $? "a malformed import fails with the daemon's error" "$out"
# The CLI's own errors name the program; otherwise they are docker's, word for word.
# as_docker NAME ARGS...: berth prints what docker prints, with its own name, and exits alike.
as_docker() {
  local name="$1"
  shift
  expect_eq "$name" "$(d "$@" 2>&1; echo "exit $?")" \
    "$(b "$@" 2>&1 | sed 's/berth/docker/g'; echo "exit ${PIPESTATUS[0]}")"
}
as_docker "an unknown flag exits 125" images --bogus
as_docker "an unknown shorthand exits 125" images -Z
as_docker "a flag without its value" images --format
as_docker "a missing argument exits 1" image inspect
as_docker "too many arguments" tag a b c
as_docker "an unknown command" frobnicate

# ---- prune ----
b rmi bb:stdin >/dev/null
pruned_d="$(d image prune -a -f 2>&1)"
d load -i "$work/saved.tar" >/dev/null
b load -i "$work/docker-saved.tar" >/dev/null
pruned_b="$(b image prune -a -f 2>&1)"
expect_eq "image prune -a -f" "$(sed 's/sha256:[0-9a-f]*/ID/' <<<"$pruned_d" | sort)" \
  "$(sed 's/sha256:[0-9a-f]*/ID/' <<<"$pruned_b" | sort)"
expect_eq "nothing is left" "" "$(b images -q)"

# ---- containers (once the daemon serves them) ----
if curl -s --unix-socket "$sock" http://x/containers/json | grep -q '^\['; then
  b load -i "$work/saved.tar" >/dev/null
  expect_eq "run --rm prints the output" "hello from busybox" "$(b run --rm bb:1 echo hello from busybox 2>&1)"
  b run --rm bb:1 sh -c 'exit 3'
  expect_eq "run exits with the container's code" 3 $?
  out="$(b run --rm bb:1 /no/such/program 2>&1)"
  expect_eq "run of a missing program exits 127" 127 $?
  expect_eq "run passes stdin with -i" "piped" "$(echo piped | b run --rm -i bb:1 cat 2>&1)"
  expect_eq "run keeps arguments after the image" "-l /" "$(b run --rm bb:1 echo -l / 2>&1)"
  expect_eq "run -e and -w" "v /tmp" "$(b run --rm -e K=v -w /tmp bb:1 sh -c 'echo $K $(pwd)' 2>&1)"
  cid="$(b run -d --name web bb:1 sh -c 'echo started; echo oops >&2; sleep 300')"
  [[ "$cid" =~ ^[0-9a-f]{64}$ ]]
  record $? "run -d prints the container id" "$cid"
  expect_eq "ps shows it" "web ${cid:0:12}" "$(b ps --format '{{.Names}} {{.ID}}')"
  expect_eq "ps matches docker's" "$(d ps --format 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Status}}\t{{.Names}}')" \
    "$(b ps --format 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Status}}\t{{.Names}}')"
  for _ in $(seq 100); do
    [ "$(b logs web 2>/dev/null)" = started ] && break
    sleep 0.1
  done
  expect_eq "logs splits stdout" "started" "$(b logs web 2>/dev/null)"
  expect_eq "logs splits stderr" "oops" "$(b logs web 2>&1 >/dev/null)"
  expect_eq "exec runs in the container" "exec ok" "$(b exec web echo exec ok 2>&1)"
  b exec web sh -c 'exit 7'
  expect_eq "exec exits with the command's code" 7 $?
  expect_eq "container inspect" "running" "$(b container inspect --format '{{.State.Status}}' web)"
  expect_eq "stop prints the name" "web" "$(b stop -t 1 web 2>&1)"
  expect_eq "wait prints the exit code" "$(d wait web 2>&1)" "$(b wait web 2>&1)"
  expect_eq "ps -a shows it exited" "web exited" "$(b ps -a --format '{{.Names}} {{.State}}')"
  expect_eq "rm prints the name" "web" "$(b rm web 2>&1)"
  expect_eq "no container is left" "" "$(b ps -aq)"
  both "rm of a missing container" rm nosuch
fi

summary
