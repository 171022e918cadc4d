#!/usr/bin/env bash
# Containers on berthd, driven by Debian's docker CLI and docker-py: run in the foreground and
# detached, output and exit codes, stdin, environment, user and working directory, limits seen
# from inside, logs, ps, top, stop with its timeout, restart, kill, pause, rename, wait, rm,
# restart policies, health checks and berth.restart-on-unhealthy, docker update, docker cp and
# docker diff (docker-py's archives, hostile tars), and containers
# that outlive a kill -9 of the daemon.
# Usage: tests/e2e/berthd_containers_test.sh BERTHD   (run as root)
# Prints "N passed, N failed"; exits 0 when all pass, 1 on a failure, 77 when it cannot run here.
set -uo pipefail

# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"

[ $# -eq 1 ] || die "usage: $0 BERTHD"
# shellcheck source=tests/e2e/berthd_lib.sh
. "$(dirname "$0")/berthd_lib.sh"
start_daemon
d import "$work/rootfs.tar" bb >/dev/null 2>&1 || die "cannot import busybox"

# state NAME: the container's status and exit code, as inspect shows them.
state() { d inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$1" 2>&1; }

# until_state NAME WANT: waits (up to 10 s) for the container to reach a state.
until_state() {
  for _ in $(seq 200); do
    [ "$(state "$1")" = "$2" ] && return 0
    sleep 0.05
  done
  return 1
}

# ---- run in the foreground ----
expect_eq "docker run prints the container's output" "hello" "$(d run --rm bb echo hello 2>&1)"
d run --rm bb sh -c 'exit 3' >/dev/null 2>&1
expect_eq "docker run exits with the container's code" 3 $?
expect_eq "stdout and stderr stay apart" "out" \
  "$(d run --rm bb sh -c 'echo out; echo err >&2' 2>/dev/null)"
expect_eq "stderr reaches the client's stderr" "err" \
  "$(d run --rm bb sh -c 'echo out; echo err >&2' 2>&1 >/dev/null)"
expect_eq "stdin reaches the container with -i" "piped in" \
  "$(echo "piped in" | d run -i --rm bb cat 2>&1)"
expect_eq "env, workdir, user and hostname are applied" "bar /tmp 1000:1001 box" \
  "$(d run --rm -e FOO=bar -w /tmp -u 1000:1001 -h box bb sh -c 'echo $FOO $(pwd) $(id -u):$(id -g) $(hostname)' 2>&1)"
out="$(d run --rm bb nosuchcommand 2>&1)"
status=$?
[ $status = 127 ] && [[ "$out" == *"nosuchcommand"* ]]
record $? "a command that does not exist exits 127 with the runtime's message" "$status: $out"
d run --rm --read-only bb touch /x >/dev/null 2>&1
[ $? -ne 0 ]
record $? "--read-only makes the rootfs read-only"
expect_eq "--tmpfs mounts a tmpfs" "tmpfs" \
  "$(d run --rm --tmpfs /scratch bb sh -c 'stat -f -c %T /scratch' 2>&1)"
mkdir -p "$work/bind" && echo "from the host" >"$work/bind/file"
expect_eq "-v binds a host directory read-only" "from the host|ro" \
  "$(d run --rm -v "$work/bind:/data:ro" bb sh -c 'cat /data/file; touch /data/x 2>/dev/null && echo rw || echo ro' 2>&1 | tr '\n' '|' | sed 's/|$//')"
expect_eq "--pids-limit is enforced in the container's cgroup" "10" \
  "$(d run --rm --pids-limit 10 bb sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max' 2>&1)"
expect_eq "--cap-drop removes a capability" "chown refused" \
  "$(d run --rm --cap-drop CHOWN bb sh -c 'touch /f; chown 5 /f 2>/dev/null && echo chowned || echo chown refused' 2>&1)"
expect_eq "the process is pid 1 in its own namespace" "1" \
  "$(d run --rm bb sh -c 'echo $$' 2>&1)"
expect_eq "/etc/hostname and /etc/hosts are the container's" "box|127.0.0.1	localhost" \
  "$(d run --rm -h box bb sh -c 'cat /etc/hostname; head -1 /etc/hosts' 2>&1 | tr '\n' '|' | sed 's/|$//')"
out="$(curl -s -w ' %{http_code}' --unix-socket "$sock" -H 'Content-Type: application/json' \
  -d '{"Image":"bb","Cmd":["true"],"HostConfig":{"AutoRemove":true,"RestartPolicy":{"Name":"always"}}}' \
  http://x/containers/create)"
[[ "$out" == *"AutoRemove"*" 400" ]]
record $? "auto-removal with a restart policy is a 400 naming the field" "$out"
out="$(d run --rm nosuchimage true 2>&1)"
[ $? -ne 0 ] && [[ "$out" == *"nosuchimage"* ]]
record $? "a missing image is an error naming it" "$out"

# ---- seccomp ----
# The default profile refuses new namespaces to a container without CAP_SYS_ADMIN; busybox's
# unshare prints "unshare(0x10000000): Operation not permitted" then.
expect_eq "the default seccomp profile refuses unshare" "refused" \
  "$(d run --rm bb sh -c 'unshare -U true 2>/dev/null && echo allowed || echo refused' 2>&1)"
expect_eq "seccomp=unconfined lifts it" "allowed" \
  "$(d run --rm --security-opt seccomp=unconfined bb sh -c 'unshare -U true && echo allowed' 2>&1)"
expect_eq "CAP_SYS_ADMIN lifts it, as the profile's rules say" "allowed" \
  "$(d run --rm --cap-add SYS_ADMIN bb sh -c 'unshare -U true && echo allowed' 2>&1)"
cat >"$work/seccomp.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95}]}
JSON
out="$(d run --rm --security-opt "seccomp=$work/seccomp.json" bb mkdir /x 2>&1)"
[[ "$out" == *"can't create directory '/x': "*"not supported"* ]]
record $? "a profile file of the client's applies (ENOTSUP from mkdir)" "$out"
echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"]}]}' >"$work/bad-seccomp.json"
out="$(d run --rm --security-opt "seccomp=$work/bad-seccomp.json" bb true 2>&1)"
status=$?
[ $status = 125 ] && [[ "$out" == *"seccomp profile: syscalls[0].action: missing"* ]]
record $? "a bad profile is refused at create, naming the field" "$status: $out"
expect_eq "docker info lists the seccomp profile" "[name=seccomp,profile=builtin]" \
  "$(d info --format '{{.SecurityOptions}}' 2>&1)"

# ---- OOM kills ----
# A shell variable of 60 MB in a container limited to 16 MiB (docker allows as much swap again;
# the machines this runs on have none or little): the kernel kills it.
d run --name oomer -m 16m bb sh -c 'a=$(head -c 60000000 /dev/zero | tr "\0" x); echo survived' \
  >/dev/null 2>&1
expect_eq "an OOM kill exits 137" 137 $?
expect_eq "inspect reports it" "true 137" \
  "$(d inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' oomer 2>&1)"
# Without --until: the docker CLI sends it in whole seconds, which would leave out this second.
read -r out < <(timeout 30 "$docker_cli" events --since 5m --filter container=oomer \
  --filter event=oom --format '{{.Action}} {{.Actor.Attributes.name}}' 2>&1)
expect_eq "and an oom event is published" "oom oomer" "$out"
d rm oomer >/dev/null 2>&1

# ---- detached: ps, logs, top, stop, start, restart ----
id="$(d run -d --name web bb sh -c 'echo started; echo warn >&2; exec sleep 1000' 2>&1)"
[[ "$id" =~ ^[0-9a-f]{64}$ ]]
record $? "docker run -d prints the container id" "$id"
expect_eq "docker ps lists it as up" "web Up" \
  "$(d ps --format '{{.Names}} {{.Status}}' | sed 's/ Up .*/ Up/')"
until_state web "running 0"
for _ in $(seq 100); do [ "$(d logs web 2>&1 | wc -l)" = 2 ] && break; sleep 0.05; done
expect_eq "docker logs shows both streams" "started|warn" "$(d logs web 2>&1 | sort | tr '\n' '|' | sed 's/|$//')"
expect_eq "docker logs keeps stderr on stderr" "warn" "$(d logs web 2>&1 >/dev/null)"
logs="$(d logs -t --tail 1 web 2>&1)"
[[ "$logs" =~ ^20[0-9-]+T[0-9:.]+Z\ (started|warn)$ ]]
record $? "docker logs -t --tail 1 gives one timestamped line" "$logs"
# The shim runs from berthd's read-only mount of its binary (CVE-2019-5736): its /proc/PID/exe
# is on a read-only mount. It still goes by its name.
shim_pid="$(cat "$work/exec/containers/$id/shim.pid")"
expect_eq "the shim's binary is on a read-only mount" "read-only berth-shim" \
  "$(python3 -c 'import os, sys
pid = sys.argv[1]
ro = os.statvfs(f"/proc/{pid}/exe").f_flag & os.ST_RDONLY
print("read-only" if ro else "writable", open(f"/proc/{pid}/comm").read().strip())' "$shim_pid" 2>&1)"
d top web 2>&1 | grep "sleep 1000" >/dev/null
record $? "docker top lists the container's process"
expect_eq "docker exec runs in the container" "hi from exec" "$(d exec web echo hi from exec 2>&1)"
d exec web sh -c 'exit 7' >/dev/null 2>&1
expect_eq "docker exec exits with the process's code" 7 $?
expect_eq "docker exec -i passes stdin" "into exec" "$(echo "into exec" | d exec -i web cat 2>&1)"
expect_eq "docker exec -e -w -u" "1 /tmp 1000" \
  "$(d exec -e X=1 -w /tmp -u 1000 web sh -c 'echo $X $(pwd) $(id -u)' 2>&1)"
expect_eq "docker exec -e overrides the container's variable" "set by exec" \
  "$(d exec -e HOSTNAME="set by exec" web sh -c 'echo $HOSTNAME' 2>&1)"
d exec -d web sh -c 'echo detached >/tmp/mark' >/dev/null 2>&1
for _ in $(seq 100); do [ "$(d exec web cat /tmp/mark 2>/dev/null)" = detached ] && break; sleep 0.05; done
expect_eq "docker exec -d runs on its own" "detached" "$(d exec web cat /tmp/mark 2>&1)"
# GraphDriver: the container's writes land in its UpperDir, over the image's layer as LowerDir,
# and MergedDir is the running rootfs.
gd() { d inspect --format "{{.GraphDriver.Data.$1}}" web 2>&1; }
[ "$(d inspect --format '{{.GraphDriver.Name}}' web)" = overlay2 ] &&
  [ "$(cat "$(gd UpperDir)/tmp/mark")" = detached ] && [ "$(cat "$(gd MergedDir)/tmp/mark")" = detached ] &&
  [ "$(gd LowerDir)" = "$(d image inspect --format '{{.GraphDriver.Data.UpperDir}}' bb)" ] &&
  [ -d "$(gd WorkDir)" ]
record $? "docker inspect's GraphDriver names the container's layers on disk" \
  "$(d inspect --format '{{json .GraphDriver}}' web 2>&1)"
out="$(d exec web nosuchcommand 2>&1)"
status=$?
[ $status = 126 ] || [ $status = 127 ]
record $? "docker exec of a missing command fails like docker's" "$status: $out"
log="$(d inspect --format '{{.LogPath}}' web)"
grep -q '"log":"started\\n","stream":"stdout","time":"' "$log"
record $? "the log file is in docker's json-file format" "$(head -c 200 "$log")"
d pause web >/dev/null 2>&1
expect_eq "docker pause freezes it" "paused 0" "$(state web)"
d unpause web >/dev/null 2>&1
expect_eq "docker unpause thaws it" "running 0" "$(state web)"
d stop -t 1 web >/dev/null 2>&1
# sh's exec made sleep pid 1, which ignores SIGTERM: the stop ends in SIGKILL after 1 s.
expect_eq "docker stop kills what ignores SIGTERM after the timeout" "exited 137" "$(state web)"
d start web >/dev/null 2>&1
expect_eq "docker start runs it again" "running 0" "$(state web)"
expect_eq "the writable layer keeps the log of both runs" 4 "$(d logs web 2>&1 | wc -l)"
d restart -t 0 web >/dev/null 2>&1
expect_eq "docker restart leaves it running" "running 0" "$(state web)"
d rename web web2 >/dev/null 2>&1
expect_eq "docker rename" "/web2" "$(d inspect --format '{{.Name}}' "${id:0:12}" 2>&1)"
out="$(d rm web2 2>&1)"
[ $? -ne 0 ] && [[ "$out" == *"running"* ]]
record $? "docker rm refuses a running container" "$out"
d kill web2 >/dev/null 2>&1
until_state web2 "exited 137"
record $? "docker kill sends SIGKILL" "$(state web2)"
out="$(d kill web2 2>&1)"
[ $? -ne 0 ] && [[ "$out" == *"is not running"* ]]
record $? "docker kill of a stopped container is refused" "$out"
d rm web2 >/dev/null 2>&1
out="$(d inspect web2 2>&1)"
[ $? -ne 0 ] && [[ "${out,,}" == *"no such"* ]]
record $? "docker rm removes it" "$out"

# ---- export, commit, prune ----
d run --name maker bb sh -c 'echo made >/made; rm /bin/ls' >/dev/null 2>&1
d export maker | tar -t 2>/dev/null | grep -x made >/dev/null
record $? "docker export writes the container's filesystem"
d export -o "$work/maker.tar" maker >/dev/null 2>&1
! tar -tf "$work/maker.tar" | grep -x bin/ls >/dev/null
record $? "docker export leaves out what the container removed"
d commit -c 'CMD ["cat", "/made"]' -m "made it" maker bb:made >/dev/null 2>&1
expect_eq "docker commit makes an image of the changes" "made" "$(d run --rm bb:made 2>&1)"
expect_eq "the committed image records the removal" "gone" \
  "$(d run --rm bb:made sh -c 'test -e /bin/ls && echo present || echo gone' 2>&1)"
d rmi bb:made >/dev/null 2>&1
d create --name never bb true >/dev/null 2>&1
pruned="$(d container prune -f 2>&1)"
[[ "$pruned" == *"Deleted Containers:"* ]] && ! d inspect maker >/dev/null 2>&1 &&
  ! d inspect never >/dev/null 2>&1
record $? "docker container prune removes the stopped containers" "$pruned"

# ---- events ----
since="$(date +%s)"
d run --name evented bb sh -c 'exit 2' >/dev/null 2>&1
d rm evented >/dev/null 2>&1
expect_eq "docker events reports a container's life" "create start die 2 destroy" \
  "$(d events --since "$since" --until "$(($(date +%s) + 1))" --filter container=evented \
    --format '{{.Action}}{{with .Actor.Attributes.exitCode}} {{.}}{{end}}' | tr '\n' ' ' | sed 's/ $//')"

# ---- log rotation, label filters ----
d run --name rotated --log-opt max-size=1k --log-opt max-file=3 bb \
  sh -c 'i=0; while [ $i -lt 200 ]; do echo "line $i"; i=$((i+1)); done' >/dev/null 2>&1
log="$(d inspect --format '{{.LogPath}}' rotated)"
[ -f "$log.1" ] && [ -f "$log.2" ] && [ ! -e "$log.3" ] && [ "$(stat -c %s "$log.1")" -le 1300 ]
record $? "--log-opt max-size and max-file rotate the json-file log" "$(ls -l "$log"* 2>&1)"
expect_eq "docker logs reads across the rotated files" "line 199" "$(d logs rotated 2>&1 | tail -1)"
d rm rotated >/dev/null 2>&1
d create --name both -l tier=web -l team=a bb true >/dev/null 2>&1
d create --name one -l tier=web bb true >/dev/null 2>&1
expect_eq "docker ps --filter label wants every label" "both" \
  "$(d ps -a --filter label=tier=web --filter label=team=a --format '{{.Names}}')"
d rm both one >/dev/null 2>&1

# ---- wait, restart policies, auto-removal ----
d run -d --name waiter bb sh -c 'sleep 0.3; exit 5' >/dev/null 2>&1
expect_eq "docker wait returns the exit code" 5 "$(d wait waiter 2>&1)"
d run -d --name flaky --restart on-failure:2 bb sh -c 'exit 1' >/dev/null 2>&1
for _ in $(seq 100); do
  [ "$(d inspect --format '{{.RestartCount}} {{.State.Status}}' flaky 2>&1)" = "2 exited" ] && break
  sleep 0.1
done
expect_eq "on-failure:2 restarts twice, then leaves it exited" "2 exited" \
  "$(d inspect --format '{{.RestartCount}} {{.State.Status}}' flaky 2>&1)"
d run -d --name always --restart always bb sh -c 'sleep 0.2; exit 0' >/dev/null 2>&1
for _ in $(seq 100); do
  [ "$(d inspect --format '{{.RestartCount}}' always 2>&1)" -ge 2 ] 2>/dev/null && break
  sleep 0.1
done
[ "$(d inspect --format '{{.RestartCount}}' always 2>&1)" -ge 2 ] 2>/dev/null
record $? "always restarts a container that exits 0"
d stop always >/dev/null 2>&1
restarts="$(d inspect --format '{{.RestartCount}}' always 2>&1)"
sleep 0.5
expect_eq "a stopped container is not restarted" "$restarts exited" \
  "$(d inspect --format '{{.RestartCount}} {{.State.Status}}' always 2>&1)"
d run -d --rm --name gone bb true >/dev/null 2>&1
for _ in $(seq 100); do d inspect gone >/dev/null 2>&1 || break; sleep 0.05; done
d inspect gone >/dev/null 2>&1
[ $? -ne 0 ]
record $? "--rm removes the container when it exits"
expect_eq "docker ps -a --filter status=exited" "always flaky waiter" \
  "$(d ps -a --filter status=exited --format '{{.Names}}' | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "docker ps -a --filter exited=5" "waiter" \
  "$(d ps -a --filter exited=5 --format '{{.Names}}')"

# ---- docker cp and docker diff ----
# files: a directory, a symlink to it, a symlink that climbs out of the root, a changed, an added
# and a deleted file; /ready last (and on a restart, nothing done again).
d run -d --name files -v "$work/bind:/data" bb sh -c '[ -e /ready ] || { mkdir -p /srv/sub &&
  echo one >/srv/sub/a && ln -s /srv/sub /srv/link && ln -s ../../../../../../../tmp /srv/up &&
  echo x >>/etc/passwd && rm /bin/vi && touch /ready; }; exec sleep 1000' >/dev/null 2>&1
for _ in $(seq 200); do d exec files test -e /ready 2>/dev/null && break; sleep 0.05; done
expect_eq "docker cp CONTAINER:FILE - writes a tar of the file" "a|one" \
  "$(d cp files:/srv/sub/a - 2>&1 | tar -t)|$(d cp files:/srv/sub/a - | tar -xO)"
d cp files:/srv/sub "$work/cp-new" 2>&1
expect_eq "docker cp of a directory to a new local name" "one" "$(cat "$work/cp-new/a" 2>&1)"
mkdir -p "$work/cp-into"
d cp files:/srv/sub/. "$work/cp-into" 2>&1
expect_eq "docker cp DIR/. copies the directory's content" "a" "$(ls "$work/cp-into")"
d cp -L files:/srv/link "$work/cp-link" 2>&1
expect_eq "docker cp -L follows the symlink" "one" "$(cat "$work/cp-link/a" 2>&1)"
expect_eq "docker cp without -L copies the symlink" "/srv/sub" \
  "$(d cp files:/srv/link - | tar -tv | sed 's/.* -> //')"
mkdir -p "$work/local/sub" && echo two >"$work/local/sub/b" && echo three >"$work/local/f"
d cp "$work/local" files:/srv/ 2>&1
d cp "$work/local/f" files:/srv/renamed 2>&1
expect_eq "docker cp of a local directory and a file into the container" "two three" \
  "$(d exec files sh -c 'echo $(cat /srv/local/sub/b /srv/renamed)' 2>&1)"
tar -C "$work/local" -cf - f | d cp - files:/tmp 2>&1
expect_eq "docker cp - CONTAINER:DIR extracts a tar from stdin" "three" \
  "$(d exec files sh -c 'cat /tmp/f' 2>&1)"
out="$(d cp files:/nope "$work/nope" 2>&1)"
expect_eq "docker cp of a missing path fails as docker does" \
  "Error: No such container:path: files:/nope|1" "$out|$(d cp files:/nope "$work/nope" >/dev/null 2>&1; echo $?)"
marker="berth-cp-escape-$$"
echo escape >"$work/$marker"
d cp "$work/$marker" files:/srv/up/ 2>&1
[ ! -e "/tmp/$marker" ] && [ "$(d exec files cat "/tmp/$marker" 2>&1)" = escape ]
record $? "a symlink climbing out of the container lands in the container's root"
d cp "$work/local/f" files:/data/ 2>&1
expect_eq "docker cp into a bind mount writes the host directory" "three" \
  "$(cat "$work/bind/f" 2>&1)"
expect_eq "docker diff lists the changes as docker does" \
  "C /bin|D /bin/vi|A /data|C /etc/passwd|A /ready|A /srv|A /srv/link|A /srv/local|A /srv/local/f|A /srv/local/sub|A /srv/local/sub/b|A /srv/renamed|A /srv/sub|A /srv/sub/a|A /srv/up|C /tmp|A /tmp/$marker|A /tmp/f" \
  "$(d diff files 2>&1 | tr '\n' '|' | sed 's/|$//')"
d stop -t 1 files >/dev/null 2>&1
echo stopped >"$work/stopped"
d cp "$work/stopped" files:/srv/ 2>&1
expect_eq "docker cp works on a stopped container, both ways" "stopped" \
  "$(d cp files:/srv/stopped - | tar -xO 2>&1)"
d cp "$work/local/f" files:/data/from-stopped 2>&1
expect_eq "a stopped container's bind mounts are resolved too" "three" \
  "$(cat "$work/bind/from-stopped" 2>&1)"
expect_eq "nothing stays mounted after a copy" "0" \
  "$(grep -c berth-archive /proc/self/mountinfo)"
d start files >/dev/null 2>&1
expect_eq "the container starts afterwards and sees the copy" "stopped" \
  "$(d exec files cat /srv/stopped 2>&1)"
d create --name rofs --read-only bb true >/dev/null 2>&1
out="$(d cp "$work/local/f" rofs:/tmp 2>&1)"
[ $? -ne 0 ] && [[ "$out" == *"container rootfs is marked read-only"* ]]
record $? "docker cp into a read-only rootfs is refused" "$out"
d rm -f rofs >/dev/null 2>&1
out="$(curl -s -w ' %{http_code}' --unix-socket "$sock" -X PUT -T "$work/local/f" \
  "http://x/containers/files/archive?path=/srv/renamed")"
[[ "$out" == *"extraction point is not a directory"*" 400" ]]
record $? "PUT archive to a file is a 400" "$out"
out="$(curl -s -w ' %{http_code}' --unix-socket "$sock" "http://x/containers/files/archive")"
[[ "$out" == *"path"*" 400" ]]
record $? "GET archive without a path is a 400" "$out"
expect_eq "HEAD archive sends docker's path stat" \
  '{"name":"sub","size":4096,"mode":2147484141,"linkTarget":""}' \
  "$(curl -sI --unix-socket "$sock" "http://x/containers/files/archive?path=/srv/sub/" |
    tr -d '\r' | sed -n 's/^X-Docker-Container-Path-Stat: //Ip' | base64 -d |
    python3 -c 'import json,sys; s=json.load(sys.stdin); del s["mtime"]; s["size"]=4096; print(json.dumps(s,separators=(",",":")))')"
out="$(timeout 120 python3 - "$sock" "$marker" <<'PY' 2>&1
import io, os, sys, tarfile, docker
client = docker.DockerClient(base_url="unix://" + sys.argv[1])
c = client.containers.get("files")

def tar_of(*members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()

def file(name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data

def link(name, target):
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info, None

print(c.put_archive("/srv", tar_of(file("py/hello", b"from docker-py"))))
stream, stat = c.get_archive("/srv/py/hello")
data = b"".join(stream)
print(stat["name"], stat["size"], tarfile.open(fileobj=io.BytesIO(data)).extractfile("hello").read().decode())
escape = "/tmp/" + sys.argv[2] + "-py"
for name, archive in [("dotdot", tar_of(file("../../../../.." + escape, b"x"))),
                      ("symlink", tar_of(link("out", "/"), file("out" + escape, b"x")))]:
    try:
        c.put_archive("/srv", archive)
        print(name, "accepted")
    except docker.errors.APIError as e:
        print(name, "refused", e.status_code)
print(os.path.exists(escape))
PY
)"
expect_eq "docker-py put_archive and get_archive; hostile tars refused, nothing written outside" \
  "True|hello 14 from docker-py|dotdot refused 400|symlink refused 400|False" \
  "$(echo "$out" | tr '\n' '|' | sed 's/|$//')"
d rm -f files >/dev/null 2>&1

# ---- images in use ----
out="$(d rmi bb 2>&1)"
[ $? -ne 0 ] && [[ "$out" == *"container"* ]]
record $? "docker rmi refuses an image containers use" "$out"

# ---- health checks ----
# first_event NAME ACTION: the action of the first event ACTION (docker's prefix match) of
# container NAME since the start of this section, awaited for up to 30 s.
health_t0="$(date +%s)"
first_event() {
  local line=""
  read -r line < <(timeout 30 "$docker_cli" events --since "$health_t0" --filter "container=$1" \
    --filter "event=$2" --format '{{.Action}}' 2>&1)
  echo "$line"
}
d run -d --name healthy --health-cmd 'echo ok' --health-interval 1s bb sleep 1000 >/dev/null 2>&1
expect_eq "a passing check is announced by a health_status event" "health_status: healthy" \
  "$(first_event healthy health_status)"
expect_eq "inspect shows it healthy with the probe's exit code and output" "healthy 0 0 ok" \
  "$(d inspect --format '{{.State.Health.Status}} {{.State.Health.FailingStreak}} {{(index .State.Health.Log 0).ExitCode}} {{(index .State.Health.Log 0).Output}}' healthy 2>&1)"
expect_eq "docker ps shows (healthy)" "healthy Up (healthy)" \
  "$(d ps --filter name=healthy --format '{{.Names}} {{.Status}}' 2>&1 | sed 's/Up .* (/Up (/')"
expect_eq "probes are docker's exec events" "exec_create: /bin/sh -c echo ok" \
  "$(first_event healthy exec_create)"
d run -d --name sick --health-cmd 'echo bad; exit 1' --health-interval 1s --health-retries 2 bb \
  sleep 1000 >/dev/null 2>&1
expect_eq "a failing check turns unhealthy after the retries" "health_status: unhealthy" \
  "$(first_event sick health_status)"
out="$(d inspect --format '{{.State.Health.Status}} {{.State.Health.FailingStreak}} {{(index .State.Health.Log 1).ExitCode}} {{(index .State.Health.Log 1).Output}}' sick 2>&1)"
[[ "$out" =~ ^unhealthy\ [2-9]\ 1\ bad$ ]]
record $? "inspect shows the failing streak and the failed probe's output" "$out"
expect_eq "docker ps --filter health= selects by health" "healthy|sick" \
  "$({ d ps --filter health=healthy --format '{{.Names}}'
       d ps --filter health=unhealthy --format '{{.Names}}'; } 2>&1 | tr '\n' '|' | sed 's/|$//')"
expect_eq "docker ps shows (unhealthy)" "Up (unhealthy)" \
  "$(d ps --filter name=sick --format '{{.Status}}' 2>&1 | sed 's/Up .* (/Up (/')"
out="$(d ps --filter health=sick 2>&1)"
[[ "$out" == *"Unrecognised filter value for health: sick"* ]]
record $? "an unknown health filter value is refused" "$out"
d run -d --name hang --health-cmd 'sleep 100' --health-interval 1s --health-timeout 1s \
  --health-retries 1 bb sleep 1000 >/dev/null 2>&1
expect_eq "a probe past its timeout fails" "health_status: unhealthy" \
  "$(first_event hang health_status)"
expect_eq "its log says it exceeded its timeout" "-1 Health check exceeded timeout (1s)" \
  "$(d inspect --format '{{(index .State.Health.Log 0).ExitCode}} {{(index .State.Health.Log 0).Output}}' hang 2>&1)"
for _ in $(seq 200); do
  [ "$(d inspect --format '{{len .State.Health.Log}}' hang 2>&1)" -ge 3 ] && break
  sleep 0.05
done
# Killed at their timeouts, the probes never pile up: at most the one in flight runs.
probes="$(d top hang 2>&1 | grep -c 'sleep 100')"
[ "$probes" -le 1 ]
record $? "timed-out probes are killed" "$probes probes running: $(d top hang 2>&1)"
d stop -t 1 healthy >/dev/null 2>&1
expect_eq "a stopped container's health reads unhealthy, as docker's" "unhealthy" \
  "$(d inspect --format '{{.State.Health.Status}}' healthy 2>&1)"
d run -d --name phoenix --label berth.restart-on-unhealthy=true --health-cmd 'exit 1' \
  --health-interval 1s --health-retries 1 bb sleep 1000 >/dev/null 2>&1
expect_eq "berth.restart-on-unhealthy restarts an unhealthy container" "restart" \
  "$(first_event phoenix restart)"
out="$(d inspect --format '{{.RestartCount}} {{.State.Status}}' phoenix 2>&1)"
[[ "$out" =~ ^[1-9][0-9]*\ running$ ]]
record $? "its RestartCount grows and it runs again" "$out"
out="$(curl -s -w ' %{http_code}' --unix-socket "$sock" -H 'Content-Type: application/json' \
  -d '{"Image":"bb","Cmd":["true"],"Healthcheck":{"Test":["CMD","true"],"Interval":10}}' \
  http://x/containers/create)"
[[ "$out" == *"Interval in Healthcheck cannot be less than 1ms"*" 400" ]]
record $? "a health check interval below 1ms is a 400" "$out"
d rm -f healthy sick hang phoenix >/dev/null 2>&1

# ---- update ----
# memory_limit NAME: the memory limit the container sees in its cgroup (v1, else v2).
memory_limit() {
  d exec "$1" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max' 2>&1
}
d run -d --name upd -m 64m bb sh -c 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=20 2>/dev/null; exec sleep 1000' \
  >/dev/null 2>&1
until_state upd "running 0"
expect_eq "docker update prints the container's name" "upd" "$(d update -m 96m upd 2>&1)"
expect_eq "the new memory limit is in the container's cgroup" "100663296" "$(memory_limit upd)"
expect_eq "and in inspect, with the swap limit it had" "100663296 134217728" \
  "$(d inspect --format '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' upd 2>&1)"
out="$(d update -m 256m upd 2>&1)"
[[ "$out" == *"Memory limit should be smaller than already set memoryswap limit"* ]]
record $? "a memory limit above the swap limit needs --memory-swap" "$out"
for _ in $(seq 200); do
  [ "$(d exec upd sh -c 'du -k /dev/shm/fill | cut -f1' 2>&1)" = 20480 ] && break
  sleep 0.05
done
out="$(d update -m 8m upd 2>&1)"
if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
  [[ "$out" == *"Cannot update container "*"unable to set memory limit to 8388608 (current usage: "* ]]
  record $? "v1: a memory limit below the usage is refused" "$out"
fi
expect_eq "update --pids-limit --cpu-shares --restart" "upd|50|512 on-failure 2" \
  "$({ d update --pids-limit 50 --cpu-shares 512 --restart on-failure:2 upd
       d exec upd sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
       d inspect --format '{{.HostConfig.CpuShares}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' upd
     } 2>&1 | tr '\n' '|' | sed 's/|$//')"
d run -d --rm --name auto bb sleep 1000 >/dev/null 2>&1
out="$(d update --restart always auto 2>&1)"
[[ "$out" == *"Restart policy cannot be updated because AutoRemove is enabled for the container"* ]]
record $? "a restart policy for an auto-removed container is a conflict" "$out"
d rm -f auto >/dev/null 2>&1
expect_eq "docker-py update and health" "201326592 True|starting" \
  "$(timeout 60 python3 - "$sock" <<'PY' 2>&1 | tr '\n' '|' | sed 's/|$//'
import sys, docker
client = docker.DockerClient(base_url="unix://" + sys.argv[1])
c = client.containers.get("upd")
c.update(mem_limit="192m", memswap_limit="384m")
c.reload()
print(c.attrs["HostConfig"]["Memory"], c.attrs["HostConfig"]["MemorySwap"] == 402653184)
h = client.containers.run("bb", ["sleep", "100"], detach=True,
                          healthcheck={"test": ["CMD", "true"], "interval": 30 * 10**9})
h.reload()
print(h.attrs["State"]["Health"]["Status"])
h.remove(force=True)
PY
)"
d rm -f upd >/dev/null 2>&1

# ---- docker-py ----
out="$(timeout 120 python3 - "$sock" <<'PY' 2>&1
import sys, docker
client = docker.DockerClient(base_url="unix://" + sys.argv[1])
print(client.containers.run("bb", ["echo", "from docker-py"], remove=True).decode().strip())
c = client.containers.run("bb", ["sh", "-c", "echo line; exit 4"], detach=True)
print(c.wait()["StatusCode"])
print(c.logs().decode().strip())
c.reload()
print(c.status)
c.remove()
r = client.containers.run("bb", ["sleep", "100"], detach=True)
code, output = r.exec_run(["sh", "-c", "echo exec-py; exit 2"])
print(code, output.decode().strip())
r.remove(force=True)
# The container runs a second: time for the waiter's request to be in place before the removal.
w = client.containers.create("bb", ["sleep", "1"])
import threading
removed = {}
waiter = threading.Thread(target=lambda: removed.update(w.wait(condition="removed")))
waiter.start()
w.start()
w.wait()
w.remove()
waiter.join(30)
print("removed", removed.get("StatusCode"))
print(len([x for x in client.containers.list(all=True) if x.id == c.id]))
PY
)"
expect_eq "docker-py runs, waits, reads logs and removes" \
  "from docker-py|4|line|exited|2 exec-py|removed 0|0" "$(echo "$out" | tr '\n' '|' | sed 's/|$//')"

# ---- containers outlive the daemon ----
d run -d --name survivor bb sh -c 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done' \
  >/dev/null 2>&1
d run -d --name hsurvivor --health-cmd 'true' --health-interval 1s bb sleep 1000 >/dev/null 2>&1
until_state survivor "running 0"
first_event hsurvivor health_status >/dev/null
pid="$(d inspect --format '{{.State.Pid}}' survivor)"
kill -9 "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
kill -0 "$pid" 2>/dev/null
record $? "the container keeps running after a kill -9 of berthd"
start_daemon
expect_eq "the new daemon sees it running with the same pid" "running $pid" \
  "$(d inspect --format '{{.State.Status}} {{.State.Pid}}' survivor 2>&1)"
before="$(d logs survivor 2>&1 | wc -l)"
sleep 0.5
after="$(d logs survivor 2>&1 | wc -l)"
[ "$after" -gt "$before" ]
record $? "its log keeps growing" "$before -> $after"
d stop -t 1 survivor >/dev/null 2>&1
expect_eq "the new daemon stops it and records the exit" "exited 137" "$(state survivor)"
health_t0="$(date +%s)"
expect_eq "the new daemon goes on probing a container it took over" "exec_start: /bin/sh -c true" \
  "$(first_event hsurvivor exec_start)"
expect_eq "and keeps the health it had" "healthy" \
  "$(d inspect --format '{{.State.Health.Status}}' hsurvivor 2>&1)"
d rm -f survivor hsurvivor >/dev/null 2>&1

# ---- stats ----
d run -d --name statsbox -m 64m bb sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; sleep 600' \
  >/dev/null 2>&1
until_state statsbox "running 0"
out="$(d stats --no-stream --format '{{.Name}} {{.MemUsage}}' statsbox 2>&1)"
[[ "$out" == "statsbox "*" / 64MiB" ]]
record $? "docker stats --no-stream shows the 64MiB memory limit" "$out"
expect_eq "docker-py stats: memory limit, CPU used, pids counted" "67108864 True True" \
  "$(timeout 60 python3 - "$sock" <<'PY' 2>&1
import sys, docker
s = docker.DockerClient(base_url="unix://" + sys.argv[1]).containers.get("statsbox").stats(stream=False)
print(s["memory_stats"]["limit"], s["cpu_stats"]["cpu_usage"]["total_usage"] > 0,
      s["pids_stats"]["current"] >= 1)
PY
)"
d rm -f statsbox >/dev/null 2>&1

summary
