#!/usr/bin/env python3
"""A proxy in front of a registry, for the e2e tests of berthd's registry client.

It listens on 127.0.0.1:--port and passes every request through to --upstream (host:port, plain
HTTP), headers included (Authorization and Range among them), except GETs of a blob
(/v2/<name>/blobs/<digest>), which two flags change:
  --redirect-to HOST  answers them 307 to the same blob under /store/ on HOST (another name of
                      this proxy's host, same port, as a registry sends a client to its blob
                      storage); /store/ requests are served from upstream with --store-auth
                      ("user:password", Basic) as the credentials, whatever the client sends;
  --cut resume        the first GET of a blob's bytes (the blob, or its /store/ URL) larger than
                      --cut-min bytes announces the full length, sends half of the bytes and
                      closes the connection; the later ones pass through;
  --cut norange       as resume, and the later ones ignore Range: the whole blob, status 200.
Each request is appended to --log as one line: METHOD PATH range=RANGE auth=yes|no -> STATUS
(and "cut at N" for a cut transfer).
"""
import argparse
import base64
import http.client
import http.server
import re
import threading

BLOB = re.compile(r"^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$")
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--redirect-to", default="")
    parser.add_argument("--cut", choices=["no", "resume", "norange"], default="no")
    parser.add_argument("--store-auth", default="")
    parser.add_argument("--cut-min", type=int, default=1 << 20)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    lock = threading.Lock()
    cut_done = set()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def note(self, status, extra=""):
            line = "{} {} range={} auth={} -> {}{}\n".format(
                self.command, self.path, self.headers.get("Range", "-"),
                "yes" if self.headers.get("Authorization") else "no", status, extra)
            with lock, open(args.log, "a") as log:
                log.write(line)

        def upstream(self, path, headers):
            conn = http.client.HTTPConnection(args.upstream, timeout=60)
            body = None
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                body = self.rfile.read(length)
            conn.request(self.command, path, body=body, headers=headers)
            return conn, conn.getresponse()

        def client_headers(self, drop=()):
            return {k: v for k, v in self.headers.items()
                    if k.lower() not in HOP_HEADERS and k.lower() not in drop}

        def relay(self, response, limit=None):
            self.send_response(response.status, response.reason)
            for key, value in response.getheaders():
                if key.lower() not in HOP_HEADERS:
                    self.send_header(key, value)
            if response.getheader("Content-Length") is None and self.command != "HEAD":
                # A chunked answer is relayed decoded: its end is the end of the connection.
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command == "HEAD":
                return
            sent = 0
            while limit is None or sent < limit:
                chunk = response.read(min(65536, limit - sent) if limit else 65536)
                if not chunk:
                    break
                self.wfile.write(chunk)
                sent += len(chunk)
            if limit is not None:
                self.wfile.flush()
                self.close_connection = True

        def do_HEAD(self):
            self.handle_any()

        def do_GET(self):
            self.handle_any()

        def do_POST(self):
            self.handle_any()

        def do_PUT(self):
            self.handle_any()

        def do_PATCH(self):
            self.handle_any()

        def handle_any(self):
            path, drop, cut = self.path, (), False
            blob = self.command == "GET" and BLOB.match(self.path)
            if self.path.startswith("/store/"):
                path = self.path[len("/store"):]
                drop = ("authorization",)
            elif blob and args.redirect_to:
                self.send_response(307)
                location = "http://{}:{}/store{}".format(args.redirect_to, args.port, self.path)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.note(307)
                return
            if (blob or path != self.path) and args.cut != "no":
                with lock:
                    cut = self.path not in cut_done
                if not cut and args.cut == "norange":
                    drop += ("range",)
            headers = self.client_headers(drop)
            if path != self.path and args.store_auth:
                token = base64.b64encode(args.store_auth.encode()).decode()
                headers["Authorization"] = "Basic " + token
            conn, response = self.upstream(path, headers)
            try:
                length = int(response.getheader("Content-Length") or 0)
                if cut and response.status == 200 and length > args.cut_min:
                    with lock:
                        cut_done.add(self.path)
                    self.note(response.status, " cut at {}".format(length // 2))
                    self.relay(response, length // 2)
                    return
                self.note(response.status)
                self.relay(response)
            finally:
                conn.close()

    http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
