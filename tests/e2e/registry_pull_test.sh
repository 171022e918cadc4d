#!/usr/bin/env bash
# berthd's pulls from Debian's docker-registry on loopback: `pull --all-tags` with berth and the
# docker CLI (and the API without a tag), through one registry session (a registry with Basic
# authentication challenges it once); absent tags and repositories in docker's words; a layer
# blob corrupted in the registry (refused with a digest error, leaving no image, snapshot, blob
# or ingest file behind); and a pull cut by kill -9 of berthd mid-download, after which a new
# berthd has cleaned up and the retried pull succeeds and runs. Layers are extracted while they
# download (overlay); these cases exercise that path.
# Usage: tests/e2e/registry_pull_test.sh BERTH BERTHD   (run as root)
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
command -v sqlite3 >/dev/null || skip "sqlite3 not installed"
command -v htpasswd >/dev/null || skip "htpasswd (apache2-utils) not installed"

b() { timeout 60 "$berth" "$@"; }

reg="$(start_registry registry)"

data="$work/data"
start_daemon "$data"
d import "$work/rootfs.tar" "$reg/multi:a" >/dev/null || die "cannot import the rootfs"

# state: what the store holds (blob files, ingest files, snapshot rows and trees, images).
state() {
  find "$data/content/blobs" "$data/content/ingest" -type f | sort
  find "$data/snapshots" -mindepth 3 -maxdepth 3 | sort
  sqlite3 "file:$data/metadata.db?mode=ro" 'SELECT key, kind FROM snapshots ORDER BY key' 2>&1
  d images -q --no-trunc
}

# --- pull --all-tags ---
mkdir -p "$work/small"
echo small >"$work/small/file"
tar -C "$work/small" -cf "$work/small.tar" file
d import "$work/small.tar" "$reg/multi:b" >/dev/null
d tag "$reg/multi:a" "$reg/multi:c"
out="$(b push -a "$reg/multi" 2>&1)"
record $? "berth push -a pushes the three tags" "$out"
d rmi "$reg/multi:a" "$reg/multi:b" "$reg/multi:c" >/dev/null
expect_eq "no image left" "" "$(d images -q)"
out="$(b pull -a "$reg/multi" 2>&1)"
record $? "berth pull -a" "$out"
for line in "a: Pulling from multi" "b: Pulling from multi" "c: Pulling from multi" \
  "Status: Downloaded newer image for $reg/multi"; do
  grep -qxF "$line" <<<"$out"
  record $? "pull -a shows \"$line\"" "$out"
done
expect_eq "pull -a prints the repository last" "$reg/multi" "$(tail -n1 <<<"$out")"
expect_eq "every tag is there" "$reg/multi:a $reg/multi:b $reg/multi:c" \
  "$(d images --format '{{.Repository}}:{{.Tag}}' | sort | xargs)"
expect_eq "tags a and c are one image" "$(d image inspect -f '{{.Id}}' "$reg/multi:a")" \
  "$(d image inspect -f '{{.Id}}' "$reg/multi:c")"
expect_eq "a pulled tag runs" "ok" "$(d run --rm "$reg/multi:a" echo ok 2>&1)"
out="$(d pull -a "$reg/multi" 2>&1)"
grep -qxF "Status: Image is up to date for $reg/multi" <<<"$out"
record $? "docker pull -a again is up to date" "$out"
out="$(b pull -a "$reg/multi:a" 2>&1)"
[ $? -ne 0 ] && grep -qF "tag can't be used with --all-tags/-a" <<<"$out"
record $? "pull -a refuses a tag" "$out"
d rmi "$reg/multi:b" >/dev/null
stream="$(curl -s --unix-socket "$sock" -XPOST "http://x/images/create?fromImage=$reg/multi")"
grep -q '"status":"Status: Downloaded newer image for '"$reg"'/multi"' <<<"$stream"
record $? "the API without a tag pulls every tag" "$stream"
d image inspect "$reg/multi:b" >/dev/null 2>&1
record $? "the API pulled the missing tag" "$stream"
code="$(curl -s -o "$work/absent.json" -w '%{http_code}' --unix-socket "$sock" -XPOST \
  "http://x/images/create?fromImage=$reg/absent")"
expect_eq "all tags of an unknown repository is a 404 before the stream" "404" "$code"
grep -q "repository $reg/absent not found" "$work/absent.json"
record $? "the 404 names the repository" "$(cat "$work/absent.json")"
out="$(b pull "$reg/multi:nope" 2>&1)"
[ $? -ne 0 ] && grep -qF "manifest for $reg/multi:nope not found: manifest unknown" <<<"$out"
record $? "an absent tag is not found, in docker's words" "$out"
out="$(b pull -a "$reg/absent" 2>&1)"
[ $? -ne 0 ] && grep -qF "repository $reg/absent not found: " <<<"$out"
record $? "an absent repository is not found, in docker's words" "$out"

# --- one registry session for a whole pull -a: one Basic challenge, not one per tag ---
htpasswd -Bbc "$work/htpasswd" alice s3cret >/dev/null 2>&1
authreg="$(start_registry auth "auth: {htpasswd: {realm: test, path: $work/htpasswd}}")"
for tag in a b c; do d tag "$reg/multi:$tag" "$authreg/multi:$tag"; done
echo s3cret | b login -u alice --password-stdin "$authreg" >/dev/null || die "berth login failed"
out="$(b push -a "$authreg/multi" 2>&1)"
record $? "berth push -a to a registry with Basic authentication" "$out"
d rmi "$authreg/multi:a" "$authreg/multi:b" "$authreg/multi:c" >/dev/null
: >"$work/auth.log"
out="$(b pull -a "$authreg/multi" 2>&1)"
record $? "berth pull -a from a registry with Basic authentication" "$out"
expect_eq "pull -a is challenged once" "1" "$(grep -c '" 401 ' "$work/auth.log")"
expect_eq "pull -a brought every tag" "$authreg/multi:a $authreg/multi:b $authreg/multi:c" \
  "$(d images --format '{{.Repository}}:{{.Tag}}' | grep -F "$authreg/" | sort | xargs)"
d rmi "$reg/multi:a" "$reg/multi:b" "$reg/multi:c" "$authreg/multi:a" "$authreg/multi:b" \
  "$authreg/multi:c" >/dev/null

# --- a layer of 48 MiB (random bytes: its gzip is as large) for the next cases ---
payload_sum="$(import_payload_image "$reg/big:1" 48)"
out="$(b push "$reg/big:1" 2>&1)"
record $? "push the big image" "$out"
layer="$(d image inspect -f '{{index .RootFS.Layers 0}}' "$reg/big:1")"
d tag "$reg/big:1" "$reg/corrupt:1"
out="$(b push "$reg/corrupt:1" 2>&1)"
record $? "push the image to corrupt" "$out"
manifest="$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$reg/v2/big/manifests/1")"
blob="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["layers"][0]["digest"])' \
  "$manifest")"
d rmi "$reg/big:1" "$reg/corrupt:1" >/dev/null
empty_state="$(state)"
[ "$layer" != "" ] && [ "$blob" != "" ]
record $? "the layer's diff id and blob digest are known" "$layer $blob"

# --- a corrupted layer blob ---
# The registry keeps one copy of a blob for every repository: corrupting it for corrupt:1 corrupts
# it for big:1 too, so big:1 is pulled (and removed) first.
out="$(b pull "$reg/big:1" 2>&1)"
record $? "the intact big image pulls" "$out"
expect_eq "its payload is whole" "$payload_sum" \
  "$(d run --rm "$reg/big:1" sha256sum /payload 2>&1 | cut -d' ' -f1)"
d rmi "$reg/big:1" >/dev/null
expect_eq "rmi leaves the store as before" "$empty_state" "$(state)"
blob_file="$work/registry/docker/registry/v2/blobs/sha256/${blob:7:2}/${blob#sha256:}/data"
[ -f "$blob_file" ] || die "no blob file at $blob_file"
cp "$blob_file" "$work/blob.orig"
# 64 KiB of zeros over the middle: the size stays, the content (and digest) changes.
dd if=/dev/zero of="$blob_file" bs=64k seek=200 count=1 conv=notrunc status=none
out="$(d pull "$reg/corrupt:1" 2>&1)"
status=$?
[ $status -ne 0 ] && grep -q "digest mismatch" <<<"$out" && grep -qF "$blob" <<<"$out"
record $? "a corrupted layer is refused with a digest error naming the blob" "$out"
d image inspect "$reg/corrupt:1" >/dev/null 2>&1
[ $? -ne 0 ]
record $? "no image is recorded"
expect_eq "no blob, snapshot or ingest file is left" "$empty_state" "$(state)"
cp "$work/blob.orig" "$blob_file"

# --- kill -9 mid-pull, then a new berthd and a retried pull ---
curl -s --unix-socket "$sock" -XPOST "http://x/images/create?fromImage=$reg/big&tag=1" \
  >"$work/killed.json" 2>&1 &
curl_pid=$!
# Wait until the layer is on its way: an ingest file with some but not all of the blob's bytes.
blob_size="$(stat -c %s "$blob_file")"
cut=
for _ in $(seq 2000); do
  size="$(find "$data/content/ingest" -type f -size +0 -printf '%s\n' 2>/dev/null | sort -n | tail -n1)"
  if [ -n "$size" ] && [ "$size" -lt "$blob_size" ] && [ "$size" -gt 1000000 ]; then
    kill -9 "$daemon_pid"
    cut=yes
    break
  fi
  kill -0 "$curl_pid" 2>/dev/null || break
  sleep 0.005
done
wait "$curl_pid" 2>/dev/null
wait "$daemon_pid" 2>/dev/null
[ -n "$cut" ]
record $? "berthd was killed in the middle of the download" "$(cat "$work/killed.json")"
ls "$data/snapshots/overlay/snapshots" | grep . >/dev/null
record $? "the cut pull had begun extracting into a snapshot"
start_daemon "$data"
expect_eq "the new berthd removed what the cut pull left" "$empty_state" "$(state)"
out="$(d pull "$reg/big:1" 2>&1)"
record $? "the retried pull succeeds" "$out"
expect_eq "and its payload is whole" "$payload_sum" \
  "$(d run --rm "$reg/big:1" sha256sum /payload 2>&1 | cut -d' ' -f1)"

summary
