#!/usr/bin/env bash
# Container networks on berthd, second part, driven by Debian's docker CLI: host ports held by
# berthd while published (a port a host process holds is refused with dockerd's error, a range
# moves past it, a host process cannot take a published port, the port is free again after the
# stop), hairpin from containers to a published port, docker's network events (create,
# connect, disconnect, destroy) as `docker events --filter type=network` shows them; an endpoint
# named "default", as newer docker CLIs send it. Only loopback and berth's bridges are reached.
# Usage: tests/e2e/berthd_network2_test.sh BERTHD   (run as root)
# Prints "N passed, N failed"; exits 0 when all pass, 1 on a failure, 77 when it cannot run here.
set -uo pipefail

# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"

[ $# -eq 1 ] || die "usage: $0 BERTHD"
command -v curl >/dev/null || skip "curl not installed"
# shellcheck source=tests/e2e/berthd_lib.sh
. "$(dirname "$0")/berthd_lib.sh"

holder_pid=
network_cleanup() {
  [ -n "$holder_pid" ] && kill "$holder_pid" 2>/dev/null
  berthd_cleanup
  # What berthd leaves on the host for its next start: the default bridge and its table.
  ip link del berth0 2>/dev/null
  nft delete table ip berth 2>/dev/null
}
trap network_cleanup EXIT

start_daemon
d import "$work/rootfs.tar" bb >/dev/null 2>&1 || die "cannot import busybox"
since="$(date +%s)"
port=$((30000 + $$ % 2000))

# hold PORT: a host process listens on 0.0.0.0:PORT (tcp) until release; waits until it does.
hold() {
  python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1)
print("ready", flush=True); time.sleep(600)' "$1" >"$work/holder.out" 2>&1 &
  holder_pid=$!
  for _ in $(seq 100); do grep -q ready "$work/holder.out" && return 0; sleep 0.05; done
  die "the host process could not listen on $1"
}
release() {
  kill "$holder_pid" && wait "$holder_pid" 2>/dev/null
  holder_pid=
}
# can_bind PORT: whether a host process can bind tcp 0.0.0.0:PORT now.
can_bind() {
  python3 -c 'import socket, sys
s = socket.socket(); s.bind(("0.0.0.0", int(sys.argv[1])))' "$1" 2>/dev/null
}
# fetch URL: the page at URL, waiting up to 10 s for the server to answer.
fetch() {
  for _ in $(seq 100); do
    curl -sf --max-time 2 "$1" && return 0
    sleep 0.1
  done
  return 1
}
httpd='mkdir -p /www && echo hello-berth >/www/index.html && exec httpd -f -p 80 -h /www'

# ---- host ports ----
hold "$port"
out="$(d run -d --name busy -p "$port:80" bb sleep 1d 2>&1)"
[[ "$out" == *"driver failed programming external connectivity on endpoint busy"*"Error starting userland proxy: listen tcp4 0.0.0.0:$port: bind: address already in use"* ]]
record $? "a port a host process holds is refused with dockerd's error" "$out"
expect_eq "the refused container is not running" "false" \
  "$(d inspect --format '{{.State.Running}}' busy 2>&1)"
d rm -f busy >/dev/null 2>&1
d run -d --name ranged -p "$port-$((port + 1)):80" bb sleep 1d >/dev/null 2>&1
expect_eq "a range moves past the port a host process holds" "0.0.0.0:$((port + 1))" \
  "$(d port ranged 80/tcp 2>&1)"
d rm -f ranged >/dev/null 2>&1
release
d run -d --name web -p "$port:80" bb sh -c "$httpd" >/dev/null 2>&1
expect_eq "once the host process is gone the port is published" "hello-berth" \
  "$(fetch "http://127.0.0.1:$port/")"
can_bind "$port"
record $((!$?)) "a host process cannot take a published port"
gateway="$(d inspect --format '{{.NetworkSettings.Gateway}}' web)"
# get (with the address as \$1): an HTTP GET of address:$port from inside a container (busybox
# nc), the last line of the answer, retried for up to 5 s.
get="for i in \$(seq 50); do
  out=\$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 \$1 $port | tail -n 1)
  [ -n \"\$out\" ] && echo \"\$out\" && exit; sleep 0.1; done"
expect_eq "a container reaches a published port through the bridge's gateway" "hello-berth" \
  "$(d run --rm bb sh -c "$get" sh "$gateway" 2>&1)"
expect_eq "the publishing container reaches its own published port (hairpin)" "hello-berth" \
  "$(d exec web sh -c "$get" sh "$gateway" 2>&1)"
d stop -t 1 web >/dev/null 2>&1
can_bind "$port"
record $? "the port is free for the host once the container stops"
d rm -f web >/dev/null 2>&1

# ---- network events ----
d network create evnet >/dev/null 2>&1
net_id="$(d network inspect --format '{{.Id}}' evnet)"
d run -d --name evc --network evnet bb sleep 1d >/dev/null 2>&1
evc_id="$(d inspect --format '{{.Id}}' evc)"
d network connect bridge evc >/dev/null 2>&1
d network disconnect bridge evc >/dev/null 2>&1
d rm -f evc >/dev/null 2>&1
d network rm evnet >/dev/null 2>&1
events="$(d events --since "$since" --until "$(($(date +%s) + 1))" --filter type=network \
  --filter network=evnet \
  --format '{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}} {{.Actor.Attributes.container}}' 2>&1)"
expected="network create $net_id evnet bridge <no value>
network connect $net_id evnet bridge $evc_id
network disconnect $net_id evnet bridge $evc_id
network destroy $net_id evnet bridge <no value>"
expect_eq "docker events shows a network's create, connect, disconnect and destroy" \
  "$expected" "$events"
bridge_events="$(d events --since "$since" --until "$(($(date +%s) + 1))" \
  --filter type=network --filter network=bridge \
  --format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}' 2>&1)"
expect_eq "docker network connect and disconnect of a running container are events" \
  "connect bridge $evc_id,disconnect bridge $evc_id" \
  "$(grep "$evc_id" <<<"$bridge_events" | paste -sd, -)"

# ---- the endpoint of the default network mode, as docker's CLI since API 1.44 names it ----
curl -s --unix-socket "$sock" -H 'Content-Type: application/json' \
  -d '{"Image":"bb","Cmd":["true"],"HostConfig":{"NetworkMode":"default"},
       "NetworkingConfig":{"EndpointsConfig":{"default":{}}}}' \
  'http://x/v1.45/containers/create?name=dflt' >/dev/null
expect_eq "an endpoint named \"default\" is the default bridge's" "bridge" \
  "$(d inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' dflt 2>&1)"
d rm -f dflt >/dev/null 2>&1

summary
