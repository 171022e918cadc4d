#!/usr/bin/env bash
# TLS end to end, with certificates made here by openssl (a CA, a server certificate for
# 127.0.0.1, localhost and this host's name, a client certificate): berthd serves
# tcp://127.0.0.1:PORT with --tlsverify; Debian's docker CLI (flags, then DOCKER_TLS_VERIFY and
# DOCKER_CERT_PATH), docker-py's TLSConfig and berth talk to it, run containers (attach over TLS,
# stdin ending with a half-close); a client without a certificate is refused, and plain HTTP to
# the TLS port is told so. berth-registry serves HTTPS requiring client certificates: skopeo
# pushes with --dest-cert-dir and inspects with --cert-dir; berthd pulls and pushes only once
# certs.d/HOST:PORT holds the CA and the client certificate.
# Usage: tests/e2e/tls_test.sh BERTH BERTHD BERTH_REGISTRY
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
command -v openssl >/dev/null || skip "openssl not installed"
command -v skopeo >/dev/null || skip "skopeo not installed"

registry_pid=
certs_d=
tls_cleanup() {
  [ -n "$registry_pid" ] && kill -9 "$registry_pid" 2>/dev/null
  [ -n "$certs_d" ] && rm -rf "$certs_d"
  berthd_cleanup
}
trap tls_cleanup EXIT

# --- certificates ---
# The registry is reached by this host's name when it resolves to a loopback address: berthd
# then verifies it with the CA of certs.d (127.0.0.1 and localhost are insecure registries by
# default, whose certificates are not verified).
host_name="$(hostname)"
case "$(getent ahostsv4 "$host_name" | awk 'NR == 1 { print $1 }')" in
  127.*) ;;
  *) host_name=127.0.0.1 ;;
esac
certs="$work/certs"
mkdir -p "$certs"
(
  cd "$certs" || exit 1
  printf '[server]\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:%s\nextendedKeyUsage=serverAuth\n[client]\nextendedKeyUsage=clientAuth\n' \
    "$host_name" >ext.cnf
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=berth e2e CA" -keyout ca-key.pem -out ca.pem &&
    for who in server client; do
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$who" \
        -keyout "$who-key.pem" -out "$who.csr" &&
        openssl x509 -req -days 2 -in "$who.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
          -extfile ext.cnf -extensions "$who" -out "$who-cert.pem" || exit 1
    done
) >"$work/openssl.log" 2>&1 || { cat "$work/openssl.log" >&2; die "cannot make certificates"; }

# --- berthd on tcp:// with --tlsverify ---
port="$(free_port)"
tcp="tcp://127.0.0.1:$port"
start_daemon "" -H "$tcp" --tlsverify --tlscacert "$certs/ca.pem" \
  --tlscert "$certs/server-cert.pem" --tlskey "$certs/server-key.pem"
d import "$work/rootfs.tar" busybox:tls >/dev/null || die "cannot import the rootfs"
client_flags=(--tlsverify --tlscacert "$certs/ca.pem" --tlscert "$certs/client-cert.pem"
  --tlskey "$certs/client-key.pem" -H "$tcp")
tlsd() { DOCKER_HOST='' timeout 60 "$docker_cli" "${client_flags[@]}" "$@"; }
b() { DOCKER_HOST='' timeout 60 "$berth" "${client_flags[@]}" "$@"; }

out="$(tlsd version --format '{{.Server.Os}}' 2>&1)"
expect_eq "docker version over TLS" "linux" "$out"
out="$(tlsd run --rm busybox:tls echo hello over tls 2>&1)"
expect_eq "docker run --rm over TLS (attach)" "hello over tls" "$out"
out="$(seq 1 20000 | tlsd run --rm -i busybox:tls wc -l 2>&1)"
expect_eq "docker run -i: stdin and its end cross TLS" "20000" "$(tr -d ' ' <<<"$out")"

out="$(DOCKER_HOST='' timeout 30 "$docker_cli" --tlsverify --tlscacert "$certs/ca.pem" -H "$tcp" \
  version 2>&1)"
status=$?
[ $status -ne 0 ] && grep -qiE 'tls|certificate' <<<"$out"
record $? "docker without a client certificate is refused" "$status: $out"
out="$(curl -s "http://127.0.0.1:$port/_ping")"
expect_eq "plain HTTP to the TLS port is told" "Client sent an HTTP request to an HTTPS server." "$out"
out="$(curl -s --cacert "$certs/ca.pem" --cert "$certs/client-cert.pem" \
  --key "$certs/client-key.pem" "https://127.0.0.1:$port/_ping")"
expect_eq "curl over https" "OK" "$out"

cert_path="$work/docker-certs"
mkdir -p "$cert_path"
cp "$certs/ca.pem" "$cert_path/ca.pem"
cp "$certs/client-cert.pem" "$cert_path/cert.pem"
cp "$certs/client-key.pem" "$cert_path/key.pem"
out="$(DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$cert_path" DOCKER_HOST="$tcp" \
  timeout 60 "$docker_cli" ps -a --format '{{.Image}}' 2>&1)"
record $? "docker with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH" "$out"

# requests prefers a CA bundle named in the environment to the one docker-py gives it.
out="$(env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE python3 - "$tcp" "$certs" <<'EOF' 2>&1
import sys
import docker
tcp, certs = sys.argv[1], sys.argv[2]
tls = docker.tls.TLSConfig(client_cert=(certs + "/client-cert.pem", certs + "/client-key.pem"),
                           ca_cert=certs + "/ca.pem", verify=True)
client = docker.DockerClient(base_url=tcp, tls=tls)
assert client.ping()
print(client.containers.run("busybox:tls", ["echo", "py over tls"], remove=True).decode().strip())
EOF
)"
expect_eq "docker-py with TLSConfig runs a container" "py over tls" "$out"

out="$(b version --format '{{.Server.Os}}' 2>&1)"
expect_eq "berth version over TLS" "linux" "$out"
out="$(b run --rm busybox:tls echo berth over tls 2>&1)"
expect_eq "berth run --rm over TLS" "berth over tls" "$out"
out="$(seq 1 20000 | b run --rm -i busybox:tls wc -l 2>&1)"
expect_eq "berth run -i: stdin and its end cross TLS" "20000" "$(tr -d ' ' <<<"$out")"
out="$(DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$cert_path" DOCKER_HOST="$tcp" \
  timeout 60 "$berth" images --format '{{.Repository}}' 2>&1)"
grep -qx busybox <<<"$out"
record $? "berth with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH" "$out"
out="$(DOCKER_HOST='' timeout 30 "$berth" --tlsverify --tlscacert "$certs/ca.pem" -H "$tcp" \
  version 2>&1)"
[ $? -ne 0 ] && grep -qi "certificate" <<<"$out"
record $? "berth without a client certificate is refused" "$out"
out="$(DOCKER_HOST='' timeout 30 "$berth" -H "$tcp" version 2>&1)"
[ $? -ne 0 ] && grep -q "HTTP request to an HTTPS server" <<<"$out"
record $? "berth without TLS is told the port speaks HTTPS" "$out"

# --- berth-registry over HTTPS, client certificates required ---
registry_port="$(free_port)"
"$registry_bin" serve --addr "127.0.0.1:$registry_port" --root "$work/registry" \
  --tls-cert "$certs/server-cert.pem" --tls-key "$certs/server-key.pem" \
  --tls-client-ca "$certs/ca.pem" >>"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
  grep -q "serving .* (TLS)" "$work/registry.log" && break
  kill -0 "$registry_pid" 2>/dev/null || break
  sleep 0.05
done
grep -q "serving .* (TLS)" "$work/registry.log" || { cat "$work/registry.log" >&2; die "berth-registry did not start"; }
reg="$host_name:$registry_port"

skopeo_certs="$work/skopeo-certs"
mkdir -p "$skopeo_certs"
cp "$certs/ca.pem" "$skopeo_certs/ca.crt"
cp "$certs/client-cert.pem" "$skopeo_certs/client.cert"
cp "$certs/client-key.pem" "$skopeo_certs/client.key"
tar -C "$rootfs" --exclude ./.complete --sort=name --mtime=@0 -cf - . | gzip -n >"$work/layer.tgz" ||
  die "cannot tar the rootfs"
bash "$repo/tests/fixtures/make-oci-layout.sh" "$work/layout" "$work/layer.tgz" >/dev/null ||
  die "cannot make the OCI layout"
sk() { timeout 120 skopeo --insecure-policy "$@"; }
out="$(sk copy --dest-cert-dir "$skopeo_certs" "oci:$work/layout:latest" \
  "docker://$reg/sk/busybox:1" 2>&1)"
record $? "skopeo pushes to berth-registry over TLS with --dest-cert-dir" "$out"
out="$(sk copy --dest-cert-dir "$work" "oci:$work/layout:latest" "docker://$reg/sk/busybox:2" 2>&1)"
[ $? -ne 0 ] && grep -qi "certificate" <<<"$out"
record $? "skopeo without the CA and client certificate is refused" "$out"

out="$(d pull "$reg/sk/busybox:1" 2>&1)"
[ $? -ne 0 ] && grep -qi "certificate" <<<"$out"
record $? "berthd without certs.d cannot pull from the TLS registry" "$out"
certs_d="/etc/berth/certs.d/$reg"
mkdir -p "$certs_d"
cp "$certs/ca.pem" "$certs_d/ca.crt"
cp "$certs/client-cert.pem" "$certs_d/client.cert"
cp "$certs/client-key.pem" "$certs_d/client.key"
out="$(d pull "$reg/sk/busybox:1" 2>&1)"
record $? "berthd pulls from the TLS registry with certs.d/$reg" "$out"
out="$(d run --rm "$reg/sk/busybox:1" echo pulled over tls 2>&1)"
expect_eq "the pulled image runs" "pulled over tls" "$out"
d tag busybox:tls "$reg/pushed/busybox:1" >/dev/null
out="$(d push "$reg/pushed/busybox:1" 2>&1)"
record $? "berthd pushes to the TLS registry" "$out"
out="$(sk inspect --cert-dir "$skopeo_certs" "docker://$reg/pushed/busybox:1" 2>&1)"
grep -q '"Layers"' <<<"$out"
record $? "skopeo --cert-dir inspects what berthd pushed" "$out"

summary
