#!/usr/bin/env bash
# One registry session for a whole `berth pull --all-tags`: Debian's docker-registry with Basic
# authentication (htpasswd; its access log shows every response) holds a repository of three
# tags; after a login, berthd's pull of every tag is challenged once (the session's first
# request), not once per tag, and every tag arrives and runs. A tag that is absent and a
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
command -v docker-registry >/dev/null || skip "docker-registry not installed"
command -v htpasswd >/dev/null || skip "htpasswd (apache2-utils) not installed"

b() { timeout 60 "$berth" "$@"; }

htpasswd -Bbc "$work/htpasswd" alice s3cret >/dev/null 2>&1
reg="$(start_registry auth "auth: {htpasswd: {realm: test, path: $work/htpasswd}}")"
start_daemon "$work/data" --insecure-registry 127.0.0.0/8
d import "$work/rootfs.tar" "$reg/team/multi:a" >/dev/null || die "cannot import the rootfs"
d tag "$reg/team/multi:a" "$reg/team/multi:b"
d tag "$reg/team/multi:a" "$reg/team/multi:c"
echo s3cret | b login -u alice --password-stdin "$reg" >/dev/null || die "berth login failed"
out="$(b push -a "$reg/team/multi" 2>&1)"
record $? "berth push -a pushes the three tags" "$out"
d rmi "$reg/team/multi:a" "$reg/team/multi:b" "$reg/team/multi:c" >/dev/null
expect_eq "no image left" "" "$(d images -q)"

# --- pull --all-tags: one session, so one challenge ---
: >"$work/auth.log"
out="$(b pull -a "$reg/team/multi" 2>&1)"
record $? "berth pull -a" "$out"
expect_eq "pull -a is challenged once" "1" "$(grep -c '" 401 ' "$work/auth.log")"
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
