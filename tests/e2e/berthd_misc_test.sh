#!/usr/bin/env bash
# Daemon features docker users expect, driven by Debian's docker CLI, docker-py and berth:
# docker system df (-v, docker-py's df(), the type parameter), --volumes-from, --init (the
# init as PID 1 passing signals on, --init-path), runtimes (--add-runtime, --runtime with
# berth-runtime as an OCI runtime binary, docker info), --live-restore=false stopping containers
# on a clean shutdown, a health probe that cannot start, and berth's --config directory.
# Usage: tests/e2e/berthd_misc_test.sh BERTHD BERTH BERTH_RUNTIME   (run as root)
# Prints "N passed, N failed"; exits 0 when all pass, 1 on a failure, 77 when it cannot run here.
# shellcheck disable=SC2016 # single-quoted $ are for the container's shell, Go templates and text
set -uo pipefail

# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"

[ $# -eq 3 ] || die "usage: $0 BERTHD BERTH BERTH_RUNTIME"
berth="$(realpath "$2")" || die "berth $2 not found"
runtime_bin="$(realpath "$3")" || die "berth-runtime $3 not found"
# shellcheck source=tests/e2e/berthd_lib.sh
. "$(dirname "$0")/berthd_lib.sh"

# stop_daemon: a clean shutdown (SIGTERM), waited for.
stop_daemon() {
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" 2>/dev/null
  daemon_pid=
}

# wait_for NAME COMMAND...: runs COMMAND until it succeeds (at most 20 s).
wait_for() {
  local name="$1"
  shift
  for _ in $(seq 200); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "timed out waiting for $name" >&2
  return 1
}

start_daemon "$work/data" --add-runtime "berth-runtime=$runtime_bin"
d import "$work/rootfs.tar" bb >/dev/null 2>&1 || die "cannot import busybox"

# ---- docker system df ----
d run --name dfc -v dfvol:/v bb sh -c 'head -c 100000 /dev/zero > /v/f; head -c 50000 /dev/zero > /big' \
  >/dev/null 2>&1
d commit dfc bbchild >/dev/null 2>&1 || die "cannot commit bbchild"
expect_eq "docker system df counts images, containers, volumes and the build cache" \
  "Images:2:1 Containers:1:0 Local Volumes:1:1 Build Cache:0:0" \
  "$(d system df --format '{{.Type}}:{{.TotalCount}}:{{.Active}}' 2>&1 | paste -sd' ')"
out="$(python3 - <<'EOF' 2>&1
import docker
df = docker.from_env().df()
images = {i["RepoTags"][0]: i for i in df["Images"]}
base, child = images["bb:latest"], images["bbchild:latest"]
container = df["Containers"][0]
volume = df["Volumes"][0]
print(df["LayersSize"] == child["Size"], base["SharedSize"] == base["Size"],
      child["SharedSize"] == base["Size"], base["Containers"], child["Containers"],
      container["SizeRw"] >= 50000, container["SizeRootFs"] > container["SizeRw"],
      volume["Name"], volume["UsageData"]["RefCount"], volume["UsageData"]["Size"] >= 100000,
      df["BuildCache"])
EOF
)"
expect_eq "docker-py's df(): layers counted once, shared sizes, SizeRw, volume usage" \
  "True True True 1 0 True True dfvol 1 True []" "$out"
out="$(curl -s --unix-socket "$sock" 'http://x/v1.42/system/df?type=volume')"
expect_eq "the type parameter (API 1.42) measures only what it names" "null null 1 null" \
  "$(jq -r '[.Images, .Containers, (.Volumes | length), .BuildCache] | map(tostring) | join(" ")' <<<"$out")"
out="$(curl -s -w ' %{http_code}' --unix-socket "$sock" 'http://x/v1.42/system/df?type=disks' | tr -d '\n')"
expect_eq "an unknown type is docker's 400" '{"message":"unknown object type: disks"} 400' "$out"
out="$("$berth" system df -v 2>&1)"
[[ "$out" == *"Images space usage:"* && "$out" == *"Local Volumes space usage:"* &&
  "$out" =~ dfvol\ +1\ +[0-9.]+kB && "$out" =~ bbchild\ +latest ]]
record $? "berth system df -v shows docker's tables" "$out"
d rm dfc >/dev/null 2>&1
d rmi bbchild >/dev/null 2>&1

# ---- --volumes-from ----
mkdir -p "$work/bindsrc" && echo from-bind >"$work/bindsrc/y"
d run -d --name vsrc -v vfvol:/data -v "$work/bindsrc:/bind" --tmpfs /scratch bb sleep 1d >/dev/null 2>&1
d exec vsrc sh -c 'echo from-volume > /data/x' >/dev/null 2>&1
expect_eq "--volumes-from mounts the other container's volumes and binds at their destinations" \
  "from-volume from-bind" "$(d run --rm --volumes-from vsrc bb sh -c 'echo $(cat /data/x /bind/y)' 2>&1)"
d run --rm --volumes-from vsrc bb sh -c 'echo more > /data/z' >/dev/null 2>&1
expect_eq "what the new container writes is in the shared volume" "more" \
  "$(d exec vsrc cat /data/z 2>&1)"
out="$(d run --rm --volumes-from vsrc:ro bb sh -c 'touch /data/w' 2>&1)"
[[ "$out" == *"Read-only file system"* ]]
record $? "--volumes-from NAME:ro mounts them read-only" "$out"
d create --name vuser --volumes-from vsrc bb true >/dev/null 2>&1
expect_eq "inspect lists the inherited mounts (a tmpfs stays the other's own)" \
  "bind:/bind:true volume:/data:true " \
  "$(d inspect -f '{{range .Mounts}}{{.Type}}:{{.Destination}}:{{.RW}} {{end}}' vuser 2>&1)"
d rm -f vsrc >/dev/null 2>&1
out="$(d volume rm vfvol 2>&1)"
[[ "$out" == *"volume is in use"* ]]
record $? "a volume taken with --volumes-from is in use by the new container" "$out"
out="$(curl -s -w ' %{http_code}' --unix-socket "$sock" -H 'Content-Type: application/json' \
  -d '{"Image":"bb","HostConfig":{"VolumesFrom":["nosuch"]}}' http://x/containers/create |
  tr -d '\n')"
expect_eq "--volumes-from an unknown container is dockerd's 400" \
  '{"message":"No such container: nosuch"} 400' "$out"
out="$(d run --rm --volumes-from nosuch bb true 2>&1)"
[[ "$out" == *"No such container: nosuch"* && "$out" != *"Unable to find image"* ]]
record $? "... which docker's CLI prints without looking for the image" "$out"
out="$(d run --rm --volumes-from vuser:rx bb true 2>&1)"
[[ "$out" == *"invalid mode: rx"* ]]
record $? "--volumes-from with a bad mode is docker's error" "$out"
d rm -f vuser >/dev/null 2>&1

# ---- --init ----
out="$(d run --rm --init bb ps -o pid,args 2>&1)"
[[ "$(grep -E '^ *1 ' <<<"$out")" == *"/sbin/docker-init -- ps -o pid,args"* ]]
record $? "docker run --init runs the init as PID 1 with the command after --" "$out"
d run -d --init --name initc bb sh -c 'trap "echo got TERM; exit 3" TERM; while true; do sleep 0.1; done' \
  >/dev/null 2>&1
wait_for "initc's loop" sh -c "$docker_cli top initc | grep -q sleep"
d stop -t 20 initc >/dev/null 2>&1
expect_eq "a signal sent to the init reaches the command, whose exit code is the container's" \
  "got TERM 3" "$(d logs initc 2>&1) $(d inspect -f '{{.State.ExitCode}}' initc 2>&1)"
d rm initc >/dev/null 2>&1

# ---- runtimes ----
expect_eq "docker info lists the runtimes and the default one" \
  "berth berth-runtime=$runtime_bin berth" \
  "$(d info --format '{{range $k, $v := .Runtimes}}{{$k}}{{if ne $k "berth"}}={{$v.Path}}{{end}} {{end}}{{.DefaultRuntime}}' 2>&1)"
d run -d --name rtc --runtime berth-runtime bb \
  sh -c 'trap "exit 0" TERM; echo via-binary; while true; do sleep 0.1; done' >/dev/null 2>&1
rtc="$(d inspect -f '{{.Id}}' rtc 2>&1)"
wait_for "rtc's output" sh -c "$docker_cli logs rtc | grep -q via-binary"
expect_eq "a container runs with --runtime berth-runtime, created by the binary" \
  "berth-runtime running yes" \
  "$(d inspect -f '{{.HostConfig.Runtime}} {{.State.Status}}' rtc 2>&1) $([ -d "$work/exec/runtimes/berth-runtime/$rtc" ] && echo yes)"
expect_eq "exec works through the runtime binary" "hello" "$(d exec rtc echo hello 2>&1)"
expect_eq "docker top lists its processes (the binary's ps)" "yes" \
  "$(d top rtc 2>&1 | grep -q 'sleep' && echo yes)"
d pause rtc >/dev/null 2>&1
expect_eq "pause goes through the binary" "paused" "$(d inspect -f '{{.State.Status}}' rtc 2>&1)"
d unpause rtc >/dev/null 2>&1
d stop rtc >/dev/null 2>&1
expect_eq "stop goes through the binary; the state it kept is deleted" "0 gone" \
  "$(d inspect -f '{{.State.ExitCode}}' rtc 2>&1) $([ -e "$work/exec/runtimes/berth-runtime/$rtc" ] || echo gone)"
expect_eq "a tty container runs through the binary (console socket)" "tty-ok" \
  "$(d run --rm -t --runtime berth-runtime bb sh -c 'test -t 1 && echo tty-ok' 2>&1 | tr -d '\r')"
d rm rtc >/dev/null 2>&1
expect_eq "a container without --runtime gets the default one" "berth" \
  "$(d inspect -f '{{.HostConfig.Runtime}}' "$(d create bb true 2>&1)" 2>&1)"
out="$(d run --rm --runtime nosuch bb true 2>&1)"
[[ "$out" == *"Unknown runtime specified nosuch"* ]]
record $? "an unknown runtime is refused" "$out"
status="$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" -H 'Content-Type: application/json' \
  -d '{"Image":"bb","HostConfig":{"Runtime":"nosuch"}}' http://x/containers/create)"
expect_eq "... with docker's 400" "400" "$status"

# ---- a health probe that cannot start ----
out="$(python3 - <<'EOF' 2>&1
import docker, time
c = docker.from_env().containers.run("bb", ["sleep", "1d"], detach=True, name="probe",
    healthcheck={"test": ["CMD", "nosuchbin"], "interval": 200000000, "retries": 1})
for _ in range(100):
    c.reload()
    health = c.attrs["State"]["Health"]
    if health["Status"] == "unhealthy":
        break
    time.sleep(0.1)
last = health["Log"][-1]
print(health["Status"], health["FailingStreak"] >= 1, last["ExitCode"])
print(last["Output"])
EOF
)"
expect_eq "a probe whose binary is missing fails with docker's text in the health log" \
  'unhealthy True -1
OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuchbin": executable file not found in $PATH: unknown' \
  "$out"
d rm -f probe >/dev/null 2>&1

# ---- berth --config ----
mkdir -p "$work/cfg-flag" "$work/cfg-env"
echo '{"psFormat": "flag:{{.Names}}"}' >"$work/cfg-flag/config.json"
echo '{"psFormat": "env:{{.Names}}"}' >"$work/cfg-env/config.json"
d run -d --name cfgc bb sleep 1d >/dev/null 2>&1
expect_eq "berth --config DIR reads DIR/config.json (psFormat)" "flag:cfgc" \
  "$("$berth" --config "$work/cfg-flag" ps 2>&1)"
expect_eq "DOCKER_CONFIG names the directory when --config is not given" "env:cfgc" \
  "$(DOCKER_CONFIG="$work/cfg-env" "$berth" ps 2>&1)"
d rm -f cfgc >/dev/null 2>&1

# ---- --live-restore ----
d run -d --name kept bb sleep 1d >/dev/null 2>&1
stop_daemon
start_daemon "$work/data"
expect_eq "by default (live-restore) containers keep running over a clean shutdown" "true" \
  "$(d inspect -f '{{.State.Running}}' kept 2>&1)"
d rm -f kept >/dev/null 2>&1
stop_daemon
start_daemon "$work/data" --live-restore=false
expect_eq "docker info says whether live-restore is on" "false" \
  "$(d info --format '{{.LiveRestoreEnabled}}' 2>&1)"
d run -d --name plain bb sh -c 'trap "exit 0" TERM; while true; do sleep 0.1; done' >/dev/null 2>&1
d run -d --name always --restart always bb \
  sh -c 'trap "exit 0" TERM; while true; do sleep 0.1; done' >/dev/null 2>&1
plain_pid="$(d inspect -f '{{.State.Pid}}' plain 2>&1)"
stop_daemon
expect_eq "--live-restore=false stops the containers on a clean shutdown" "gone" \
  "$(kill -0 "$plain_pid" 2>/dev/null || echo gone)"
echo '{"log-level": "debug", "live-restore": false}' >"$work/daemon.json"
start_daemon "$work/data"
wait_for "always to restart" sh -c "$docker_cli inspect -f '{{.State.Running}}' always | grep -q true"
expect_eq "... a stopped one stays stopped, one with --restart always starts with the next daemon" \
  "exited 0 true" \
  "$(d inspect -f '{{.State.Status}} {{.State.ExitCode}}' plain 2>&1) $(d inspect -f '{{.State.Running}}' always 2>&1)"
d rm -f plain always >/dev/null 2>&1
stop_daemon
out="$(timeout 20 "$berthd" --data-root "$work/data" --exec-root "$work/exec" -H "unix://$sock" \
  --config-file "$work/daemon.json" --init-path /nonexistent/tini 2>&1)"
[[ "$out" == *"init-path /nonexistent/tini"* ]]
record $? "berthd refuses an --init-path that is not an executable" "$out"
out="$(timeout 20 "$berthd" --data-root "$work/data" --exec-root "$work/exec" -H "unix://$sock" \
  --config-file "$work/daemon.json" --default-runtime nosuch 2>&1)"
[[ "$out" == *"specified default runtime 'nosuch' does not exist"* ]]
record $? "berthd refuses a default runtime it does not know" "$out"
cp /usr/bin/tini-static "$work/my-init"
echo "{\"log-level\": \"debug\", \"init-path\": \"$work/my-init\"}" >"$work/daemon.json"
start_daemon "$work/data"
out="$(d run --rm --init bb sh -c 'grep " /sbin/docker-init " /proc/self/mountinfo' 2>&1)"
[[ "$out" == *my-init*" ro"* ]]
record $? "daemon.json's init-path is the init, mounted read-only at /sbin/docker-init" "$out"
stop_daemon
echo '{"log-level": "debug"}' >"$work/daemon.json"
# No init in PATH: berthd runs, and a container asking for one is refused.
PATH=/nonexistent "$berthd" --data-root "$work/data" --exec-root "$work/exec" -H "unix://$sock" \
  --config-file "$work/daemon.json" >>"$work/berthd.log" 2>&1 &
daemon_pid=$!
wait_for "berthd without an init" curl -sf --unix-socket "$sock" http://x/_ping
out="$(d run --rm --init bb true 2>&1)"
[[ "$out" == *"no init binary (docker-init or tini) is installed"* ]]
record $? "without an init, run --init is refused with a clear error" "$out"
expect_eq "... and containers without --init still run" "ok" "$(d run --rm bb echo ok 2>&1)"

summary
