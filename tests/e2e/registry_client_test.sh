#!/usr/bin/env bash
# berthd's registry client against Debian's docker-registry on loopback (filesystem storage in
# the work directory): pushes with the docker CLI and with berth (one of them in chunks), pulls
# back after rmi and runs what was pulled; skopeo pushes and berth pulls, skopeo inspects what
# berth pushed; docker's errors for a bad reference and an unknown tag; a pull by digest,
# RepoDigests, GET /distribution; docker-py's pull and push; a registry behind htpasswd (Basic):
# docker login and berth login with good and bad credentials (shared through docker's config
# file), pulls refused without them and allowed with them, logout.
# Usage: tests/e2e/registry_client_test.sh BERTH BERTHD   (run as root)
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
command -v skopeo >/dev/null || skip "skopeo not installed"
command -v htpasswd >/dev/null || skip "htpasswd (apache2-utils) not installed"

b() { timeout 60 "$berth" "$@"; }

echo '{"log-level": "debug", "max-concurrent-downloads": 2}' >"$work/daemon.json"
# Blobs past 1 MiB are pushed in chunks: the busybox layer is.
start_daemon "$work/data" --registry-upload-chunk-size 1048576
reg="$(start_registry open)"

d import "$work/rootfs.tar" "$reg/busybox:1" >/dev/null || die "cannot import the rootfs"
layer_bytes="$(stat -c %s "$work/rootfs.tar")"
[ "$layer_bytes" -gt 1048576 ] || die "the busybox layer should be larger than one chunk"

# --- push with the docker CLI, pull back, run ---
out="$(d push "$reg/busybox:1" 2>&1)"
record $? "docker push through berthd" "$out"
grep -q "^The push refers to repository \[$reg/busybox\]" <<<"$out"
record $? "push names the repository" "$out"
grep -Eq '^[0-9a-f]{12}: Pushed$' <<<"$out"
record $? "push shows the layer pushed" "$out"
digest="$(sed -n 's/^1: digest: \(sha256:[0-9a-f]\{64\}\) size: [0-9]*$/\1/p' <<<"$out")"
[ -n "$digest" ]
record $? "push ends with tag: digest: size:" "$out"
# The registry holds what the push said (its own digest of the manifest).
reg_digest="$(curl -sI -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$reg/v2/busybox/manifests/1" | tr -d '\r' | sed -n 's/^Docker-Content-Digest: //Ip')"
expect_eq "the registry has the pushed manifest" "$digest" "$reg_digest"
out="$(d push "$reg/busybox:1" 2>&1)"
grep -Eq '^[0-9a-f]{12}: Layer already exists$' <<<"$out"
record $? "a second push finds the layer there" "$out"
d tag "$reg/busybox:1" "$reg/other:1" >/dev/null
out="$(d push "$reg/other:1" 2>&1)"
grep -Eq "^[0-9a-f]{12}: Mounted from busybox\$" <<<"$out"
record $? "a push to another repository mounts the layer" "$out"

d rmi "$reg/busybox:1" "$reg/other:1" >/dev/null
expect_eq "rmi removed the image" "" "$(d images -q)"
out="$(d pull "$reg/busybox:1" 2>&1)"
record $? "docker pull through berthd" "$out"
for line in "1: Pulling from busybox" "Pulling fs layer" "Verifying Checksum" "Download complete" \
  "Pull complete" "Digest: $digest" "Status: Downloaded newer image for $reg/busybox:1"; do
  grep -qF "$line" <<<"$out"
  record $? "pull shows \"$line\"" "$out"
done
# The raw stream has the bars a terminal would draw.
stream="$(d rmi "$reg/busybox:1" >/dev/null && curl -s --unix-socket "$sock" -XPOST \
  "http://x/images/create?fromImage=$reg/busybox&tag=1")"
grep -q '"status":"Downloading","progressDetail":{"current":[0-9]*,"total":[0-9]*}' <<<"$stream"
record $? "the stream has Downloading progress" "$stream"
grep -q '"status":"Extracting","progressDetail":{"current"' <<<"$stream"
record $? "the stream has Extracting progress" "$stream"
expect_eq "the pulled image runs" "hello" "$(d run --rm "$reg/busybox:1" echo hello 2>&1)"
out="$(d pull "$reg/busybox:1" 2>&1)"
grep -qF "Status: Image is up to date for $reg/busybox:1" <<<"$out"
record $? "a second pull is up to date" "$out"
expect_eq "RepoDigests after pull" "[$reg/busybox@$digest]" \
  "$(d image inspect --format '{{.RepoDigests}}' "$reg/busybox:1")"
d rmi "$reg/busybox:1" >/dev/null
out="$(d pull "$reg/busybox@$digest" 2>&1)"
record $? "pull by digest" "$out"
expect_eq "the image pulled by digest has no tag" "[]" \
  "$(d image inspect --format '{{.RepoTags}}' "$reg/busybox@$digest")"
dist="$(curl -s --unix-socket "$sock" "http://x/distribution/$reg/busybox:1/json")"
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["Descriptor"]["digest"]==sys.argv[2]; assert j["Platforms"][0]["os"]=="linux"' \
  "$dist" "$digest"
record $? "GET /distribution names the digest and the platform" "$dist"

# --- docker's errors ---
out="$(d pull "$reg/busybox:nope" 2>&1)"
status=$?
[ $status -ne 0 ] && grep -qF "Error response from daemon: manifest for $reg/busybox:nope not found: manifest unknown" <<<"$out"
record $? "an unknown tag is docker's error" "$out"
code="$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" -XPOST \
  "http://x/images/create?fromImage=$reg/nothere&tag=latest")"
expect_eq "an unknown repository is a 404 before the stream" "404" "$code"
out="$(curl -s --unix-socket "$sock" -XPOST "http://x/images/create?fromImage=Bad..Ref&tag=1")"
grep -q "invalid reference format" <<<"$out"
record $? "a bad reference is docker's error" "$out"
out="$(d push "$reg/absent:1" 2>&1)"
grep -qF "An image does not exist locally with the tag: $reg/absent" <<<"$out"
record $? "pushing an absent image is docker's error" "$out"

# --- berth push, skopeo inspects; skopeo pushes, berth pulls ---
d tag "$reg/busybox@$digest" "$reg/byberth:2" >/dev/null
out="$(b push "$reg/byberth:2" 2>&1)"
record $? "berth push" "$out"
inspected="$(skopeo inspect --tls-verify=false "docker://$reg/byberth:2" 2>&1)"
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["Os"]=="linux" and len(j["Layers"])==1' \
  "$inspected"
record $? "skopeo inspects what berth pushed" "$inspected"
d save "$reg/byberth:2" -o "$work/byberth.tar"
skopeo copy --dest-tls-verify=false "docker-archive:$work/byberth.tar" \
  "docker://$reg/byskopeo:3" >/dev/null 2>&1
record $? "skopeo push"
out="$(b pull "$reg/byskopeo:3" 2>&1)"
record $? "berth pull of what skopeo pushed" "$out"
expect_eq "it runs" "hi" "$(d run --rm "$reg/byskopeo:3" echo hi 2>&1)"

# --- docker-py ---
out="$(python3 - "$reg" <<'PY' 2>&1
import sys, docker
reg = sys.argv[1]
c = docker.from_env()
c.images.get(reg + "/byskopeo:3").tag(reg + "/py", "4")
lines = list(c.images.push(reg + "/py", tag="4", stream=True, decode=True))
assert any("aux" in l and l["aux"]["Tag"] == "4" for l in lines), lines
c.images.remove(reg + "/py:4")
image = c.images.pull(reg + "/py", tag="4")
assert reg + "/py:4" in image.tags, image.tags
print("ok")
PY
)"
expect_eq "docker-py push and pull" "ok" "$out"

# --- htpasswd (Basic) ---
htpasswd -Bbc "$work/htpasswd" alice s3cret >/dev/null 2>&1
sreg="$(start_registry secure "auth: {htpasswd: {realm: berth-test, path: $work/htpasswd}}")"
skopeo copy --dest-tls-verify=false --dest-creds alice:s3cret \
  "docker-archive:$work/byberth.tar" "docker://$sreg/private:1" >/dev/null 2>&1 ||
  die "cannot push to the htpasswd registry"
out="$(d pull "$sreg/private:1" 2>&1)"
[ $? -ne 0 ] && grep -q "no basic auth credentials\|unauthorized\|pull access denied" <<<"$out"
record $? "a pull without credentials is refused" "$out"
out="$(d login -u alice -p wrong "$sreg" 2>&1)"
[ $? -ne 0 ] && grep -q "401 Unauthorized" <<<"$out"
record $? "docker login with a bad password fails" "$out"
out="$(d login -u alice -p s3cret "$sreg" 2>&1)"
grep -q "Login Succeeded" <<<"$out"
record $? "docker login with the good password" "$out"
out="$(d pull "$sreg/private:1" 2>&1)"
record $? "pull with the stored credentials" "$out"
out="$(d push "$sreg/private:1" 2>&1)"
grep -Eq '^[0-9a-f]{12}: Layer already exists$' <<<"$out"
record $? "push with the stored credentials" "$out"
out="$(echo wrong | b login -u alice --password-stdin "$sreg" 2>&1)"
[ $? -ne 0 ] && grep -q "401 Unauthorized" <<<"$out"
record $? "berth login with a bad password fails" "$out"
d logout "$sreg" >/dev/null
d rmi "$sreg/private:1" >/dev/null
out="$(echo s3cret | b login -u alice --password-stdin "$sreg" 2>&1)"
grep -q "Login Succeeded" <<<"$out"
record $? "berth login" "$out"
out="$(d pull "$sreg/private:1" 2>&1)"
record $? "docker pulls with the login berth stored" "$out"
out="$(b logout "$sreg" 2>&1)"
grep -q "Removing login credentials for $sreg" <<<"$out"
record $? "berth logout" "$out"
out="$(b pull "$sreg/private:1" 2>&1)"
[ $? -ne 0 ]
record $? "berth pull after logout is refused" "$out"

summary
