#!/usr/bin/env bash
# Container networks on berthd with real traffic, driven by Debian's docker CLI and docker-py:
# busybox httpd in a container reached through a published port from the host's loopback and
# from a network namespace this test makes; docker port; a port conflict; two containers on a
# user-defined network talking by address (one with a static --ip) and finding each other by
# name and alias (the embedded DNS server); isolation between two
# networks; network inspect, rm and prune; a restart of berthd with the published port still
# working. Only loopback and the namespace made here are reached.
# Usage: tests/e2e/berthd_network_test.sh BERTHD   (run as root)
# Prints "N passed, N failed"; exits 0 when all pass, 1 on a failure, 77 when it cannot run here.
set -uo pipefail

# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"

[ $# -eq 1 ] || die "usage: $0 BERTHD"
command -v ip >/dev/null || skip "iproute2 not installed"
command -v curl >/dev/null || skip "curl not installed"
# shellcheck source=tests/e2e/berthd_lib.sh
. "$(dirname "$0")/berthd_lib.sh"

client_ns="berth-e2e-$$"
client_veth="vbe2e$$"
network_cleanup() {
  ip netns del "$client_ns" 2>/dev/null
  ip link del "$client_veth" 2>/dev/null
  berthd_cleanup
  # What berthd leaves on the host for its next start: the default bridge and its table.
  ip link del berth0 2>/dev/null
  nft delete table ip berth 2>/dev/null
}
trap network_cleanup EXIT

# Names the networks do not know are forwarded to --dns: the host's loopback, never the host's
# own resolvers.
echo '{"log-level": "debug", "dns": ["127.0.0.1"]}' >"$work/daemon.json"
start_daemon
d import "$work/rootfs.tar" bb >/dev/null 2>&1 || die "cannot import busybox"
port=$((20000 + $$ % 10000))

# fetch URL [NETNS]: the page at URL, waiting up to 10 s for the server to answer.
fetch() {
  local run=()
  [ -n "${2:-}" ] && run=(ip netns exec "$2")
  for _ in $(seq 100); do
    "${run[@]}" curl -sf --max-time 2 "$1" && return 0
    sleep 0.1
  done
  return 1
}

httpd='mkdir -p /www && echo hello-berth >/www/index.html && exec httpd -f -p 80 -h /www'

# ---- built-in networks ----
expect_eq "docker network ls lists the built-in networks" "bridge bridge,host host,none null" \
  "$(d network ls --format '{{.Name}} {{.Driver}}' | sort | paste -sd, -)"

# ---- a published port ----
d run -d --name web -p "$port:80" bb sh -c "$httpd" >/dev/null 2>&1
expect_eq "the published port answers on the host's loopback" "hello-berth" \
  "$(fetch "http://127.0.0.1:$port/")"
ip="$(d inspect --format '{{.NetworkSettings.IPAddress}}' web)"
expect_eq "inspect shows the address on the default bridge" "172.17.0.1 16" \
  "$(d inspect --format '{{.NetworkSettings.Gateway}} {{.NetworkSettings.IPPrefixLen}}' web)"
expect_eq "the container's address answers directly" "hello-berth" "$(fetch "http://$ip/")"
expect_eq "docker port lists the binding" "80/tcp -> 0.0.0.0:$port" "$(d port web)"
expect_eq "docker port PRIVATE_PORT prints the host side" "0.0.0.0:$port" "$(d port web 80/tcp)"
berth_cli="${BERTH_BUILD_DIR:-$repo/build}/src/cmd/berth/berth"
if [ -x "$berth_cli" ]; then
  expect_eq "berth port prints what docker port prints" "$(d port web)" \
    "$(timeout 60 "$berth_cli" port web 2>&1)"
  expect_eq "berth network ls lists what docker's lists" "$(d network ls --format '{{.Name}}')" \
    "$(timeout 60 "$berth_cli" network ls --format '{{.Name}}' 2>&1)"
fi
expect_eq "docker ps shows the port" "0.0.0.0:$port->80/tcp" \
  "$(d ps --filter name=web --format '{{.Ports}}')"
expect_eq "the container's /etc/hosts names it at its address" "$ip" \
  "$(d exec web sh -c 'grep "$(hostname)" /etc/hosts | cut -f1')"

# A namespace of this test's own, plugged into the host by a veth pair, plays another machine.
ip netns add "$client_ns" || die "cannot make a network namespace"
ip link add "$client_veth" type veth peer name eth0 netns "$client_ns" || die "cannot make a veth"
ip addr add 10.231.7.1/30 dev "$client_veth" && ip link set "$client_veth" up
ip -n "$client_ns" addr add 10.231.7.2/30 dev eth0 && ip -n "$client_ns" link set eth0 up
ip -n "$client_ns" link set lo up && ip -n "$client_ns" route add default via 10.231.7.1
expect_eq "the published port answers from another namespace" "hello-berth" \
  "$(fetch "http://10.231.7.1:$port/" "$client_ns")"

out="$(d run -d --name web2 -p "$port:80" bb sleep 1d 2>&1)"
[[ "$out" == *"Bind for 0.0.0.0:$port failed: port is already allocated"* ]]
record $? "a second container on the same host port gets docker's error" "$out"

expect_eq "on the default bridge, resolv.conf names the daemon's --dns servers" \
  "nameserver 127.0.0.1" "$(d run --rm bb grep nameserver /etc/resolv.conf 2>&1)"

# ---- user-defined networks ----
d network create --subnet 10.123.45.0/24 --label team=e2e e2enet >/dev/null 2>&1
d network create e2eother >/dev/null 2>&1
expect_eq "network inspect shows the subnet and gateway" "10.123.45.0/24 10.123.45.1" \
  "$(d network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' e2enet)"
d run -d --name srv --network e2enet --ip 10.123.45.50 bb sh -c "$httpd" >/dev/null 2>&1
d run -d --name peer --network e2enet bb sleep 1d >/dev/null 2>&1
d run -d --name other --network e2eother bb sleep 1d >/dev/null 2>&1
expect_eq "a static --ip is given" "10.123.45.50" \
  "$(d inspect --format '{{.NetworkSettings.Networks.e2enet.IPAddress}}' srv)"
# get: an HTTP GET of 10.123.45.50 from inside a container (busybox nc), the last line of the
# answer, retried for up to 5 s while the server starts.
get='for i in $(seq 50); do
  out=$(printf "GET / HTTP/1.0\r\n\r\n" | nc -w 2 10.123.45.50 80 | tail -n 1)
  [ -n "$out" ] && echo "$out" && exit; sleep 0.1; done'
expect_eq "containers on one network talk by address" "hello-berth" "$(d exec peer sh -c "$get")"
# ---- names on user-defined networks: the embedded DNS server at 127.0.0.11 ----
expect_eq "a container on a user-defined network asks the embedded DNS server" \
  "nameserver 127.0.0.11" "$(d exec peer grep nameserver /etc/resolv.conf 2>&1)"
# resolve CONTAINER NAME: the addresses busybox nslookup gets for NAME, sorted, on one line.
resolve() {
  d exec "$1" nslookup "$2" 2>/dev/null | awk '/^Name:/ { named = 1 } named && /^Address/ { print $NF }' |
    sort | xargs
}
expect_eq "a container name resolves to its address" "10.123.45.50" "$(resolve peer srv)"
d run -d --name alias1 --network e2enet --network-alias svc bb sleep 1d >/dev/null 2>&1
d run -d --name alias2 --network e2enet --network-alias svc bb sleep 1d >/dev/null 2>&1
alias_ips="$(for c in alias1 alias2; do d inspect --format '{{.NetworkSettings.Networks.e2enet.IPAddress}}' $c; done | sort | xargs)"
expect_eq "a --network-alias of two containers gives both addresses" "$alias_ips" "$(resolve peer svc)"
# The container of the other network is served too (it resolves itself), but not srv's name.
expect_eq "a container resolves its own name on its network" \
  "$(d inspect --format '{{.NetworkSettings.Networks.e2eother.IPAddress}}' other)" \
  "$(resolve other other)"
expect_eq "names of another network do not resolve" "" "$(resolve other srv)"
d rm -f alias1 alias2 >/dev/null 2>&1
expect_eq "a removed container's alias no longer resolves" "" "$(resolve peer svc)"
expect_eq "a container on another network cannot reach it" "" \
  "$(d exec other sh -c 'printf "GET / HTTP/1.0\r\n\r\n" | nc -w 2 10.123.45.50 80' 2>/dev/null)"
expect_eq "network inspect lists the containers" "peer srv" \
  "$(d network inspect --format '{{range .Containers}}{{.Name}} {{end}}' e2enet | xargs -n1 | sort | xargs)"
other_ip="$(d inspect --format '{{.NetworkSettings.Networks.e2eother.IPAddress}}' other)"
d network connect e2eother peer >/dev/null 2>&1
expect_eq "docker network connect gives a running container a second interface" "eth1" \
  "$(d exec peer sh -c 'ip -o -4 addr show eth1' 2>&1 | awk '{ print $2 }')"
d exec peer ping -c 1 -W 2 "$other_ip" >/dev/null 2>&1
record $? "once connected it reaches the other network"
d network disconnect e2eother peer >/dev/null 2>&1
expect_eq "docker network disconnect takes the interface away" "" \
  "$(d exec peer sh -c 'ip -o link show eth1' 2>/dev/null)"
out="$(d network rm e2enet 2>&1)"
[[ "$out" == *"has active endpoints"* ]]
record $? "a network with endpoints is not removed" "$out"
out="$(d run --rm --network e2enet --ip 10.123.45.50 bb true 2>&1)"
[[ "$out" == *"Address already in use"* ]]
record $? "an address in use is refused" "$out"

# ---- berthd restarts ----
kill -9 "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
start_daemon
expect_eq "the published port works after a restart of berthd" "hello-berth" \
  "$(fetch "http://127.0.0.1:$port/")"
expect_eq "the container keeps its address" "$ip" \
  "$(d inspect --format '{{.NetworkSettings.IPAddress}}' web)"
out="$(d run -d --name web3 -p "$port:80" bb sleep 1d 2>&1)"
[[ "$out" == *"port is already allocated"* ]]
record $? "the port is still allocated after the restart" "$out"
expect_eq "names still resolve after a restart of berthd" "10.123.45.50" "$(resolve peer srv)"
d run -d --name late --network e2enet bb sleep 1d >/dev/null 2>&1
[ "$(d inspect --format '{{.NetworkSettings.Networks.e2enet.IPAddress}}' late)" != "10.123.45.50" ]
record $? "the addresses in use are not handed out again after a restart"

# ---- stop ----
d stop -t 1 web >/dev/null 2>&1
curl -sf --max-time 2 "http://127.0.0.1:$port/" >/dev/null 2>&1
record $((!$?)) "the port is closed once the container stops"
expect_eq "a stopped container has no address" "" \
  "$(d inspect --format '{{.NetworkSettings.IPAddress}}' web)"
[ ! -e "$work/exec/netns/$(d inspect --format '{{.Id}}' web)" ]
record $? "its network namespace file is gone"

# ---- docker-py ----
out="$(timeout 120 python3 - "$sock" <<'PY' 2>&1
import sys, docker
client = docker.DockerClient(base_url="unix://" + sys.argv[1])
net = client.networks.create("pynet", driver="bridge")
c = client.containers.run("bb", "sleep 1d", detach=True, network="pynet")
c.reload()
address = c.attrs["NetworkSettings"]["Networks"]["pynet"]["IPAddress"]
net.reload()
assert c.id in net.attrs["Containers"], net.attrs
c.remove(force=True)
net.remove()
print("ok" if address else "no address")
PY
)"
expect_eq "docker-py creates a network and runs a container on it" "ok" "$out"

# ---- cleanup ----
d rm -f web srv peer other late >/dev/null 2>&1
expect_eq "network prune removes the unused networks" "e2enet,e2eother" \
  "$(d network prune -f 2>&1 | grep -E '^e2e' | sort | paste -sd, -)"

summary
