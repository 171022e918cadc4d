#!/usr/bin/env bash
# What berthd does to start containers fast, observed from outside: the shims share compiled
# seccomp programs under <exec root>/seccomp (one file per distinct profile, written once and
# read by later containers and execs, emptied when berthd starts), and the filter read from there
# refuses what docker's default profile refuses; the runtime's state under the exec root is
# replaced atomically. Usage: berthd_speed_test.sh BERTHD (as root).
. "$(dirname "$0")/check_lib.sh"
. "$(dirname "$0")/berthd_lib.sh"

cache="$work/exec/seccomp"
mkdir -p "$cache"
echo stale >"$cache/0000000000000000.bpf"
start_daemon
expect_eq "berthd empties the seccomp cache when it starts" "" "$(ls -A "$cache" 2>&1)"
d import "$work/rootfs.tar" bb >/dev/null || die "cannot import the busybox rootfs"

refused='unshare -U true 2>/dev/null && echo allowed || echo refused'
expect_eq "the first container of the default profile is confined" "refused" \
  "$(d run --rm bb sh -c "$refused" 2>&1)"
files=("$cache"/*.bpf)
expect_eq "its compiled program is one file of the cache" 1 "${#files[@]}"
program="${files[0]}"
[ -s "$program" ] && [ "$(stat -c %a "$program")" = 600 ]
record $? "the file is not empty and only root reads it" "$(ls -l "$program")"
# A file written again is a new inode (written aside, then renamed over the old one).
inode="$(stat -c %i "$program")"
sha_before="$(sha256sum <"$program")"

expect_eq "a second container of that profile is confined as much" "refused" \
  "$(d run --rm bb sh -c "$refused" 2>&1)"
expect_eq "it read the program: the file was not written again" "$inode" "$(stat -c %i "$program")"

# Another capability set is another profile (docker's rules depend on the capabilities).
expect_eq "with CAP_SYS_ADMIN the profile allows unshare" "allowed" \
  "$(d run --rm --cap-add SYS_ADMIN bb sh -c 'unshare -U true && echo allowed' 2>&1)"
expect_eq "and its program is another file" 2 "$(ls "$cache" | wc -l)"

# An exec in a running container takes its program from the cache too.
d run -d --name sleeper bb sleep 1000 >/dev/null
until_running() {
  for _ in $(seq 100); do
    [ "$(d inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ] && return 0
    sleep 0.05
  done
  return 1
}
until_running sleeper || die "the container sleeper does not run"
expect_eq "an exec is confined by the container's profile" "refused" \
  "$(d exec sleeper sh -c "$refused" 2>&1)"
expect_eq "the exec found the container's program in the cache" "$inode 2" \
  "$(stat -c %i "$program") $(ls "$cache" | wc -l)"

# The runtime's state file and the shim's pid file are whole files, with no temporary left.
state_dir="$work/exec/runtime/$(d inspect --format '{{.Id}}' sleeper)"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$state_dir/state.json" 2>&1
record $? "the runtime's state.json of a running container is whole JSON"
expect_eq "no temporary file is left beside it" "" "$(ls "$state_dir" | grep -- '.tmp-')"
d rm -f sleeper >/dev/null

# A program file that does not hold its profile is not trusted: it is compiled again.
printf 'berth-seccomp-1\0garbage' >"$program"
expect_eq "a broken cache file does not weaken the filter" "refused" \
  "$(d run --rm bb sh -c "$refused" 2>&1)"
expect_eq "and is replaced by the compiled program" "$sha_before" "$(sha256sum <"$program")"

summary
