#!/usr/bin/env bash
# berthd's registry client against what registries do in the field, all on loopback with
# Debian's docker-registry: a Docker Hub mirror (--registry-mirror http://..., then daemon.json's
# "registry-mirrors") serves `docker pull mirrored:1`, and an image it lacks fails quickly naming
# the image; a registry that redirects blob GETs to another host (tests/e2e/registry_proxy.py
# answering 307, as a registry sends clients to its blob storage) is followed, without the
# Authorization header going to the other host; a layer download cut mid-body is resumed with
# Range from the byte reached (also at the other host of a redirect), and a server that then
# ignores Range restarts the blob. Every pulled image runs and its content is whole.
# Usage: tests/e2e/registry_resilience_test.sh BERTHD   (run as root)
# Prints "N passed, N failed"; exits 0 when all pass, 1 on a failure, 77 when it cannot run here.
set -uo pipefail

# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"

[ $# -eq 1 ] || die "usage: $0 BERTHD"
# shellcheck source=tests/e2e/berthd_lib.sh
. "$(dirname "$0")/berthd_lib.sh"
command -v docker-registry >/dev/null || skip "docker-registry not installed"
command -v htpasswd >/dev/null || skip "htpasswd (apache2-utils) not installed"

reg="$(start_registry open)"
htpasswd -Bbc "$work/htpasswd" alice s3cret >/dev/null 2>&1
sreg="$(start_registry secure "auth: {htpasswd: {realm: berth-test, path: $work/htpasswd}}")"
start_daemon "$work/data" --registry-mirror "http://$reg"

# start_proxy NAME UPSTREAM [FLAGS...]: tests/e2e/registry_proxy.py with FLAGS in front of the
# registry UPSTREAM, its log in $work/NAME.log (empty once it answers); prints host:port. It is
# stopped when the script ends.
start_proxy() {
  local name="$1" upstream="$2" port
  shift 2
  port="$(free_port)"
  python3 "$repo/tests/e2e/registry_proxy.py" --port "$port" --upstream "$upstream" \
    --log "$work/$name.log" "$@" >>"$work/$name.err" 2>&1 &
  echo $! >"$work/registry-$name.pid"
  for _ in $(seq 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then
      : >"$work/$name.log"
      echo "127.0.0.1:$port"
      return 0
    fi
    sleep 0.05
  done
  cat "$work/$name.err" >&2
  die "registry proxy $name did not start"
}

# blob_lines LOG REPO: the proxy's log lines of blob GETs of REPO (at /v2/ or at /store/v2/).
blob_lines() { grep -E "^GET (/store)?/v2/$2/blobs/sha256:" "$1"; }

# --- a Docker Hub mirror ---
d import "$work/rootfs.tar" "$reg/library/mirrored:1" >/dev/null || die "cannot import the rootfs"
d push "$reg/library/mirrored:1" >/dev/null || die "cannot push to the mirror"
d rmi "$reg/library/mirrored:1" >/dev/null
: >"$work/open.log"
out="$(d pull mirrored:1 2>&1)"
record $? "docker pull mirrored:1 through the mirror" "$out"
grep -qxF "Status: Downloaded newer image for mirrored:1" <<<"$out"
record $? "the pull names the docker.io image" "$out"
expect_eq "the image is tagged mirrored:1" "[mirrored:1]" \
  "$(d image inspect -f '{{.RepoTags}}' mirrored:1 2>&1)"
expect_eq "the mirrored image runs" "hello" "$(d run --rm mirrored:1 echo hello 2>&1)"
grep -q '"GET /v2/library/mirrored/manifests/1 HTTP/1.1" 200 ' "$work/open.log"
record $? "the mirror's log shows the manifest served" "$(cat "$work/open.log")"
layer_gets="$(grep -c '"GET /v2/library/mirrored/blobs/sha256:[0-9a-f]\{64\} HTTP/1.1" 200 ' \
  "$work/open.log")"
expect_eq "the mirror's log shows the config and layer blobs served" "2" "$layer_gets"
: >"$work/open.log"
out="$(timeout 45 "$docker_cli" pull absent:1 2>&1)"
status=$?
[ $status -ne 0 ] && [ $status -ne 124 ] && grep -qE 'absent(:|/manifests/)1' <<<"$out"
record $? "an image the mirror lacks fails (Docker Hub unreachable) naming it" "status $status: $out"
grep -q '"GET /v2/library/absent/manifests/1 HTTP/1.1" 404 ' "$work/open.log"
record $? "the mirror was asked for it first" "$(cat "$work/open.log")"

# The same mirror from daemon.json's "registry-mirrors" (with a trailing slash), after a restart.
kill "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
echo "{\"log-level\": \"debug\", \"registry-mirrors\": [\"http://$reg/\"]}" >"$work/daemon.json"
start_daemon "$work/data"
d rmi mirrored:1 >/dev/null
: >"$work/open.log"
out="$(d pull mirrored:1 2>&1)"
record $? "docker pull mirrored:1 through the mirror of daemon.json" "$out"
grep -q '"GET /v2/library/mirrored/manifests/1 HTTP/1.1" 200 ' "$work/open.log"
record $? "the mirror of daemon.json served the manifest" "$(cat "$work/open.log")"

# --- blobs redirected to another host ---
rproxy="$(start_proxy redirect "$reg" --redirect-to localhost)"
d tag mirrored:1 "$reg/redir:1" >/dev/null
d push "$reg/redir:1" >/dev/null || die "cannot push redir:1"
d tag "$reg/redir:1" "$rproxy/redir:1" >/dev/null
d rmi "$reg/redir:1" "$rproxy/redir:1" mirrored:1 >/dev/null
out="$(d pull "$rproxy/redir:1" 2>&1)"
record $? "a pull whose blobs are redirected succeeds" "$out"
expect_eq "the redirected image runs" "hi" "$(d run --rm "$rproxy/redir:1" echo hi 2>&1)"
expect_eq "both blob GETs were answered 307" "2" \
  "$(blob_lines "$work/redirect.log" redir | grep -c ' -> 307$')"
expect_eq "both were fetched from the other host" "2" \
  "$(grep -c '^GET /store/v2/redir/blobs/sha256:[0-9a-f]* range=- auth=no -> 200$' \
    "$work/redirect.log")"

d login -u alice -p s3cret "$sreg" >/dev/null 2>&1 || die "cannot log in to $sreg"
d tag "$rproxy/redir:1" "$sreg/private:1" >/dev/null
d push "$sreg/private:1" >/dev/null || die "cannot push private:1"
sproxy="$(start_proxy secure-redirect "$sreg" --redirect-to localhost --store-auth alice:s3cret)"
out="$(d login -u alice -p s3cret "$sproxy" 2>&1)"
record $? "docker login through the redirecting proxy" "$out"
d rmi "$rproxy/redir:1" "$sreg/private:1" >/dev/null
out="$(d pull "$sproxy/private:1" 2>&1)"
record $? "an authenticated pull whose blobs are redirected succeeds" "$out"
expect_eq "the authenticated blob GETs carried credentials and were redirected" "2" \
  "$(blob_lines "$work/secure-redirect.log" private | grep -c ' auth=yes -> 307$')"
store_lines="$(grep '^GET /store/' "$work/secure-redirect.log")"
expect_eq "the redirected GETs to the other host carried no Authorization" \
  "2 0" "$(grep -c . <<<"$store_lines") $(grep -c 'auth=yes' <<<"$store_lines")"
expect_eq "the image pulled through the redirect runs" "hi" \
  "$(d run --rm "$sproxy/private:1" echo hi 2>&1)"

# --- a layer download cut mid-body, resumed with Range: from the registry, from a server that
# ignores Range (the blob restarts) and from the other host of a redirect ---
payload_sum="$(import_payload_image "$reg/big:1" 8)"
d push "$reg/big:1" >/dev/null || die "cannot push big:1"
d rmi "$reg/big:1" >/dev/null
for mode in resume norange redirect; do
  case $mode in
    redirect) proxy="$(start_proxy "cut-$mode" "$reg" --cut resume --redirect-to localhost)" ;;
    *) proxy="$(start_proxy "cut-$mode" "$reg" --cut "$mode")" ;;
  esac
  out="$(d pull "$proxy/big:1" 2>&1)"
  record $? "$mode: the pull succeeds after the cut" "$out"
  lines="$(blob_lines "$work/cut-$mode.log" big)"
  cut_path="$(grep ' cut at ' <<<"$lines" | cut -d' ' -f2)"
  cut_at="$(sed -n 's/.* cut at \([0-9]*\)$/\1/p' <<<"$lines")"
  first="$(grep -F "GET $cut_path " <<<"$lines" | sed -n 1p)"
  [ "$(grep -c ' cut at ' <<<"$lines")" = 1 ] && [ -n "$cut_at" ] && [ "$cut_at" -gt 0 ] &&
    grep -q "range=- .* cut at $cut_at\$" <<<"$first"
  record $? "$mode: the first GET of the layer was cut mid-body" "$lines"
  resumed="$(grep -F "GET $cut_path " <<<"$lines" | sed -n 2p)"
  expect_eq "$mode: the next GET of the layer asks Range from the byte reached" \
    "bytes=$cut_at-" "$(sed -n 's/.* range=\([^ ]*\) .*/\1/p' <<<"$resumed")"
  want_status=206
  [ "$mode" = norange ] && want_status=200
  expect_eq "$mode: the server answers it $want_status" "$want_status" "${resumed##* -> }"
  expect_eq "$mode: the pulled payload is whole" "$payload_sum" \
    "$(d run --rm "$proxy/big:1" sha256sum /payload 2>&1 | cut -d' ' -f1)"
  d rmi "$proxy/big:1" >/dev/null
done

summary
