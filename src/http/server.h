// A generic HTTP/1.1 server (under the Engine API and the registry): listeners on unix sockets and
// TCP, one thread per connection (handlers may block: a load streams gigabytes, a log follow
// lasts hours), requests parsed by Boost.Beast, given to a hook of the server's user (the Engine
// API takes its "/vX.Y" prefix off there) and routed by method and path pattern. Handlers answer
// through a ResponseWriter: a whole response, a chunked stream, or a hijacked connection (attach,
// exec). Beast stays inside connection.cc. Thread-safety: Router is filled before Serve and
// read-only afterwards; one Request and one ResponseWriter belong to the thread of their
// connection.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "base/unique_fd.h"
#include "http/tls.h"

namespace berth::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// FindHeader returns the value of the first header of that name (case-insensitive).
std::optional<std::string> FindHeader(const Headers& headers, std::string_view name);
// AuthorizationOf is what an Authorization header's value carries for scheme ("Basic", "Bearer";
// compared case-insensitively, as RFC 9110 says), trimmed; nullopt for another scheme.
std::optional<std::string_view> AuthorizationOf(std::string_view value, std::string_view scheme);

// BodyReader yields a request's body as it arrives (Content-Length or chunked), decoded.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Read fills up to size bytes; 0 at the end of the body.
  virtual Result<size_t> Read(char* data, size_t size) = 0;
};

struct Request {
  std::string method;  // "GET", "HEAD", "POST", "PUT", "DELETE"
  std::string target;  // as received: "/v1.41/images/json?all=1"
  std::string path;    // decoded, without the query (and what prepare took off): "/images/json"
  // Set by ServerOptions::prepare: the Engine API's version ("1.41"); empty otherwise.
  std::string api_version;
  Headers headers;
  std::multimap<std::string, std::string> query;  // decoded
  std::map<std::string, std::string> params;      // the route's captures, decoded
  BodyReader* body = nullptr;                     // never null inside a handler

  // Header returns the first header of that name (case-insensitive).
  std::optional<std::string> Header(std::string_view name) const;
  // Query returns the last value of a query parameter.
  std::optional<std::string> Query(std::string_view name) const;
  // QueryBool reads docker's booleans as Go's strconv.ParseBool does: "1", "t", "T", "true",
  // "True", "TRUE" (and present with an empty value) are true, "0", "f", "F", "false", "False",
  // "FALSE" are false, absent is fallback; anything else is kInvalidArgument.
  Result<bool> QueryBool(std::string_view name, bool fallback = false) const;
  // QueryInt reads a decimal int parameter; absent or empty is nullopt, anything else that is no
  // int is kInvalidArgument naming the parameter.
  Result<std::optional<int>> QueryInt(std::string_view name) const;
  // ReadBody reads the whole body; one longer than limit is kInvalidArgument (HTTP 400).
  Result<std::string> ReadBody(size_t limit = 16 << 20);
  // ReadJson reads the body as JSON; an empty body is an empty object; malformed JSON (or JSON
  // nested deeper than 1000 levels) is kInvalidArgument "invalid JSON: <the parser's complaint>".
  Result<nlohmann::json> ReadJson(size_t limit = 16 << 20);
};

// ResponseWriter answers one request, in exactly one of three ways. Every response carries the
// headers the server adds (Server, Date and ServerOptions::response_headers). Answering a
// second time is kFailedPrecondition; a failed write is kUnavailable (the client went away).
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // Send writes a complete response (Content-Length; no body on HEAD, neither body nor length
  // for 1xx, 204 and 304).
  virtual Status Send(int status, std::string_view content_type, std::string_view body,
                      const Headers& extra = {}) = 0;
  // BeginStream writes the head of a chunked response; Write sends one chunk at once (a stream
  // of progress or log lines reaches the client as it is written); End writes the last chunk.
  // A handler that returns with its stream open has it ended for it. (An HTTP/1.0 client gets
  // the data unchunked, ended by the end of the connection.)
  virtual Status BeginStream(int status, std::string_view content_type,
                             const Headers& extra = {}) = 0;
  virtual Status Write(std::string_view data) = 0;
  virtual Status End() = 0;
  // BeginBody writes the head of a response of length bytes (Content-Length) whose body follows
  // through Write (a file sent piece by piece); End then checks that length bytes were written
  // (kFailedPrecondition, and the connection is closed, when not; more is refused by Write). A
  // response to HEAD gets the head only.
  virtual Status BeginBody(int status, std::string_view content_type, uint64_t length,
                           const Headers& extra = {}) = 0;
  // Hijack hands over the connection for a raw duplex stream, as docker's attach and exec start
  // do: "101 UPGRADED" with "Connection: Upgrade" and "Upgrade: tcp" when the client asked to
  // upgrade (its request has an Upgrade header, as dockerd decides), else "200 OK" with no
  // length; then the socket (blocking, close-on-exec) belongs to the caller, and the connection
  // is no longer served. Bytes the client sent after the request are given back in already_read.
  // A request body the handler left unread is skipped first (kInvalidArgument when too long).
  virtual Result<UniqueFd> Hijack(std::string_view content_type, std::string* already_read) = 0;
  // started says whether anything was written (an error can then no longer become a response).
  virtual bool started() const = 0;

  Status SendJson(int status, const nlohmann::json& value);
  Status SendJson(int status, const nlohmann::ordered_json& value);
  // SendError answers {"message": "..."} with the status of the error's kind (status.h).
  Status SendError(const Error& error);
  // SendEmpty answers with no body (204, 304, or 200/201 when docker sends none).
  Status SendEmpty(int status);
};

// A handler answers through the writer. An error it returns before the writer started is sent
// with SendError; after, the connection is closed. A handler that returns without answering
// answers an empty 200. Body the handler leaves unread is skipped before the next request on the
// connection, or the connection is closed after the response when more than 256 KiB remain.
using Handler = std::function<Status(Request&, ResponseWriter&)>;

// Router maps a method and a path to a handler. A pattern is a path whose segments may be
// captures: "{id}" matches one non-empty segment, "{name:.*}" one or more segments (image names
// hold slashes: "/images/{name:.*}/json" matches "/images/docker.io/library/busybox:latest/json",
// the longest capture that leaves the rest of the pattern matching). Literal segments win over
// captures when both match. A path that no pattern matches is 404 "page not found"; a path that
// matches with another method is 405.
class Router {
 public:
  void Add(std::string_view method, std::string_view pattern, Handler handler);
  // Match finds the handler of method and path and fills params; kNotFound or
  // kFailedPrecondition (method not allowed) otherwise.
  Result<const Handler*> Match(std::string_view method, std::string_view path,
                               std::map<std::string, std::string>* params) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

struct ServerOptions {
  // Headers every response carries besides Server and Date.
  Headers response_headers;
  // prepare, when set, sees each request once its path is decoded, before routing: it may rewrite
  // path and set api_version; an error it returns is the response (SendError).
  std::function<Status(Request&)> prepare;
  // The Server header: "berth/<version> (linux)", or "berth (linux)" without a version.
  std::string server_name = "berth";
  std::string server_version;
  // The largest request head (request line and headers) accepted; beyond it 431.
  size_t max_header_bytes = 64 << 10;
};

// A listening socket: unix:///path (mode 0660, group when given and it exists) or tcp://host:port,
// plain or with TLS.
struct ListenSpec {
  std::string address;  // "unix:///run/berth/berth.sock", "tcp://127.0.0.1:2375"
  mode_t unix_mode = 0660;
  std::string unix_group;  // chown the socket to this group when it exists; "" leaves it
  // TLS on a tcp:// listener: every connection begins with the handshake (tls.h).
  std::optional<TlsServerConfig> tls;
};

// Server accepts connections on its listeners and serves each on a thread of its own.
class Server {
 public:
  Server(Router router, ServerOptions options);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Listen opens a listener (a stale unix socket file is replaced; a live one, or a file that is
  // no socket, is kAlreadyExists); a malformed address is kInvalidArgument naming it, and so is
  // TLS on a unix socket, or TLS files that cannot be used (naming the file). Returns the
  // address bound (tcp port 0 becomes the port chosen). Listeners are opened before Serve: once
  // serving or stopped, Listen is kFailedPrecondition. A unix socket file is removed by Stop.
  Result<std::string> Listen(const ListenSpec& spec);
  // Serve accepts on every listener until Stop; returns at once after Stop.
  void Serve();
  // Stop closes the listeners, shuts down every open connection (hijacked ones are the caller's)
  // and waits for their threads; callable from any thread but a handler's, any number of times.
  // A hijacked connection's thread is its handler's: Stop returns once those handlers return.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::http
