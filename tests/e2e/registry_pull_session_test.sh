#!/usr/bin/env bash
# One registry session for a whole `berth pull --all-tags`: `berth registry serve` with token
# authentication (tests/e2e/token_server.py, which logs every token request) holds a repository
# of three tags; after a login, berthd's pull of every tag asks the token server for one token
# (the tags list's), not one per tag, and every tag arrives and runs. A tag that is absent and a
# repository that is absent fail with docker's words.
# Usage: tests/e2e/registry_pull_session_test.sh BERTH BERTHD   (run as root)
# Prints "N passed, N failed"; exits 0 when all pass, 1 on a failure, 77 when it cannot run here.
set -uo pipefail

# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"

[ $# -eq 2 ] || die "usage: $0 BERTH BERTHD"
berth="$(realpath "$1")" || die "berth $1 not found"
shift
# shellcheck source=tests/e2e/berthd_lib.sh
. "$(dirname "$0")/berthd_lib.sh"
python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography not installed"

b() { timeout 60 "$berth" "$@"; }

pids=()
cleanup() {
  [ ${#pids[@]} -gt 0 ] && kill -9 "${pids[@]}" 2>/dev/null
  berthd_cleanup
}
trap cleanup EXIT

printf 'alice:s3cret\n' >"$work/users"
python3 "$repo/tests/e2e/token_server.py" --alg RS256 --key-header x5c --issuer test-issuer \
  --users "$work/users" --cert "$work/token.pem" --port-file "$work/token.port" \
  --log "$work/token.log" 2>>"$work/token.err" &
pids+=($!)
for _ in $(seq 200); do
  [ -s "$work/token.port" ] && break
  sleep 0.05
done
[ -s "$work/token.port" ] || die "the token server did not start: $(cat "$work/token.err")"
"$berth" registry serve --root "$work/registry" --addr 127.0.0.1:0 \
  --auth-token-realm "http://127.0.0.1:$(cat "$work/token.port")/token" \
  --auth-token-service test-registry --auth-token-issuer test-issuer \
  --auth-token-rootcertbundle "$work/token.pem" >>"$work/registry.log" 2>&1 &
pids+=($!)
reg=
for _ in $(seq 200); do
  reg="$(grep -Eo 'tcp://127\.0\.0\.1:[0-9]+' "$work/registry.log" | head -1 | sed 's|tcp://||')"
  [ -n "$reg" ] && break
  sleep 0.05
done
[ -n "$reg" ] || die "the registry did not start: $(cat "$work/registry.log")"

start_daemon "$work/data" --insecure-registry 127.0.0.0/8
d import "$work/rootfs.tar" "$reg/team/multi:a" >/dev/null || die "cannot import the rootfs"
d tag "$reg/team/multi:a" "$reg/team/multi:b"
d tag "$reg/team/multi:a" "$reg/team/multi:c"
echo s3cret | b login -u alice --password-stdin "$reg" >/dev/null || die "berth login failed"
out="$(b push -a "$reg/team/multi" 2>&1)"
record $? "berth push -a pushes the three tags" "$out"
d rmi "$reg/team/multi:a" "$reg/team/multi:b" "$reg/team/multi:c" >/dev/null
expect_eq "no image left" "" "$(d images -q)"

# --- pull --all-tags: one session, so one token ---
: >"$work/token.log"
out="$(b pull -a "$reg/team/multi" 2>&1)"
record $? "berth pull -a" "$out"
expect_eq "pull -a asks for one token" "1" \
  "$(grep -c '"scope": \["repository:team/multi:pull"\]' "$work/token.log")"
expect_eq "every tag arrived" "$reg/team/multi:a $reg/team/multi:b $reg/team/multi:c" \
  "$(d images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "a pulled tag runs" "hi" "$(d run --rm "$reg/team/multi:c" echo hi 2>&1)"

# --- what is absent, in docker's words ---
out="$(b pull "$reg/team/multi:nope" 2>&1)"
[ $? -ne 0 ] && grep -qF "manifest for $reg/team/multi:nope not found: manifest unknown" <<<"$out"
record $? "an absent tag is not found" "$out"
out="$(b pull -a "$reg/team/absent" 2>&1)"
[ $? -ne 0 ] && grep -qF "repository $reg/team/absent not found: " <<<"$out"
record $? "an absent repository is not found" "$out"

summary
