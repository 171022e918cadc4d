#!/usr/bin/env bash
# berth, the CLI, against a berthd started on a temporary data root and socket, side by side with
# Debian's docker CLI against the same daemon: the image commands print the same columns and
# values, fail with the same messages and exit codes; images move between the two clients through
# save and load. When the daemon serves containers, berth runs them (output, exit codes, --rm,
# -d, logs, ps, exec, stop, wait, rm, cp, diff).
# Usage: tests/e2e/berth_cli_test.sh BERTH BERTHD   (run as root)
# Prints "N passed, N failed"; exits 0 when all pass, 1 on a failure, 77 when it cannot run here.
set -uo pipefail

# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"

[ $# -eq 2 ] || die "usage: $0 BERTH BERTHD"
berth="$(realpath "$1")" || die "berth $1 not found"
shift
# shellcheck source=tests/e2e/berthd_lib.sh
. "$(dirname "$0")/berthd_lib.sh"
start_daemon

b() { timeout 60 "$berth" "$@"; }
# both NAME ARGS...: berth and docker print the same (stdout and stderr) and exit alike.
both() {
  local name="$1"
  shift
  local want got
  want="$(d "$@" 2>&1; echo "exit $?")"
  got="$(b "$@" 2>&1; echo "exit $?")"
  expect_eq "$name" "$want" "$got"
}

# both_sorted NAME ARGS...: as both, for lists whose order is left open (images created in the
# same second; a repository's tags, which docker's CLI keeps in a Go map).
both_sorted() {
  local name="$1"
  shift
  expect_eq "$name" "$(d "$@" 2>&1 | sort; echo "exit ${PIPESTATUS[0]}")" \
    "$(b "$@" 2>&1 | sort; echo "exit ${PIPESTATUS[0]}")"
}

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
both_sorted "images as a table" images --format 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}'
expect_eq "images default header" "$(d images | head -1)" "$(b images | head -1)"
expect_eq "images --digests header" "$(d images --digests | head -1)" "$(b images --digests | head -1)"
both_sorted "images -q" images -q
both_sorted "images --no-trunc" images --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}} {{.Digest}}'
both "images --filter reference" images --filter reference=bb --format '{{.Repository}}:{{.Tag}}'
both_sorted "images REPOSITORY" image ls -q registry.local:5000/team/bb
# (Without the age, which may change between the two calls.)
expect_eq "images {{json .}}" \
  "$(d images --format '{{json .}} {{json .Repository}}' | sed 's/"CreatedSince":"[^"]*",//' | sort)" \
  "$(b images --format '{{json .}} {{json .Repository}}' | sed 's/"CreatedSince":"[^"]*",//' | sort)"
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
# On a terminal (a pseudo-terminal from script(1)), progress is redrawn line by line as docker does.
if command -v script >/dev/null; then
  b rmi bb:1 registry.local:5000/team/bb:2 >/dev/null
  want="$(timeout 60 script -qec "$docker_cli load -i $work/saved.tar" /dev/null | cat -v)"
  b rmi bb:1 registry.local:5000/team/bb:2 >/dev/null
  expect_eq "load's progress on a terminal" "$want" \
    "$(timeout 60 script -qec "$berth load -i $work/saved.tar" /dev/null | cat -v)"
fi
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
out="$(b image)"
[ $? = 0 ] && [[ "$out" == *"Usage:  berth image COMMAND"*"  ls          List images"* ]]
record $? "a management command alone lists its commands" "$out"

# ---- prune ----
b rmi bb:stdin >/dev/null
pruned_d="$(d image prune -a -f 2>&1)"
d load -i "$work/saved.tar" >/dev/null
b load -i "$work/docker-saved.tar" >/dev/null
pruned_b="$(b image prune -a -f 2>&1)"
expect_eq "image prune -a -f" "$(sed 's/sha256:[0-9a-f]*/ID/' <<<"$pruned_d" | sort)" \
  "$(sed 's/sha256:[0-9a-f]*/ID/' <<<"$pruned_b" | sort)"
expect_eq "nothing is left" "" "$(b images -q)"

# ---- containers ----
# (Run only where the daemon serves them: older berthds answer "page not found".)
served() { ! curl -s -X "$1" --unix-socket "$sock" "http://x$2" | grep 'page not found' >/dev/null; }
if served GET /containers/json; then
  b load -i "$work/saved.tar" >/dev/null
  expect_eq "run --rm prints the output" "hello from busybox" "$(b run --rm bb:1 echo hello from busybox 2>&1)"
  b run --rm bb:1 sh -c 'exit 3'
  expect_eq "run exits with the container's code" 3 $?
  expect_eq "run --rm leaves no container" "" "$(b ps -aq)"
  out="$(b run --rm bb:1 nosuchcommand 2>&1)"
  status=$?
  [ $status = 127 ] && [[ "$out" == "berth: Error response from daemon: "*"nosuchcommand"*"See 'berth run --help'." ]]
  record $? "run of a command not found exits 127 with the daemon's error" "$status $out"
  b run --rm bb:1 /etc >/dev/null 2>&1
  status=$?
  d run --rm bb:1 /etc >/dev/null 2>&1
  expect_eq "run of a directory exits as docker's" $? $status
  out="$(b run --rm nosuchimage true 2>&1)"
  status=$?
  [ $status = 125 ] && [[ "$out" == "Unable to find image 'nosuchimage:latest' locally"* ]]
  record $? "run of a missing image tries to pull and exits 125" "$status $out"
  expect_eq "run keeps stdout and stderr apart" "out" \
    "$(b run --rm bb:1 sh -c 'echo out; echo err >&2' 2>/dev/null)"
  expect_eq "run passes stdin with -i" "piped" "$(echo piped | b run --rm -i bb:1 cat 2>&1)"
  expect_eq "run keeps arguments after the image" "-l /" "$(b run --rm bb:1 echo -l / 2>&1)"
  echo "FROM_FILE=yes" >"$work/env"
  expect_eq "run -e, --env-file, -w, -u, -h" "v yes /tmp 1000 box" \
    "$(b run --rm -e K=v --env-file "$work/env" -w /tmp -u 1000 -h box bb:1 \
      sh -c 'echo $K $FROM_FILE $(pwd) $(id -u) $(hostname)' 2>&1)"
  expect_eq "run --entrypoint" "from entrypoint" "$(b run --rm --entrypoint echo bb:1 from entrypoint 2>&1)"
  expect_eq "run --read-only and --tmpfs" "ro tmpfs" \
    "$(b run --rm --read-only --tmpfs /scratch bb:1 sh -c 'touch /x 2>/dev/null && echo rw || echo ro; stat -f -c %T /scratch' 2>&1 | tr '\n' ' ' | sed 's/ $//')"
  expect_eq "run --pids-limit" "10" \
    "$(b run --rm --pids-limit 10 bb:1 sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max' 2>&1)"

  cid="$(b run -d --name web bb:1 sh -c 'echo started; echo oops >&2; exec sleep 300')"
  [[ "$cid" =~ ^[0-9a-f]{64}$ ]]
  record $? "run -d prints the container id" "$cid"
  expect_eq "ps shows it" "web ${cid:0:12}" "$(b ps --format '{{.Names}} {{.ID}}')"
  expect_eq "ps matches docker's" "$(d ps --format 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Status}}\t{{.Names}}')" \
    "$(b ps --format 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Status}}\t{{.Names}}')"
  both "ps --no-trunc -q" ps --no-trunc -q
  expect_eq "ps default header" "$(d ps | head -1 | tr -s " ")" "$(b ps | head -1 | tr -s " ")"
  for _ in $(seq 100); do
    [ "$(b logs web 2>/dev/null)" = started ] && break
    sleep 0.1
  done
  expect_eq "logs splits stdout" "started" "$(b logs web 2>/dev/null)"
  expect_eq "logs splits stderr" "oops" "$(b logs web 2>&1 >/dev/null)"
  expect_eq "logs --tail 1 -t" "$(d logs --tail 1 -t web 2>&1)" "$(b logs --tail 1 -t web 2>&1)"
  both "top" top web
  both "container inspect --format" container inspect --format '{{.State.Status}} {{.Name}} {{json .Config.Cmd}}' web
  both "inspect of a container" inspect --format '{{.State.Running}} {{.Config.Image}}' web
  if served POST /containers/nosuch/exec; then
    expect_eq "exec runs in the container" "exec ok" "$(b exec web echo exec ok 2>&1)"
    b exec web sh -c 'exit 7'
    expect_eq "exec exits with the command's code" 7 $?
    expect_eq "exec -e -w -u" "x /tmp 1000" "$(b exec -e V=x -w /tmp -u 1000 web sh -c 'echo $V $(pwd) $(id -u)' 2>&1)"
    expect_eq "exec -i passes stdin" "to exec" "$(echo 'to exec' | b exec -i web cat 2>&1)"
  fi
  expect_eq "pause" "web" "$(b pause web 2>&1)"
  expect_eq "ps shows it paused" "Paused" "$(b ps --format '{{.Status}}' | grep -o Paused)"
  expect_eq "unpause" "web" "$(b unpause web 2>&1)"
  expect_eq "rename" "" "$(b rename web web2 2>&1)"
  expect_eq "kill -s" "web2" "$(b kill -s KILL web2 2>&1)"
  expect_eq "wait prints the exit code" "137" "$(b wait web2 2>&1)"
  expect_eq "ps -a shows it exited" "web2 exited" "$(b ps -a --format '{{.Names}} {{.State}}')"
  expect_eq "restart starts it again" "web2 running" \
    "$(b restart -t 1 web2 >/dev/null; b container inspect --format '{{.Name}} {{.State.Status}}' web2 | tr -d /)"
  expect_eq "stop prints the name" "web2" "$(b stop -t 1 web2 2>&1)"
  expect_eq "rm prints the name" "web2" "$(b rm web2 2>&1)"

  b run -d -i --name att bb:1 sh -c 'read line; echo got $line; exit 5' >/dev/null
  expect_eq "attach passes stdin and prints the output" "got hello" "$(echo hello | b attach att 2>&1)"
  b wait att >/dev/null
  expect_eq "the attached container's code" "5" "$(b container inspect --format '{{.State.ExitCode}}' att)"
  b create --name later bb:1 sh -c 'echo started later; exit 4' >/dev/null
  expect_eq "create leaves it created" "created" "$(b container inspect --format '{{.State.Status}}' later)"
  expect_eq "start -a prints its output" "started later" "$(b start -a later 2>&1)"
  b start -a later >/dev/null 2>&1
  expect_eq "start -a exits with its code" 4 $?
  b run -d --name busy bb:1 sleep 300 >/dev/null
  expect_eq "ps -n 1 shows the newest" "busy" "$(b ps -n 1 --format '{{.Names}}')"
  expect_eq "ps -l shows the newest" "busy" "$(b ps -l --format '{{.Names}}')"
  expect_eq "ps --filter name" "later" "$(b ps -a --filter name=later --format '{{.Names}}')"
  expect_eq "ps -a matches docker's" "$(d ps -a --format '{{.ID}} {{.Names}} {{.Command}} {{.State}}')" \
    "$(b ps -a --format '{{.ID}} {{.Names}} {{.Command}} {{.State}}')"
  both "ps -a --no-trunc" ps -a --no-trunc --format '{{.ID}} {{.Image}} {{.Command}} {{.Names}}'
  expect_eq "rm -f removes running containers" "att later busy" "$(b rm -f att later busy 2>&1 | tr '\n' ' ' | sed 's/ $//')"
  expect_eq "no container is left" "" "$(b ps -aq)"

  if served GET /containers/nosuch/export; then
    b run --name snap bb:1 sh -c 'echo kept >/marker' >/dev/null
    b export -o "$work/snap.tar" snap
    tar -tf "$work/snap.tar" | grep -E '^(\./)?marker$' >/dev/null
    record $? "export -o writes the container's filesystem"
    if served POST /commit; then
      committed="$(b commit -m "with a marker" snap snapped:1 2>&1)"
      [[ "$committed" == sha256:* ]]
      record $? "commit prints the new image's id" "$committed"
      expect_eq "the committed image has the change" "kept" "$(b run --rm snapped:1 cat /marker 2>&1)"
    fi
    b rm snap >/dev/null
  fi

  # Signals reach the container (--sig-proxy, on by default without a tty).
  "$berth" run --rm --name sig bb:1 sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done' \
    >"$work/sig.out" 2>&1 &
  runner=$!
  for _ in $(seq 200); do
    grep -q ready "$work/sig.out" && break
    sleep 0.05
  done
  kill -TERM "$runner"
  wait "$runner"
  expect_eq "a signal to run is proxied to the container" 42 $?

  # A terminal: -it gives the container a tty; Ctrl-P Ctrl-Q detaches and leaves it running.
  if command -v script >/dev/null; then
    # Input stays open while it runs: at the end of its input script types an EOF byte, which the
    # container's terminal would echo into the output.
    out="$(timeout 30 script -qec "$berth run --rm -it bb:1 sh -c 'tty; exit 2'" /dev/null \
      < <(sleep 10) | tr -d '\r')"
    status=$?
    [ $status = 2 ] && [[ "$out" == "/dev/pts/"* ]]
    record $? "run -it runs on a tty and exits with its code" "$status $out"
    { sleep 1; printf 'echo typed\n'; sleep 1; printf '\x10\x11'; sleep 2; } |
      timeout 30 script -qec "$berth run -it --name term bb:1 sh" /dev/null >"$work/term.out"
    status=$?
    [ $status = 0 ] && grep -q typed "$work/term.out" &&
      [ "$(b container inspect --format '{{.State.Status}}' term)" = running ]
    record $? "Ctrl-P Ctrl-Q detaches from a running container" "$status $(cat "$work/term.out")"
    b rm -f term >/dev/null
  fi

  b run -d --name follow bb:1 sh -c 'echo first; sleep 1; echo second' >/dev/null
  expect_eq "logs -f follows until the container stops" "first second" \
    "$(b logs -f follow 2>&1 | tr '\n' ' ' | sed 's/ $//')"
  b rm follow >/dev/null
  # Health checks and update, beside docker's view of the same containers.
  t0="$(date +%s)"
  b run -d --name bhealth --health-cmd 'echo ok' --health-interval 1s --health-retries 2 \
    --restart-on-unhealthy bb:1 sleep 1000 >/dev/null
  read -r event < <(timeout 30 "$docker_cli" events --since "$t0" --filter container=bhealth \
    --filter event=health_status --format '{{.Action}}' 2>&1)
  expect_eq "run --health-cmd: the container turns healthy" "health_status: healthy" "$event"
  both "--restart-on-unhealthy is the label berth.restart-on-unhealthy" container inspect \
    --format '{{index .Config.Labels "berth.restart-on-unhealthy"}} {{json .Config.Healthcheck}}' bhealth
  both "inspect shows the health" container inspect \
    --format '{{.State.Health.Status}} {{.State.Health.FailingStreak}} {{with index .State.Health.Log 0}}{{.ExitCode}} {{.Output}}{{end}}' bhealth
  expect_eq "ps shows (healthy) as docker's does" \
    "$(d ps --filter name=bhealth --format '{{.Names}} {{.Status}}' | sed 's/Up .* (/Up (/')" \
    "$(b ps --filter name=bhealth --format '{{.Names}} {{.Status}}' | sed 's/Up .* (/Up (/')"
  both "ps --filter health=healthy" ps --filter health=healthy --format '{{.Names}}'
  expect_eq "update prints the container" "bhealth" \
    "$(b update -m 96m --memory-swap 192m --cpu-shares 256 --pids-limit 40 --restart no bhealth 2>&1)"
  both "update reaches the record" container inspect --format \
    '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}' bhealth
  expect_eq "update reaches the cgroup" "100663296" \
    "$(b exec bhealth sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max')"
  b update --cpus 1 bhealth >/dev/null
  both "update of conflicting CPU options" update --cpu-period 50000 bhealth
  both "update of a missing container" update -m 64m nosuch
  b rm -f bhealth >/dev/null
  both "run -it without a terminal" run --rm -it bb:1 true </dev/null
  # cp and diff, beside docker's.
  b run -d --name cpbox bb:1 sh -c 'mkdir -p /srv/sub && echo one >/srv/sub/a && ln -s sub /srv/link &&
    touch /ready && exec sleep 600' >/dev/null
  for _ in $(seq 200); do b exec cpbox test -e /ready 2>/dev/null && break; sleep 0.05; done
  both "diff" diff cpbox
  both "diff of a missing container" diff nosuch
  expect_eq "cp CONTAINER:DIR - writes docker's tar" "$(d cp cpbox:/srv - | tar -t)" \
    "$(b cp cpbox:/srv - | tar -t)"
  tree() { (cd "$1" && find . -printf '%p %y %m %s %l\n' | sort); }
  for case in "/srv new" "/srv/ new2" "/srv/. into/" "/srv/sub/a file" "/srv/link link" \
    "/srv/sub/a into/"; do
    read -r from to <<<"$case"
    mkdir -p "$work/cp-d/into" "$work/cp-b/into"
    d cp -L "cpbox:$from" "$work/cp-d/$to" >/dev/null 2>&1
    b cp -L "cpbox:$from" "$work/cp-b/$to" >/dev/null 2>&1
  done
  expect_eq "cp from a container lands where docker's does" "$(tree "$work/cp-d")" \
    "$(tree "$work/cp-b")"
  mkdir -p "$work/up/dir" && echo two >"$work/up/dir/b" && echo three >"$work/up/f"
  for case in "up/dir /srv/d-NAME" "up/dir/. /srv/sub/" "up/f /srv/f-NAME" "up/f /srv/sub/"; do
    read -r from to <<<"$case"
    d cp "$work/$from" "cpbox:${to/NAME/d}" 2>&1
    b cp "$work/$from" "cpbox:${to/NAME/b}" 2>&1
  done
  expect_eq "cp to a container lands where docker's does" \
    "$(b exec cpbox sh -c 'cd /srv && ls -R d-d f-d sub' | sed 's/-d/-X/g')" \
    "$(b exec cpbox sh -c 'cd /srv && ls -R d-b f-b sub' | sed 's/-b/-X/g')"
  both "cp of a missing path" cp cpbox:/nope "$work/nope"
  both "cp of a missing container" cp nosuch:/x "$work/nope"
  both "cp of a missing local file" cp "$work/nosuch" cpbox:/srv/
  both "cp between containers" cp cpbox:/a cpbox:/b
  both "cp without a container" cp "$work/a" "$work/b"
  both "cp of a directory onto a file" cp "$work/up/dir" cpbox:/srv/sub/a
  both "cp - to a file" cp - cpbox:/srv/sub/a </dev/null
  b rm -f cpbox >/dev/null
  both "rm of a missing container" rm nosuch
  both "logs of a missing container" logs nosuch
  both "container inspect of a missing container" container inspect nosuch
  both "stop of a missing container" stop nosuch
fi

summary
