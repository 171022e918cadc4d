#!/usr/bin/env python3
"""A token server of distribution's token authentication scheme, for the e2e tests.

It makes its own signing key and self-signed certificate (the registry's root certificate
bundle, written to --cert) and serves GET /token?service=&scope=&account= on 127.0.0.1 (the port
written to --port-file). Basic credentials are checked against --users ("user:password" lines);
a wrong password is 401, no credentials an anonymous token. The token (a JWT signed RS256 or
ES256, its key named by x5c or by libtrust's kid) grants of each requested scope the actions the
policy allows: every user may pull and push every repository except under "readonly/", where
only pull is granted; "alice" may also list the catalog (registry:catalog:*); the anonymous
client gets nothing. Each request is appended to --log as one JSON line.
"""
import argparse
import base64
import datetime
import hashlib
import http.server
import json
import os
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import NameOID


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_kid(public_key):
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode()
    return ":".join(b32[i:i + 4] for i in range(0, len(b32), 4))


def make_key_and_cert(alg):
    if alg == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "berth test token signer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def sign(key, alg, text):
    if alg == "ES256":
        r, s = utils.decode_dss_signature(key.sign(text, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return key.sign(text, padding.PKCS1v15(), hashes.SHA256())


def allowed(user, scope_type, name, actions):
    if user is None:
        return []
    if scope_type == "registry" and name == "catalog":
        return ["*"] if user == "alice" and "*" in actions else []
    if scope_type != "repository":
        return []
    grant = {"pull"} if name.startswith("readonly/") else {"pull", "push"}
    return [a for a in actions if a in grant]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--alg", choices=["RS256", "ES256"], default="RS256")
    parser.add_argument("--key-header", choices=["x5c", "kid"], default="x5c")
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--users", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()

    users = {}
    with open(args.users) as f:
        for line in f:
            user, _, password = line.strip().partition(":")
            if user:
                users[user] = password
    key, cert = make_key_and_cert(args.alg)
    with open(args.cert, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    header = {"typ": "JWT", "alg": args.alg}
    if args.key_header == "x5c":
        header["x5c"] = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]
    else:
        header["kid"] = libtrust_kid(key.public_key())

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            query = urllib.parse.parse_qs(url.query)
            user = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                if users.get(name) != password:
                    self.answer(401, {"details": "invalid username or password"})
                    return
                user = name
            access = []
            for scope in " ".join(query.get("scope", [])).split():
                scope_type, _, rest = scope.partition(":")
                name, _, actions = rest.rpartition(":")
                granted = allowed(user, scope_type, name, actions.split(","))
                if granted:
                    access.append({"type": scope_type, "name": name, "actions": granted})
            now = int(time.time())
            claims = {"iss": args.issuer, "sub": user or "", "aud": query.get("service", [""])[0],
                      "exp": now + 300, "nbf": now - 5, "iat": now, "jti": str(now),
                      "access": access}
            text = (b64url(json.dumps(header).encode()) + "." +
                    b64url(json.dumps(claims).encode())).encode()
            token = text.decode() + "." + b64url(sign(key, args.alg, text))
            with open(args.log, "a") as log:
                log.write(json.dumps({"user": user, "scope": query.get("scope", []),
                                      "access": access}) + "\n")
            self.answer(200, {"token": token, "access_token": token, "expires_in": 300})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
