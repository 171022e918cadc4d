#!/usr/bin/env bash
# Volumes on berthd, driven by Debian's docker CLI and docker-py: named volumes whose data
# outlives their containers, an image VOLUME filled from the image into an anonymous volume that
# rm -v removes, read-only binds and volumes, --mount's checks, a volume with tmpfs options
# mounted while in use, in-use refusal, ls filters, prune, and volumes kept over a berthd restart.
# berth's volume commands are checked beside docker's.
# Usage: tests/e2e/berthd_volume_test.sh BERTHD BERTH   (run as root)
# Prints "N passed, N failed"; exits 0 when all pass, 1 on a failure, 77 when it cannot run here.
set -uo pipefail

# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"

[ $# -eq 2 ] || die "usage: $0 BERTHD BERTH"
berth="$(realpath "$2")" || die "berth $2 not found"
# shellcheck source=tests/e2e/berthd_lib.sh
. "$(dirname "$0")/berthd_lib.sh"
start_daemon
d import "$work/rootfs.tar" bb >/dev/null 2>&1 || die "cannot import busybox"
volumes="$work/data/volumes"

# ---- named volumes ----
expect_eq "docker volume create prints the name" "data" "$(d volume create --label team=a data 2>&1)"
expect_eq "the volume lives under the data root" "$volumes/data/_data local team=a" \
  "$(d volume inspect --format '{{.Mountpoint}} {{.Driver}} {{range $k, $v := .Labels}}{{$k}}={{$v}}{{end}}' data 2>&1)"
d run --name writer -v data:/data bb sh -c 'echo kept > /data/f' >/dev/null 2>&1
d rm writer >/dev/null 2>&1
expect_eq "data written in a volume survives its container and is seen by the next one" "kept" \
  "$(d run --rm -v data:/data bb cat /data/f 2>&1)"
d run --rm -v fresh:/x bb true >/dev/null 2>&1
expect_eq "-v creates a missing named volume" "fresh" "$(d volume ls -q | grep -x fresh)"
out="$(d run --rm -v 'bad@name:/x' bb true 2>&1)"
[[ "$out" == *'"bad@name" includes invalid characters for a local volume name'* ]]
record $? "a bad volume name is refused with docker's message" "$out"
out="$(d volume create -d nfs-plugin v2 2>&1)"
[[ "$out" == *'plugin "nfs-plugin" not found'* ]]
record $? "an unknown driver is refused" "$out"
out="$(d volume create -o bogus=1 v3 2>&1)"
[[ "$out" == *'invalid option: "bogus"'* ]] && ! d volume inspect v3 >/dev/null 2>&1
record $? "an unknown option is refused and nothing is created" "$out"

# ---- in use ----
d create --name holder -v data:/data bb true >/dev/null 2>&1
id="$(d inspect --format '{{.Id}}' holder 2>&1)"
out="$(d volume rm data 2>&1)"
[[ "$out" == *"remove data: volume is in use - [$id]"* ]]
record $? "a volume a container uses is not removed (409)" "$out"
status="$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" -X DELETE http://x/volumes/data)"
expect_eq "DELETE /volumes/{name} of a volume in use is 409" "409" "$status"
expect_eq "inspect shows the volume in Mounts in docker's shape" "volume data $volumes/data/_data /data local z true" \
  "$(d inspect --format '{{range .Mounts}}{{.Type}} {{.Name}} {{.Source}} {{.Destination}} {{.Driver}} {{.Mode}} {{.RW}}{{end}}' holder 2>&1)"
expect_eq "ls filters dangling volumes" "fresh" "$(d volume ls -q -f dangling=true 2>&1)"
expect_eq "ls filters by label" "data" "$(d volume ls -q -f label=team=a 2>&1)"
d rm holder >/dev/null 2>&1

# ---- an image VOLUME ----
d run --name seed bb sh -c 'mkdir /seed && echo seeded > /seed/f && chown -R 1000:1001 /seed && chmod 750 /seed' >/dev/null 2>&1
d commit --change 'VOLUME /seed' seed bbvol >/dev/null 2>&1 || die "cannot commit bbvol"
d rm seed >/dev/null 2>&1
d run --name anon bbvol sh -c 'stat -c "%u:%g %a" /seed; cat /seed/f; echo more > /seed/g' >"$work/anon.out" 2>&1
expect_eq "an image VOLUME gets an anonymous volume filled from the image, owners and modes kept" \
  "1000:1001 750|seeded" "$(tr '\n' '|' <"$work/anon.out" | sed 's/|$//')"
anon="$(d inspect --format '{{range .Mounts}}{{.Name}}{{end}}' anon 2>&1)"
[[ "$anon" =~ ^[0-9a-f]{64}$ ]] && [ "$(cat "$volumes/$anon/_data/g" 2>&1)" = more ]
record $? "the anonymous volume has a 64-hex name and holds what the container wrote" "$anon"
expect_eq "the anonymous volume carries docker's label" "com.docker.volume.anonymous=" \
  "$(d volume inspect --format '{{range $k, $v := .Labels}}{{$k}}={{$v}}{{end}}' "$anon" 2>&1)"
d rm -v anon >/dev/null 2>&1
d volume inspect "$anon" >/dev/null 2>&1
[ $? -ne 0 ]
record $? "rm -v removes the container's anonymous volume"
d run --rm -v data:/seed bbvol cat /seed/f >/dev/null 2>&1
expect_eq "a non-empty volume is not filled from the image" "kept" "$(d run --rm -v data:/seed bbvol cat /seed/f 2>&1)"
expect_eq "nocopy leaves a new volume empty" "" \
  "$(d run --rm --mount type=volume,src=empty,dst=/seed,volume-nocopy bbvol ls /seed 2>&1)"
d create --name covered -v data:/seed bbvol true >/dev/null 2>&1
expect_eq "a mount over an image VOLUME replaces its anonymous volume" "data" \
  "$(d inspect --format '{{range .Mounts}}{{.Name}} {{end}}' covered 2>&1 | sed 's/ $//')"
d rm covered >/dev/null 2>&1

# ---- binds and --mount ----
mkdir -p "$work/bind" && echo host >"$work/bind/f"
expect_eq "a read-only bind refuses writes inside" "host|refused" \
  "$(d run --rm --mount "type=bind,src=$work/bind,dst=/b,readonly" bb sh -c 'cat /b/f; touch /b/x 2>/dev/null && echo written || echo refused' 2>&1 | tr '\n' '|' | sed 's/|$//')"
expect_eq "a read-only volume refuses writes inside" "refused" \
  "$(d run --rm -v data:/data:ro bb sh -c 'touch /data/x 2>/dev/null && echo written || echo refused' 2>&1)"
out="$(d run --rm --mount "type=bind,src=$work/missing,dst=/b" bb true 2>&1)"
[[ "$out" == *"invalid mount config for type \"bind\": bind source path does not exist: $work/missing"* ]] &&
  [ ! -e "$work/missing" ]
record $? "--mount refuses a missing bind source and creates nothing" "$out"
d run --rm -v "$work/made:/m" bb true >/dev/null 2>&1
[ -d "$work/made" ]
record $? "-v creates a missing bind source"
out="$(d run --rm -v "$work/bind:/b:rx" bb true 2>&1)"
[[ "$out" == *"invalid mode: rx"* ]]
record $? "a bad -v mode is refused" "$out"
out="$(d run --rm -v data:/a -v fresh:/a bb true 2>&1)"
[[ "$out" == *"Duplicate mount point: /a"* ]]
record $? "two mounts on one path are refused" "$out"
expect_eq "--mount type=tmpfs with tmpfs-size and tmpfs-mode" "tmpfs 1777" \
  "$(d run --rm --mount type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1777 bb stat -f -c %T /t 2>&1) $(d run --rm --mount type=tmpfs,dst=/t,tmpfs-mode=1777 bb stat -c %a /t 2>&1)"

# ---- a volume with filesystem options ----
d volume create -o type=tmpfs -o device=tmpfs -o o=size=2m scratch >/dev/null 2>&1
d run -d --name fsuser -v scratch:/s bb sleep 1000 >/dev/null 2>&1
expect_eq "a tmpfs volume is a tmpfs inside while in use" "tmpfs" \
  "$(d exec fsuser stat -f -c %T /s 2>&1)"
grep -q " $volumes/scratch/_data tmpfs" /proc/self/mounts
record $? "its filesystem is mounted on _data while in use"
d rm -f fsuser >/dev/null 2>&1
! grep -q " $volumes/scratch/_data " /proc/self/mounts
record $? "and unmounted when its last container stops"

# ---- a berthd killed and started again, prune ----
d run --name keeper -v keep:/k bbvol true >/dev/null 2>&1
kept_anon="$(d inspect --format '{{range .Mounts}}{{if eq .Name "keep"}}{{else}}{{.Name}}{{end}}{{end}}' keeper)"
d create --name dropped bbvol true >/dev/null 2>&1
dropped_anon="$(d inspect --format '{{range .Mounts}}{{.Name}}{{end}}' dropped)"
d rm dropped >/dev/null 2>&1
kill -9 "$daemon_pid" && wait "$daemon_pid" 2>/dev/null
start_daemon
named() { d volume ls "$@" --format '{{.Name}}' 2>&1 | grep -v '^[0-9a-f]\{64\}$' | sort | tr '\n' ' ' | sed 's/ $//'; }
expect_eq "volumes are kept over a berthd restart" "data empty fresh keep scratch" "$(named)"
expect_eq "and so are the containers' references to them" "keep" "$(named -f dangling=false)"
curl -s --unix-socket "$sock" -X POST http://x/v1.43/volumes/prune >"$work/prune.out" 2>&1
grep -q "$dropped_anon" "$work/prune.out" && d volume inspect "$kept_anon" >/dev/null 2>&1 &&
  ! d volume inspect "$dropped_anon" >/dev/null 2>&1
record $? "prune (API 1.43) removes the unused anonymous volumes only" "$(cat "$work/prune.out")"
expect_eq "and keeps the named ones" "data empty fresh keep scratch" "$(named)"
# docker 20.10's CLI speaks API 1.41, where prune removed every unused volume.
d volume prune -f >/dev/null 2>&1
expect_eq "prune (API 1.41) removes every unused volume" "keep" "$(named)"

# ---- berth's volume commands ----
b() { timeout 60 "$berth" "$@"; }
expect_eq "berth volume create prints the name" "bvol" "$(b volume create --label k=v -o type=tmpfs -o device=tmpfs bvol 2>&1)"
expect_eq "berth volume ls shows what docker's shows" "$(d volume ls 2>&1)" "$(b volume ls 2>&1)"
expect_eq "berth volume ls -q -f filters" "bvol" "$(b volume ls -q -f label=k=v 2>&1)"
expect_eq "berth volume inspect --format" "local map[device:tmpfs type:tmpfs]" \
  "$(b volume inspect --format '{{.Driver}} {{.Options}}' bvol 2>&1)"
b create --name bholder -v bvol:/v bb true >/dev/null 2>&1
out="$(b volume rm bvol 2>&1)"
[[ "$out" == *"volume is in use"* ]]
record $? "berth volume rm refuses a volume in use" "$out"
b create --name banon bbvol true >/dev/null 2>&1
banon="$(d inspect --format '{{range .Mounts}}{{.Name}}{{end}}' banon 2>&1)"
b rm -v bholder banon >/dev/null 2>&1
! d volume inspect "$banon" >/dev/null 2>&1
record $? "berth rm -v removes the anonymous volume"
expect_eq "berth volume rm removes it once unused" "bvol" "$(b volume rm bvol 2>&1)"
b volume create leftover >/dev/null 2>&1
out="$(b volume prune -f -a 2>&1)"
[[ "$out" == *"Deleted Volumes:"*leftover*"Total reclaimed space:"* ]] && [ "$(named)" = keep ]
record $? "berth volume prune -a (all=true) removes unused named volumes too" "$out"

# ---- docker-py ----
out="$(python3 - <<'PY' 2>&1
import docker
c = docker.from_env()
v = c.volumes.create(name="pyvol", labels={"x": "y"})
assert v.attrs["Labels"] == {"x": "y"}, v.attrs
c.containers.run("bb", ["sh", "-c", "echo py > /v/f"], volumes={"pyvol": {"bind": "/v", "mode": "rw"}}, remove=True)
assert c.containers.run("bb", ["cat", "/v/f"], volumes=["pyvol:/v:ro"], remove=True) == b"py\n"
assert [x.name for x in c.volumes.list(filters={"label": "x=y"})] == ["pyvol"]
v.remove()
try:
    c.volumes.get("pyvol")
    raise SystemExit("still there")
except docker.errors.NotFound:
    pass
print("ok")
PY
)"
expect_eq "docker-py creates, uses, lists and removes a volume" "ok" "$out"

summary
