#!/usr/bin/env bash
# berth-registry against real clients: skopeo copies a busybox image (an OCI layout made here
# from Debian's busybox-static) into berth-registry on 127.0.0.1 and back out, inspects it and
# lists its tags; curl sends what is wrong (a manifest whose digest does not match its reference,
# a truncated blob upload, an unknown media type, an invalid tag) and gets the spec's error codes
# with nothing stored; Basic authentication refuses and accepts; a server killed with -9 in the
# middle of a push loses no committed blob and shows no partial one; gc deletes an unreferenced
# blob and refuses to run beside a server.
# Usage: tests/e2e/registry_server_test.sh BERTH_REGISTRY
# Prints "N passed, N failed"; exits 0 when all pass, 1 on a failure, 77 when it cannot run here.
set -uo pipefail

# shellcheck source=tests/e2e/check_lib.sh
. "$(dirname "$0")/check_lib.sh"

[ $# -eq 1 ] || die "usage: $0 BERTH_REGISTRY"
registry_bin="$(realpath "$1")" || die "berth-registry $1 not found"
command -v skopeo >/dev/null || skip "skopeo not installed"
command -v htpasswd >/dev/null || skip "htpasswd not installed (apache2-utils)"
command -v jq >/dev/null || skip "jq not installed"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/berth-registry-e2e.XXXXXX)"
root="$work/root"
server_pid=
addr=

cleanup() {
  [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# start_server [FLAGS...]: berth-registry on a port of its choosing; addr is host:port.
start_server() {
  : >"$work/server.log"
  "$registry_bin" serve --addr 127.0.0.1:0 --root "$root" "$@" >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 200); do
    addr="$(grep -o 'serving .* on tcp://127\.0\.0\.1:[0-9]*' "$work/server.log" | sed 's|.*tcp://||')"
    [ -n "$addr" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$work/server.log" >&2
  die "berth-registry did not start"
}

stop_server() {
  kill "$server_pid" && wait "$server_pid"
  server_pid=
}

sk() { timeout 120 skopeo --insecure-policy "$@"; }
# api METHOD PATH [CURL ARGS...]: prints the status, then the body, of one request.
api() {
  local method="$1" path="$2"
  shift 2
  local how=(-X "$method")
  [ "$method" = HEAD ] && how=(-I)  # curl -X HEAD would wait for the body Content-Length gives
  : >"$work/body"
  curl -s -o "$work/body" -w '%{http_code}' "${how[@]}" "$@" "http://$addr$path"
  echo " $(jq -r '.errors[0].code? // empty' "$work/body" 2>/dev/null)"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

# An OCI layout holding busybox as one gzip layer (an uncompressed one skopeo would compress on
# its way to a registry, changing its digest).
rootfs="$repo/build/fixtures/busybox-rootfs"
[ -n "${BERTH_BUILD_DIR:-}" ] && rootfs="$BERTH_BUILD_DIR/fixtures/busybox-rootfs"
bash "$repo/tests/fixtures/make-busybox-rootfs.sh" "$rootfs" || die "cannot build the busybox rootfs"
layout="$work/layout"
tar -C "$rootfs" --exclude ./.complete --sort=name --mtime=@0 -cf - . | gzip -n >"$work/layer.tgz" ||
  die "cannot tar the rootfs"
layer="$(sha "$work/layer.tgz")"
manifest="$(bash "$repo/tests/fixtures/make-oci-layout.sh" "$layout" "$work/layer.tgz")" ||
  die "cannot make the OCI layout"
manifest="${manifest#sha256:}"
cp "$layout/blobs/sha256/$manifest" "$work/manifest.json"

start_server
base="$(curl -s -D - -o /dev/null "http://$addr/v2/" | tr -d '\r' |
  sed -n 's/^Docker-Distribution-API-Version: //Ip')"
expect_eq "GET /v2/ names the API version" "registry/2.0" "$base"

# skopeo in, inspect, tags, out, and a cross-repository copy.
sk copy --dest-tls-verify=false "oci:$layout:latest" "docker://$addr/test/busybox:v1" \
  >"$work/copy.log" 2>&1
record $? "skopeo copies the image into berth-registry" "$(tail -3 "$work/copy.log")"
inspect="$(sk inspect --tls-verify=false "docker://$addr/test/busybox:v1" 2>&1)"
expect_eq "skopeo inspect gives the manifest's digest" "sha256:$manifest" \
  "$(jq -r .Digest <<<"$inspect" 2>/dev/null)"
expect_eq "skopeo inspect gives the layer" "sha256:$layer" \
  "$(jq -r '.Layers[0]' <<<"$inspect" 2>/dev/null)"
sk copy --src-tls-verify=false --dest-tls-verify=false "docker://$addr/test/busybox:v1" \
  "docker://$addr/test/busybox:v2" >/dev/null 2>&1
expect_eq "skopeo list-tags lists both tags" "v1 v2" \
  "$(sk list-tags --tls-verify=false "docker://$addr/test/busybox" | jq -r '.Tags | sort | join(" ")')"
sk copy --src-tls-verify=false "docker://$addr/test/busybox:v1" "oci:$work/out:latest" \
  >"$work/copy-out.log" 2>&1
record $? "skopeo copies the image back out" "$(tail -3 "$work/copy-out.log")"
expect_eq "the layer comes back byte for byte" "$layer" "$(sha "$work/out/blobs/sha256/$layer")"
sk copy --src-tls-verify=false --dest-tls-verify=false "docker://$addr/test/busybox:v1" \
  "docker://$addr/org/team/deep/busybox:v1" >/dev/null 2>&1
record $? "skopeo copies between repositories whose names have several slashes"
expect_eq "the catalog lists both repositories" "org/team/deep/busybox test/busybox" \
  "$(curl -s "http://$addr/v2/_catalog" | jq -r '.repositories | join(" ")')"
expect_eq "tags/list pages with n and a Link" '</v2/test/busybox/tags/list?last=v1&n=1>; rel="next"' \
  "$(curl -s -D - -o /dev/null "http://$addr/v2/test/busybox/tags/list?n=1" | tr -d '\r' |
    sed -n 's/^Link: //Ip')"

# Bad input: the spec's codes, nothing stored.
wrong="sha256:$(echo wrong | sha256sum | cut -d' ' -f1)"
expect_eq "a manifest whose digest does not match is DIGEST_INVALID" "400 DIGEST_INVALID" \
  "$(api PUT "/v2/test/busybox/manifests/$wrong" -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$work/manifest.json")"
expect_eq "and nothing is stored under that digest" "404 MANIFEST_UNKNOWN" \
  "$(api GET "/v2/test/busybox/manifests/$wrong")"
head -c 100000 "$work/layer.tgz" >"$work/truncated"
expect_eq "a truncated monolithic upload is DIGEST_INVALID" "400 DIGEST_INVALID" \
  "$(api POST "/v2/test/trunc/blobs/uploads/?digest=sha256:$layer" --data-binary "@$work/truncated")"
location="$(curl -s -D - -o /dev/null -X POST "http://$addr/v2/test/trunc/blobs/uploads/" |
  tr -d '\r' | sed -n 's/^Location: //Ip')"
api PATCH "$location" -H 'Content-Range: 0-99999' --data-binary "@$work/truncated" >/dev/null
expect_eq "a chunk leaving a gap is 416" "416 RANGE_INVALID" \
  "$(api PATCH "$location" -H 'Content-Range: 200000-200009' --data-binary 0123456789)"
expect_eq "finishing a truncated chunked upload is DIGEST_INVALID" "400 DIGEST_INVALID" \
  "$(api PUT "$location?digest=sha256:$layer")"
expect_eq "the truncated blob is not in that repository" "404 " \
  "$(api HEAD "/v2/test/trunc/blobs/sha256:$layer")"
expect_eq "the upload is over" "404 BLOB_UPLOAD_UNKNOWN" "$(api GET "$location")"
sed 's|application/vnd.oci.image.manifest.v1+json|application/vnd.example.unknown+json|' \
  "$work/manifest.json" >"$work/unknown.json"
expect_eq "an unknown media type is MANIFEST_INVALID" "400 MANIFEST_INVALID" \
  "$(api PUT /v2/test/busybox/manifests/v3 -H 'Content-Type: application/vnd.example.unknown+json' --data-binary "@$work/unknown.json")"
expect_eq "an invalid tag is TAG_INVALID" "400 TAG_INVALID" \
  "$(api PUT /v2/test/busybox/manifests/-v3 -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$work/manifest.json")"
expect_eq "an invalid name is NAME_INVALID" "400 NAME_INVALID" \
  "$(api GET /v2/Test/BusyBox/tags/list)"
expect_eq "neither stored a tag" "v1 v2" \
  "$(curl -s "http://$addr/v2/test/busybox/tags/list" | jq -r '.tags | join(" ")')"
expect_eq "the store holds no partial blob" "" "$(ls "$root/content/ingest")"

# Basic authentication.
stop_server
htpasswd -bBc "$work/htpasswd" alice s3cret 2>/dev/null
start_server --htpasswd "$work/htpasswd"
expect_eq "no credentials: 401 UNAUTHORIZED" "401 UNAUTHORIZED" "$(api GET /v2/)"
expect_eq "the challenge names Basic and the realm" 'Basic realm="berth-registry"' \
  "$(curl -s -D - -o /dev/null "http://$addr/v2/" | tr -d '\r' | sed -n 's/^WWW-Authenticate: //Ip')"
expect_eq "a wrong password: 401" "401 UNAUTHORIZED" "$(api GET /v2/ -u alice:wrong)"
expect_eq "the right password: 200" "200 " "$(api GET /v2/ -u alice:s3cret)"
sk copy --dest-tls-verify=false --dest-creds alice:s3cret "oci:$layout:latest" \
  "docker://$addr/auth/busybox:v1" >/dev/null 2>&1
record $? "skopeo pushes with credentials"
! sk copy --dest-tls-verify=false --dest-creds alice:nope "oci:$layout:latest" \
  "docker://$addr/auth/busybox:v2" >/dev/null 2>&1
record $? "skopeo is refused with a wrong password"
stop_server

# kill -9 in the middle of a push: committed blobs stay, the partial one is nowhere.
start_server
head -c $((64 << 20)) /dev/urandom >"$work/big"
big="$(sha "$work/big")"
location="$(curl -s -D - -o /dev/null -X POST "http://$addr/v2/test/big/blobs/uploads/" |
  tr -d '\r' | sed -n 's/^Location: //Ip')"
curl -s -o /dev/null --limit-rate 4M -X PATCH --data-binary "@$work/big" "http://$addr$location" &
curl_pid=$!
for _ in $(seq 200); do  # until the upload's bytes reach the ingest file
  [ -n "$(find "$root/content/ingest" -type f -size +1M 2>/dev/null)" ] && break
  sleep 0.05
done
expect_eq "the upload is under way" 1 "$(find "$root/content/ingest" -type f -size +1M | wc -l)"
kill -9 "$server_pid"
wait "$server_pid" 2>/dev/null
server_pid=
wait "$curl_pid" 2>/dev/null
start_server
expect_eq "after the restart no ingest is left" "" "$(ls "$root/content/ingest")"
expect_eq "the partial blob is not visible" "404 " "$(api HEAD "/v2/test/big/blobs/sha256:$big")"
ok=0
for blob in "$root"/content/blobs/sha256/*; do
  [ "$(sha "$blob")" = "$(basename "$blob")" ] || ok=1
done
record $ok "every stored blob is whole (its content has its digest)"
curl -s "http://$addr/v2/test/busybox/blobs/sha256:$layer" -o "$work/pulled"
expect_eq "the committed layer is still served" "$layer" "$(sha "$work/pulled")"
expect_eq "the committed tags are still there" "v1 v2" \
  "$(curl -s "http://$addr/v2/test/busybox/tags/list" | jq -r '.tags | join(" ")')"

# Garbage collection.
echo stray >"$work/stray"
stray="$(sha "$work/stray")"
api POST "/v2/test/busybox/blobs/uploads/?digest=sha256:$stray" --data-binary "@$work/stray" >/dev/null
! "$registry_bin" gc --root "$root" >"$work/gc.log" 2>&1 && grep -q "in use" "$work/gc.log"
record $? "gc refuses to run beside a server" "$(cat "$work/gc.log")"
stop_server
"$registry_bin" gc --root "$root" >"$work/gc.log" 2>&1
expect_eq "gc deletes the one unreferenced blob" "deleted 1 blobs (6 bytes), kept 3" \
  "$(cat "$work/gc.log")"
start_server
expect_eq "the stray blob is gone" "404 " "$(api HEAD "/v2/test/busybox/blobs/sha256:$stray")"
sk copy --src-tls-verify=false "docker://$addr/org/team/deep/busybox:v1" "oci:$work/out2:latest" \
  >/dev/null 2>&1
record $? "the image is still whole after gc"
stop_server

summary
