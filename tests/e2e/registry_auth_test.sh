#!/usr/bin/env bash
# Registry authentication end to end. `berth registry serve` with Basic authentication (htpasswd)
# on 127.0.0.1: Debian's docker CLI, through berthd, is refused before `docker login`, then
# pushes, removes and pulls back an image and runs it. Token authentication with a token server
# of the test's own (tests/e2e/token_server.py): berth-registry (RS256 tokens, the key by x5c)
# and Debian's docker-registry (ES256 tokens, the key by libtrust's kid) each get a login, a
# push and a pull through berthd, and refuse a wrong password, an anonymous pull and a push the
# token does not grant; berth-registry's challenges, DENIED and invalid tokens are checked with
# curl. The tests' credential helper (tests/fixtures/docker-credential-testfile, as credsStore)
# keeps what `berth login` stores, pulls take the login from it and `berth logout` erases it.
# Usage: tests/e2e/registry_auth_test.sh BERTH BERTHD BERTH_REGISTRY   (run as root)
# Prints "N passed, N failed"; exits 0 when all pass, 1 on a failure, 77 when it cannot run here.
set -uo pipefail

# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"

[ $# -eq 3 ] || die "usage: $0 BERTH BERTHD BERTH_REGISTRY"
berth="$(realpath "$1")" || die "berth $1 not found"
registry_bin="$(realpath "$3")" || die "berth-registry $3 not found"
set -- "$2"
# shellcheck source=tests/e2e/berthd_lib.sh
. "$(dirname "$0")/berthd_lib.sh"
command -v docker-registry >/dev/null || skip "docker-registry not installed"
command -v htpasswd >/dev/null || skip "htpasswd (apache2-utils) not installed"
python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography not installed"
token_server="$repo/tests/e2e/token_server.py"

b() { timeout 60 "$berth" "$@"; }

# wait_for_line FILE PATTERN: the first match of an extended regex in a log, waited for.
wait_for_line() {
  local line
  for _ in $(seq 200); do
    line="$(grep -Eo "$2" "$1" 2>/dev/null | head -1)"
    [ -n "$line" ] && { echo "$line"; return 0; }
    sleep 0.05
  done
  cat "$1" >&2
  return 1
}

# The servers the test starts; ended before berthd_lib's cleanup.
pids=()
cleanup() {
  [ ${#pids[@]} -gt 0 ] && kill -9 "${pids[@]}" 2>/dev/null
  berthd_cleanup
}
trap cleanup EXIT

# start_berth_registry LOG PROGRAM...: a registry server on a port of its choosing; addr is its
# host:port.
start_berth_registry() {
  local log="$1"
  shift
  "$@" --addr 127.0.0.1:0 >>"$log" 2>&1 &
  pids+=($!)
  addr="$(wait_for_line "$log" 'tcp://127\.0\.0\.1:[0-9]+' | sed 's|tcp://||')"
  [ -n "$addr" ] || die "the registry server of $log did not start"
}

# start_token_server NAME ALG KEY_HEADER: a token server; port is its port, $work/NAME.pem its
# certificate.
start_token_server() {
  local name="$1"
  python3 "$token_server" --alg "$2" --key-header "$3" --issuer test-issuer \
    --users "$work/users" --cert "$work/$name.pem" --port-file "$work/$name.port" \
    --log "$work/$name.log" 2>>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 200); do
    [ -s "$work/$name.port" ] && { port="$(cat "$work/$name.port")"; return 0; }
    sleep 0.05
  done
  cat "$work/$name.err" >&2
  die "token server $name did not start"
}

# token NAME USER:PASSWORD SCOPE: a token of token server NAME.
token() {
  curl -s -u "$2" "http://127.0.0.1:$(cat "$work/$1.port")/token?service=test-registry&scope=$3" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# status_of CURL_ARGS...: the HTTP status of one request.
status_of() { curl -s -o "$work/body" -D "$work/headers" -w '%{http_code}' "$@"; }

start_daemon "$work/data" --insecure-registry 127.0.0.0/8
printf 'alice:s3cret\nbob:hunter2\n' >"$work/users"

# --- berth registry serve with Basic authentication, the docker CLI through berthd ---
htpasswd -Bbc "$work/htpasswd" alice s3cret >/dev/null 2>&1
out="$(b registry serve 2>&1)"
[ $? -ne 0 ] && grep -q -- "--root" <<<"$out"
record $? "berth registry serve without --root names the flag" "$out"
start_berth_registry "$work/basic.log" "$berth" registry serve --root "$work/basic" \
  --htpasswd "$work/htpasswd"
breg="$addr"
grep -q "berth registry serving $work/basic on" "$work/basic.log"
record $? "berth registry serve names itself" "$(cat "$work/basic.log")"
d import "$work/rootfs.tar" "$breg/app:1" >/dev/null || die "cannot import the rootfs"
out="$(d push "$breg/app:1" 2>&1)"
[ $? -ne 0 ] && grep -q "unauthorized\|no basic auth credentials\|status 401" <<<"$out"
record $? "docker push without a login is refused" "$out"
out="$(d login -u alice -p wrong "$breg" 2>&1)"
[ $? -ne 0 ]
record $? "docker login with a wrong password fails" "$out"
out="$(d login -u alice -p s3cret "$breg" 2>&1)"
grep -q "Login Succeeded" <<<"$out"
record $? "docker login" "$out"
out="$(d push "$breg/app:1" 2>&1)"
grep -Eq '^1: digest: sha256:[0-9a-f]{64} size: [0-9]+$' <<<"$out"
record $? "docker push through berthd to berth registry serve" "$out"
d rmi "$breg/app:1" >/dev/null
out="$(d pull "$breg/app:1" 2>&1)"
grep -qF "Status: Downloaded newer image for $breg/app:1" <<<"$out"
record $? "docker pull back after rmi" "$out"
expect_eq "the pulled image runs" "hello" "$(d run --rm "$breg/app:1" echo hello 2>&1)"
d logout "$breg" >/dev/null

# --- token authentication: berth-registry, RS256 tokens whose key is given by x5c ---
start_token_server rsa RS256 x5c
start_berth_registry "$work/token.log" "$registry_bin" serve --root "$work/token" \
  --auth-token-realm "http://127.0.0.1:$port/token" --auth-token-service test-registry \
  --auth-token-issuer test-issuer --auth-token-rootcertbundle "$work/rsa.pem"
treg="$addr"
code="$(status_of "http://$treg/v2/team/app/manifests/1")"
challenge="$(tr -d '\r' <"$work/headers" | sed -n 's/^WWW-Authenticate: //Ip')"
expect_eq "a request without a token is 401" "401" "$code"
expect_eq "its challenge names realm, service and scope" \
  "Bearer realm=\"http://127.0.0.1:$port/token\",service=\"test-registry\",scope=\"repository:team/app:pull\"" \
  "$challenge"
grep -q '"code":"UNAUTHORIZED"' "$work/body"
record $? "the error is UNAUTHORIZED" "$(cat "$work/body")"
code="$(status_of -H "Authorization: Bearer not.a.token" "http://$treg/v2/")"
[ "$code" = 401 ] && grep -qi 'error="invalid_token"' "$work/headers"
record $? "an invalid token is 401 invalid_token" "$code $(cat "$work/headers")"
code="$(status_of -H "Authorization: Bearer $(token rsa alice:s3cret 'registry:catalog:*')" \
  "http://$treg/v2/_catalog")"
expect_eq "alice's catalog token lists the catalog" "200" "$code"
code="$(status_of -H "Authorization: Bearer $(token rsa bob:hunter2 'registry:catalog:*')" \
  "http://$treg/v2/_catalog")"
[ "$code" = 403 ] && grep -q '"code":"DENIED"' "$work/body"
record $? "a token without registry:catalog:* is 403 DENIED" "$code $(cat "$work/body")"

# token_checks NAME REGISTRY DENIED_TEXT: berthd's client through a token server.
token_checks() {
  local name="$1" reg="$2" denied="$3" out
  d tag "$breg/app:1" "$reg/team/app:1" >/dev/null
  d tag "$breg/app:1" "$reg/readonly/app:1" >/dev/null
  # The first request is a HEAD of a blob, whose refusal has no body: only its status tells.
  out="$(b push "$reg/team/app:1" 2>&1)"
  [ $? -ne 0 ] && grep -q "$denied\|status 40[13]" <<<"$out"
  record $? "$name: an anonymous push is refused" "$out"
  out="$(echo wrong | b login -u alice --password-stdin "$reg" 2>&1)"
  [ $? -ne 0 ] && grep -q "invalid username or password\|401\|unauthorized" <<<"$out"
  record $? "$name: berth login with a wrong password fails" "$out"
  out="$(echo s3cret | b login -u alice --password-stdin "$reg" 2>&1)"
  grep -q "Login Succeeded" <<<"$out"
  record $? "$name: berth login" "$out"
  out="$(b push "$reg/team/app:1" 2>&1)"
  record $? "$name: berth push with a token" "$out"
  grep -q '"user": "alice", "scope": \["repository:team/app:pull,push"\]' "$work/$name.log"
  record $? "$name: the token server was asked for pull,push" "$(cat "$work/$name.log")"
  b rmi "$reg/team/app:1" >/dev/null
  out="$(b pull "$reg/team/app:1" 2>&1)"
  record $? "$name: berth pull with a token" "$out"
  expect_eq "$name: the pulled image runs" "hi" "$(d run --rm "$reg/team/app:1" echo hi 2>&1)"
  out="$(b push "$reg/readonly/app:1" 2>&1)"
  [ $? -ne 0 ] && grep -q "$denied" <<<"$out"
  record $? "$name: a push the token does not grant is refused" "$out"
  b logout "$reg" >/dev/null
  b rmi "$reg/team/app:1" >/dev/null
  out="$(b pull "$reg/team/app:1" 2>&1)"
  [ $? -ne 0 ] && grep -q "$denied" <<<"$out"
  record $? "$name: an anonymous pull is refused" "$out"
}
token_checks rsa "$treg" "denied: requested access to the resource is denied"

# --- token authentication: Debian's docker-registry, ES256 tokens whose key is named by kid ---
start_token_server ec ES256 kid
dreg="$(start_registry distribution "auth:
  token: {realm: \"http://127.0.0.1:$port/token\", service: test-registry, issuer: test-issuer,
          rootcertbundle: $work/ec.pem}")"
token_checks ec "$dreg" "unauthorized\|denied"

# --- a credential helper (credsStore) keeps berth's login ---
mkdir -p "$work/bin" "$DOCKER_CONFIG"
cp "$repo/tests/fixtures/docker-credential-testfile" "$work/bin/"
export PATH="$work/bin:$PATH"
echo '{"credsStore": "testfile"}' >"$DOCKER_CONFIG/config.json"
d rmi "$breg/app:1" >/dev/null
out="$(echo s3cret | b login -u alice --password-stdin "$breg" 2>&1)"
grep -q "Login Succeeded" <<<"$out"
record $? "berth login through the credential helper" "$out"
grep -q '"Secret":"s3cret"' "$work/bin/keys/$breg" 2>/dev/null &&
  ! grep -q s3cret "$DOCKER_CONFIG/config.json"
record $? "the helper keeps the secret, the config file does not" "$(cat "$DOCKER_CONFIG/config.json")"
out="$(b pull "$breg/app:1" 2>&1)"
record $? "berth pull takes the login from the helper" "$out"
d rmi "$breg/app:1" >/dev/null
out="$(d pull "$breg/app:1" 2>&1)"
record $? "docker pull takes the login berth stored in the helper" "$out"
out="$(b logout "$breg" 2>&1)"
[ ! -e "$work/bin/keys/$breg" ]
record $? "berth logout erases it from the helper" "$out"
d rmi "$breg/app:1" >/dev/null
out="$(b pull "$breg/app:1" 2>&1)"
[ $? -ne 0 ]
record $? "berth pull after logout is refused" "$out"

summary
